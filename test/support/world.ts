/**
 * The whole product for a test: Entra, Graph and Teams stand-ins on free ports, and the real
 * bot in production auth mode (signed inbound activities, outbound tokens), configured through
 * the same contract as in a tenant — only the URLs differ.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseEnv } from 'node:util';
import { createApp, type AppOptions, type BotApp } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/log';
import { ensureCerts } from '../../sandbox/certs';
import { BOT_APP, SSO_APP } from '../../sandbox/directory';
import { startEntra, type EntraStandIn } from '../../sandbox/entra';
import { startGraph, type GraphStandIn } from '../../sandbox/graph';
import { standInUrls } from '../../sandbox/launch/botEnv';
import { startTeams, type TeamsStandIn } from '../../sandbox/teams';

export interface World {
  entra: EntraStandIn;
  graph: GraphStandIn;
  teams: TeamsStandIn;
  bot: BotApp;
  botUrl: string;
  /** Every log line the bot wrote, as text. */
  logs(): string;
  close(): Promise<void>;
}

export interface WorldOptions {
  invokeBudgetMs?: number;
  tokenExchangeCopies?: number;
  env?: Record<string, string>;
  /** Outbox worker and pacing settings (notification tests shorten the visibility timeout and polling). */
  notifications?: AppOptions['notifications'];
}

/** test/support → the repository root, also when compiled to dist/test/support (benchmarks import this file). */
function envLocalPath(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'env/.env.local');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('env/.env.local not found above ' + __dirname);
}

const envLocal = parseEnv(fs.readFileSync(envLocalPath(), 'utf8')) as Record<string, string>;

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const certs = ensureCerts();
  const entra = await startEntra({ certs, port: 0 });
  const graph = await startGraph({ certs, entraUrl: entra.url, port: 0 });
  const teams = await startTeams({
    certs,
    port: 0,
    entra,
    botAppId: BOT_APP.id,
    ssoAppIdUri: SSO_APP.appIdUri,
    tokenExchangeCopies: opts.tokenExchangeCopies,
  });
  const config = loadConfig({
    ...envLocal,
    PORT: '3978',
    ...standInUrls({ channelUrl: teams.url, openIdMetadataUrl: teams.openIdMetadataUrl, entraUrl: entra.url, graphUrl: graph.url }),
    AZURE_STORAGE_CONNECTION_STRING: '',
    LOG_LEVEL: 'debug',
    ...opts.env,
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const bot = createApp(config, { logger: createLogger('debug', sink), invokeBudgetMs: opts.invokeBudgetMs, notifications: opts.notifications });
  const botUrl = await bot.listen(0);
  teams.setBotEndpoint(`${botUrl}/api/messages`);
  return {
    entra,
    graph,
    teams,
    bot,
    botUrl,
    logs: () => lines.join(''),
    close: async () => {
      await teams.settled().catch(() => undefined);
      await bot.close();
      await teams.close();
      await graph.close();
      await entra.close();
    },
  };
}
