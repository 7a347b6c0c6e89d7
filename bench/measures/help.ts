/**
 * `help` turns per second, the bot against the echo bot: same stand-in, same signed deliveries,
 * same concurrency, runs alternating echo, echo-with-card, bot, echo … so drift of the machine
 * shows in every run of a round and the ratios are taken round by round. Two baselines: the echo
 * bot answering a line of text, and the echo bot answering with the bot's own help card (same
 * bytes as the bot's answer), so the second ratio is the bot's per-turn overhead alone.
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
  /** The same against the echo bot that answers with the help card. */
  echoCardPerSecond: number;
  echoCardCpuMs: number;
  ratioCard: number;
  cpuRatioCard: number;
}

type Summary = { min: number; median: number; max: number };

export interface HelpResult {
  options: HelpOptions;
  pairs: HelpPair[];
  ratio: { min: number; median: number; max: number };
  echo: { min: number; median: number; max: number };
  bot: { min: number; median: number; max: number };
  cpuRatio: { min: number; median: number; max: number };
  echoCpuMs: { min: number; median: number; max: number };
  botCpuMs: { min: number; median: number; max: number };
  echoCard: Summary;
  echoCardCpuMs: Summary;
  ratioCard: Summary;
  cpuRatioCard: Summary;
  failures: number;
}

const PEOPLE: UserKey[] = ['alex', 'adele', 'megan', 'diego'];

export async function measureHelp(
  s: StandIns,
  echo: BotProcess,
  echoCard: BotProcess,
  bot: BotProcess,
  opts: HelpOptions,
  log: (m: string) => void,
): Promise<HelpResult> {
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
  await run(echoCard, opts.warmupTurns);
  await run(bot, opts.warmupTurns);
  const pairs: HelpPair[] = [];
  for (let i = 0; i < opts.pairs; i++) {
    const e = await run(echo, opts.turnsPerRun);
    const c = await run(echoCard, opts.turnsPerRun);
    const b = await run(bot, opts.turnsPerRun);
    const pair: HelpPair = {
      echoPerSecond: e.perSecond,
      botPerSecond: b.perSecond,
      ratio: b.perSecond / e.perSecond,
      echoCpuMs: e.cpuPerTurn,
      botCpuMs: b.cpuPerTurn,
      cpuRatio: b.cpuPerTurn / e.cpuPerTurn,
      echoCardPerSecond: c.perSecond,
      echoCardCpuMs: c.cpuPerTurn,
      ratioCard: b.perSecond / c.perSecond,
      cpuRatioCard: b.cpuPerTurn / c.cpuPerTurn,
    };
    pairs.push(pair);
    log(`  pair ${i + 1}: echo ${pair.echoPerSecond.toFixed(0)}/s ${pair.echoCpuMs.toFixed(2)} ms CPU/turn, bot ${pair.botPerSecond.toFixed(0)}/s ${pair.botCpuMs.toFixed(2)} ms CPU/turn, ratio ${pair.ratio.toFixed(2)}; echo with card ${pair.echoCardPerSecond.toFixed(0)}/s ${pair.echoCardCpuMs.toFixed(2)} ms, ratio ${pair.ratioCard.toFixed(2)}`);
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
    echoCard: summary(pairs.map((p) => p.echoCardPerSecond)),
    echoCardCpuMs: summary(pairs.map((p) => p.echoCardCpuMs)),
    ratioCard: summary(pairs.map((p) => p.ratioCard)),
    cpuRatioCard: summary(pairs.map((p) => p.cpuRatioCard)),
    failures,
  };
}
