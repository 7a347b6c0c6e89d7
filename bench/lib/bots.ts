/** Starting the two bots under test the same way: child processes pointed at the stand-ins. */
import { distEntry } from './root';
import { freePort, startBotProcess, type BotProcess } from './processes';
import type { StandIns } from './standins';
import type { Timing } from './timing';

export type BotKind = 'bot' | 'echo';

export const ENTRY: Record<BotKind, string> = {
  bot: 'bot/index.js',
  echo: 'bench/echo-bot.js',
};

export interface StartOptions {
  name?: string;
  /** Extra environment, e.g. AZURE_STORAGE_CONNECTION_STRING. */
  env?: Record<string, string>;
  port?: number;
  timing?: Timing;
  onLine?: (line: string) => void;
}

export async function startBot(s: StandIns, kind: BotKind, opts: StartOptions = {}): Promise<BotProcess> {
  const port = opts.port ?? (await freePort());
  const bot = await startBotProcess({
    entry: distEntry(ENTRY[kind]),
    env: s.botEnv(opts.env),
    port,
    name: opts.name ?? kind,
    onLine: opts.onLine,
  });
  opts.timing?.watchBotPort(port);
  return bot;
}
