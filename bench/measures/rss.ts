/**
 * Resident memory of a bot process (VmRSS from /proc/<pid>/status) as conversations accumulate:
 * after warm-up, then with 50, 200 and 500 conversations that each had a turn. For the bot every
 * conversation holds a pending change (`set upload … to complete`, not confirmed), the state a
 * conversation leaves behind; for the echo bot every conversation got one echo.
 */
import { SEED } from '../../sandbox/graph';
import { runConcurrent, sleep } from '../lib/driver';
import { confirmationIn, replyTurn } from '../lib/flows';
import type { BotProcess } from '../lib/processes';
import type { StandIns } from '../lib/standins';

export interface RssPoint {
  conversations: number;
  rssMiB: number;
  peakMiB: number;
}

export interface RssResult {
  label: string;
  points: RssPoint[];
  failures: number;
}

const mib = (kib: number | undefined) => (kib ?? NaN) / 1024;

export async function measureRss(s: StandIns, bot: BotProcess, kind: 'bot' | 'echo', label: string, levels: number[], concurrency: number): Promise<RssResult> {
  s.teams.setBotEndpoint(bot.endpoint);
  s.graph.reset();
  const tag = `${label.replace(/\W+/g, '-')}-${bot.pid}`;
  // Warm-up: sign-in for alex (bot), code paths loaded, JIT warm.
  const warm = s.teams.personalChat('alex');
  for (let i = 0; i < 20; i++) await replyTurn(warm, 'help');
  if (kind === 'bot') await replyTurn(warm, `set upload ${SEED.pending} to complete`);
  await sleep(1000);
  const points: RssPoint[] = [{ conversations: 0, rssMiB: mib(bot.rssKiB()), peakMiB: mib(bot.peakRssKiB()) }];
  let failures = 0;
  let have = 0;
  for (const level of levels) {
    const from = have;
    const r = await runConcurrent(level - from, concurrency, async (i) => {
      const chat = s.teams.groupChat(`${tag}-${from + i}`, ['alex', 'adele']).as('alex');
      if (kind === 'echo') return void (await replyTurn(chat, 'hello'));
      const turn = await chat.send(`set upload ${SEED.pending} to complete`);
      if (!confirmationIn(chat, turn)) throw new Error('no confirmation card');
    });
    failures += r.failures;
    have = level;
    await sleep(1000);
    points.push({ conversations: level, rssMiB: mib(bot.rssKiB()), peakMiB: mib(bot.peakRssKiB()) });
  }
  return { label, points, failures };
}
