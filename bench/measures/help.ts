/**
 * `help` turns per second, the bot against the echo bot: same stand-in, same signed deliveries,
 * same concurrency, runs alternating echo, bot, echo, bot … so drift of the machine shows in both
 * halves of a pair and the ratio is taken pair by pair.
 */
import type { UserKey } from '../../sandbox/directory';
import type { ChatView } from '../../sandbox/teams';
import { runConcurrent } from '../lib/driver';
import { replyTurn } from '../lib/flows';
import { cpuMs, type BotProcess } from '../lib/processes';
import type { StandIns } from '../lib/standins';
import { summary } from '../lib/stats';

export interface HelpOptions {
  pairs: number;
  turnsPerRun: number;
  warmupTurns: number;
  concurrency: number;
}

export interface HelpPair {
  echoPerSecond: number;
  botPerSecond: number;
  ratio: number;
  /** CPU time of the bot process per turn (user + system, from /proc), ms. */
  echoCpuMs: number;
  botCpuMs: number;
  cpuRatio: number;
}

export interface HelpResult {
  options: HelpOptions;
  pairs: HelpPair[];
  ratio: { min: number; median: number; max: number };
  echo: { min: number; median: number; max: number };
  bot: { min: number; median: number; max: number };
  cpuRatio: { min: number; median: number; max: number };
  echoCpuMs: { min: number; median: number; max: number };
  botCpuMs: { min: number; median: number; max: number };
  failures: number;
}

const PEOPLE: UserKey[] = ['alex', 'adele', 'megan', 'diego'];

export async function measureHelp(s: StandIns, echo: BotProcess, bot: BotProcess, opts: HelpOptions, log: (m: string) => void): Promise<HelpResult> {
  const chats: ChatView[] = PEOPLE.map((p) => s.teams.personalChat(p));
  let failures = 0;
  const run = async (target: BotProcess, turns: number) => {
    s.teams.setBotEndpoint(target.endpoint);
    const cpuBefore = cpuMs(target.pid) ?? NaN;
    const r = await runConcurrent(turns, opts.concurrency, (i) => replyTurn(chats[i % chats.length], 'help'));
    failures += r.failures;
    if (r.failures) log(`  ${target.name}: ${r.failures} failed turns, e.g. ${r.samples.find((x) => !x.ok)?.error}`);
    const cpuPerTurn = ((cpuMs(target.pid) ?? NaN) - cpuBefore) / (turns - r.failures);
    return { perSecond: r.perSecond, cpuPerTurn };
  };
  await run(echo, opts.warmupTurns);
  await run(bot, opts.warmupTurns);
  const pairs: HelpPair[] = [];
  for (let i = 0; i < opts.pairs; i++) {
    const e = await run(echo, opts.turnsPerRun);
    const b = await run(bot, opts.turnsPerRun);
    const pair = {
      echoPerSecond: e.perSecond,
      botPerSecond: b.perSecond,
      ratio: b.perSecond / e.perSecond,
      echoCpuMs: e.cpuPerTurn,
      botCpuMs: b.cpuPerTurn,
      cpuRatio: b.cpuPerTurn / e.cpuPerTurn,
    };
    pairs.push(pair);
    log(`  pair ${i + 1}: echo ${pair.echoPerSecond.toFixed(0)}/s ${pair.echoCpuMs.toFixed(2)} ms CPU/turn, bot ${pair.botPerSecond.toFixed(0)}/s ${pair.botCpuMs.toFixed(2)} ms CPU/turn, ratio ${pair.ratio.toFixed(2)}`);
  }
  return {
    options: opts,
    pairs,
    ratio: summary(pairs.map((p) => p.ratio)),
    echo: summary(pairs.map((p) => p.echoPerSecond)),
    bot: summary(pairs.map((p) => p.botPerSecond)),
    cpuRatio: summary(pairs.map((p) => p.cpuRatio)),
    echoCpuMs: summary(pairs.map((p) => p.echoCpuMs)),
    botCpuMs: summary(pairs.map((p) => p.botCpuMs)),
    failures,
  };
}
