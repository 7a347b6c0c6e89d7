/** bench/results.md: every figure with what it was measured against and how. */
import os from 'node:os';
import type { Fanout } from './measures/fanout';
import type { FullFlowResult, Percentiles } from './measures/fullFlow';
import type { HelpResult } from './measures/help';
import type { OboResult } from './measures/obo';
import type { RssResult } from './measures/rss';
import type { StartToReady } from './measures/startToReady';
import { OPERATIONS, PHASES, type StorageOpsResult } from './measures/storageOps';
import { judgeGoals, readCauses } from './goals';
import { fmt } from './lib/stats';

export interface BenchReport {
  startedAt: Date;
  durationS: number;
  versions: Record<string, string>;
  help?: HelpResult;
  fullFlow: FullFlowResult[];
  storageOps?: StorageOpsResult;
  obo?: OboResult;
  rss: RssResult[];
  startToReady: StartToReady;
  fanout: Fanout;
  notes: string[];
}

const ms = (n: number) => fmt(n, 1);
const pctRow = (name: string, p: Percentiles) => `| ${name} | ${ms(p.p50)} | ${ms(p.p95)} | ${ms(p.p99)} | ${ms(p.mean)} |`;

export function renderReport(r: BenchReport, causes: Record<string, string> = readCauses()): string {
  const cpus = os.cpus();
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(`Measured ${r.startedAt.toISOString()} by \`npm run bench\` in ${fmt(r.durationS, 0)} s, on one machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ` +
    `${fmt(os.totalmem() / 2 ** 30, 0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}. ` +
    `Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  out.push('');
  out.push('Setup, the same for every figure unless a section says otherwise: the bot (`node dist/bot/index.js`) and the baseline echo bot ' +
    '(`node dist/bench/echo-bot.js`: bare botbuilder + restify, the same production auth mode) run as child processes; the Teams, Entra and Graph ' +
    'stand-ins and the driver run in the bench process, on loopback HTTPS. Every activity is signed by the Teams stand-in and verified by botbuilder; ' +
    'every reply goes to the stand-in Connector with an outbound token from the Entra stand-in. Teams\' send rate limits are lifted in the stand-in for ' +
    'these runs (they would cap both bots at 50 requests/s per tenant). Nothing below is hard-coded: each number comes from this run.');
  out.push('');

  out.push('## Goals (issue 11)');
  out.push('');
  out.push('Each goal judged on this run\'s figures below. A missed goal is followed by what profiling found (bench/causes.md).');
  out.push('');
  out.push('| goal | measured | met |');
  out.push('|---|---|---|');
  const goals = judgeGoals(r);
  for (const g of goals) out.push(`| ${g.goal} | ${g.measured} | ${g.met === undefined ? 'not measured' : g.met ? 'yes' : '**no**'} |`);
  out.push('');
  for (const g of goals.filter((x) => x.met === false)) {
    out.push(`**Missed: ${g.goal}.** ${causes[g.id] ?? 'No profiling result is recorded for this goal yet (bench/causes.md).'}`);
    out.push('');
  }

  out.push('## `help` turns per second, bot ÷ echo bot');
  out.push('');
  if (!r.help) out.push('Not measured in this run.');
  else {
    const h = r.help;
    out.push(`Measured against: the bare echo bot, pair by pair. ${h.options.pairs} pairs of runs alternating echo, bot, echo, bot …; each run ${h.options.turnsPerRun} ` +
      `\`help\` messages from 4 personal chats at a fixed concurrency of ${h.options.concurrency}, after ${h.options.warmupTurns} warm-up turns per bot. ` +
      'A turn counts once the bot answered the delivery (HTTP 200) and its reply reached the Connector stand-in. The bot answers with its help card; ' +
      'the echo bot once with a one-line text and once (a second process, ECHO_REPLY=help-card) with the same help card, so the second ratio is the bot\'s overhead, not the card\'s size. ' +
      'Each round runs echo, echo with card, bot.');
    out.push('');
    out.push('| round | echo bot turns/s | echo with card turns/s | bot turns/s | ratio bot/echo | ratio bot/echo with card | echo CPU ms/turn | echo with card CPU ms/turn | bot CPU ms/turn | CPU ratio bot/echo | CPU ratio bot/echo with card |');
    out.push('|---|---|---|---|---|---|---|---|---|---|---|');
    h.pairs.forEach((p, i) => out.push(`| ${i + 1} | ${fmt(p.echoPerSecond)} | ${fmt(p.echoCardPerSecond)} | ${fmt(p.botPerSecond)} | ${fmt(p.ratio, 3)} | ${fmt(p.ratioCard, 3)} | ` +
      `${fmt(p.echoCpuMs, 2)} | ${fmt(p.echoCardCpuMs, 2)} | ${fmt(p.botCpuMs, 2)} | ${fmt(p.cpuRatio, 3)} | ${fmt(p.cpuRatioCard, 3)} |`));
    out.push('');
    out.push(`**Turns/s ratio bot/echo: min ${fmt(h.ratio.min, 3)}, median ${fmt(h.ratio.median, 3)}, max ${fmt(h.ratio.max, 3)}.** ` +
      `Echo bot median ${fmt(h.echo.median)} turns/s, bot median ${fmt(h.bot.median)} turns/s. Failed turns: ${h.failures}.`);
    out.push('');
    out.push(`**CPU per turn ratio bot/echo (the bot process's user + system time from /proc/<pid>/stat, 10 ms ticks, over each run): min ${fmt(h.cpuRatio.min, 3)}, median ${fmt(h.cpuRatio.median, 3)}, max ${fmt(h.cpuRatio.max, 3)}** ` +
      `(echo bot median ${fmt(h.echoCpuMs.median, 2)} ms, bot median ${fmt(h.botCpuMs.median, 2)} ms). ` +
      'Turns/s is bounded by the whole loop on this machine (driver, stand-ins and bot share the cores), CPU per turn is the bot process alone.');
    out.push('');
    out.push(`**Against the echo bot answering with the help card: turns/s ratio median ${fmt(h.ratioCard.median, 3)} (min ${fmt(h.ratioCard.min, 3)}, max ${fmt(h.ratioCard.max, 3)}), ` +
      `CPU per turn ratio median ${fmt(h.cpuRatioCard.median, 3)} (min ${fmt(h.cpuRatioCard.min, 3)}, max ${fmt(h.cpuRatioCard.max, 3)})** ` +
      `(echo with card median ${fmt(h.echoCard.median)} turns/s, ${fmt(h.echoCardCpuMs.median, 2)} ms CPU per turn).`);
  }
  out.push('');

  out.push('## Full flow: message → confirmation card → Confirm → result card');
  out.push('');
  if (r.fullFlow.length === 0) out.push('Not measured in this run.');
  for (const f of r.fullFlow) {
    out.push(`### ${f.label}`);
    out.push('');
    out.push(`Measured against: the stand-ins (the echo bot has no such flow). Alex and Adele, each in their personal chat, ask \`set upload <id> to <status>\` ` +
      'and press Confirm; a flow counts when the result card replaced the confirmation. The first flow per person (Teams SSO + OBO) is in the warm-up ' +
      `(${f.options.warmupFlows} flows). The Graph stand-in's Intune write limit (100 PATCH / 20 s / tenant — in production that caps this flow at 5/s per tenant) ` +
      'is reset between batches of 90 flows so the figure is the bot\'s, not the limiter\'s.');
    out.push('');
    out.push(`Throughput at concurrency ${f.options.concurrency}: **${fmt(f.concurrent.perSecond)} flows/s** (${f.concurrent.flows} flows); ` +
      `the stand-ins were busy serving requests ${fmt(f.concurrent.standInBusyShare * 100, 0)} % of that wall time. One at a time: ${fmt(f.serial.perSecond)} flows/s.`);
    out.push('');
    out.push(`Latency, ms, one flow at a time (${f.serial.flows} flows), where every request in a flow's window is that flow's:`);
    out.push('');
    out.push('| share | p50 | p95 | p99 | mean |');
    out.push('|---|---|---|---|---|');
    out.push(pctRow('whole flow as the person sees it', f.serial.raw));
    out.push(pctRow('**bot** (its HTTP answers, minus the stand-ins\' time inside them)', f.serial.bot));
    out.push(pctRow('stand-ins\' own time (Teams Connector, Entra, Graph: request to response, server side)', f.serial.standIns));
    out.push(pctRow('the Teams client stand-in and loopback (the rest)', f.serial.client));
    out.push('');
    out.push(`Latency at concurrency ${f.options.concurrency}, whole flow (stand-ins included; requests of concurrent flows cannot be told apart): ` +
      `p50 ${ms(f.concurrent.raw.p50)}, p95 ${ms(f.concurrent.raw.p95)}, p99 ${ms(f.concurrent.raw.p99)} ms.`);
    out.push('');
    out.push(`Failed flows: ${f.failures}; flows whose Confirm did not show the result card: ${f.notApplied}.`);
    out.push('');
  }

  out.push('## Storage operations per full flow');
  out.push('');
  if (!r.storageOps) out.push('Not measured in this run.');
  else {
    const so = r.storageOps;
    out.push(`Measured against: what the storage account receives. The bot's AZURE_STORAGE_CONNECTION_STRING points at a pass-through proxy in front of Azurite ` +
      `(test/support/storage-faults.ts, no faults) that records every blob and queue request. ${so.flows} full flows, one at a time, after one warm-up flow per person ` +
      `(Teams SSO and OBO); each request is counted in the phase it happened in: the \`set upload\` turn, the Confirm turn (until the result card is back), ` +
      `and the outbox worker's fan-out of the announcement (its notify-* blobs and message deletes, collected until ${fmt(so.settleMs / 1000, 1)} s after the Confirm). Mean per flow:`);
    out.push('');
    out.push(`| phase | ${OPERATIONS.join(' | ')} |`);
    out.push(`|---|${OPERATIONS.map(() => '---').join('|')}|`);
    for (const p of PHASES) out.push(`| ${p} | ${OPERATIONS.map((o) => fmt(so.perFlow[p][o], 1)).join(' | ')} |`);
    out.push('');
    out.push(`Background, not per flow: ${so.background.queuePolls} queue receives (the worker's polls) and ${so.background.listings} blob listings (the sweeper) in ${fmt(so.background.seconds, 0)} s. ` +
      (so.failures.length ? `Failed flows: ${so.failures.length} (${so.failures.slice(0, 3).join('; ')}).` : 'Failed flows: 0.'));
  }
  out.push('');

  out.push('## OBO calls per user over 100 commands');
  out.push('');
  if (!r.obo) out.push('Not measured in this run.');
  else {
    const o = r.obo;
    out.push(`Measured against: the Entra stand-in's token endpoint (successful on-behalf-of grants per user), on a bot started fresh for this measure. ` +
      `${o.commandsPerUser} commands per person, ${o.mix}; Alex and Adele in parallel, each in their personal chat.`);
    out.push('');
    out.push('| person | OBO grants | SSO token exchanges sent by Teams |');
    out.push('|---|---|---|');
    for (const [person, n] of Object.entries(o.perUser)) out.push(`| ${person} | ${n} | ${o.tokenExchanges[person] ?? 0} |`);
    out.push('');
    out.push(o.failures.length ? `Failed commands (${o.failures.length}): ${o.failures.slice(0, 5).join('; ')}` : 'No command failed.');
  }
  out.push('');

  out.push('## Memory: RSS with 50 / 200 / 500 conversations');
  out.push('');
  if (r.rss.length === 0) out.push('Not measured in this run.');
  else {
    out.push('Measured against: the echo bot under the same load. VmRSS of the bot process from /proc/<pid>/status (MiB), on a freshly started process, ' +
      'after 20 warm-up turns, then after each level of group chats that each had one turn (concurrency 50, 1 s settle before reading). ' +
      'For the bot every conversation asked `set upload … to complete` and holds an unconfirmed change; the echo bot answered one message per conversation. Peak = VmHWM.');
    out.push('');
    const levels = r.rss[0].points.map((p) => p.conversations);
    out.push(`| process | ${levels.map((l) => (l === 0 ? 'after warm-up' : `${l} conversations`)).join(' | ')} | peak | failed turns |`);
    out.push(`|---|${levels.map(() => '---').join('|')}|---|---|`);
    for (const x of r.rss) {
      out.push(`| ${x.label} | ${x.points.map((p) => fmt(p.rssMiB)).join(' | ')} | ${fmt(Math.max(...x.points.map((p) => p.peakMiB)))} | ${x.failures} |`);
    }
  }
  out.push('');

  out.push('## Time from `npm start` to ready');
  out.push('');
  if (r.startToReady.measurable) {
    const s = r.startToReady;
    out.push(`Measured against: the wall clock, from spawning \`node dist/sandbox/start.js\` (what \`npm start\` runs after \`npm run build\`, whose compile time is not included) until ${s.readyMeans}. ` +
      `${s.runs.length} runs: min ${fmt(s.summary.min / 1000, 2)} s, median ${fmt(s.summary.median / 1000, 2)} s, max ${fmt(s.summary.max / 1000, 2)} s.`);
  } else {
    out.push(...notMeasurable(r.startToReady.why, r.startToReady.output, r.startToReady.outputTitle ?? 'Output:'));
  }
  out.push('');

  out.push('## Notification fan-out');
  out.push('');
  if (r.fanout.measurable) {
    out.push(`From ${r.fanout.source} (written by the notifications bench, ${r.fanout.modified.toISOString()}), included as it is:`);
    out.push('');
    out.push(r.fanout.markdown.trim());
  } else {
    out.push(`Not measurable in this run: ${r.fanout.why}.`);
  }
  out.push('');

  if (r.notes.length) {
    out.push('## Notes');
    out.push('');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

/**
 * "Not measurable" with its whole cause: the reason, then what the failing process said, verbatim
 * in a fenced block (a fence longer than any backtick run inside, so nothing it printed breaks out).
 */
export function notMeasurable(why: string, output: string | undefined, intro: string): string[] {
  const lines = [`Not measurable in this run: ${why}.`];
  if (!output?.trim()) return lines;
  const longestRun = Math.max(2, ...(output.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longestRun + 1);
  lines.push('', intro, '', fence, output.trimEnd(), fence);
  return lines;
}

/** Splits markdown at its `## ` headings: [preamble, section, section …], each with its own lines. */
function sections(markdown: string): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## ') && current.length) {
      parts.push(current.join('\n'));
      current = [];
    }
    current.push(line);
  }
  parts.push(current.join('\n'));
  return parts;
}

/**
 * `previous` with the sections whose heading starts with one of `headings` taken from `fresh`,
 * each followed by `note` (what was re-measured and when). Sections `previous` lacks are appended.
 */
export function spliceSections(previous: string, fresh: string, headings: string[], note: string): string {
  const replacement = new Map<string, string>();
  for (const part of sections(fresh)) {
    const heading = headings.find((h) => part.startsWith(h));
    if (heading) replacement.set(heading, `${part.trimEnd()}\n\n${note}\n`);
  }
  const out = sections(previous).map((part) => {
    const heading = headings.find((h) => part.startsWith(h));
    if (!heading || !replacement.has(heading)) return part;
    const fresher = replacement.get(heading)!;
    replacement.delete(heading);
    return fresher;
  });
  return [...out, ...replacement.values()].join('\n');
}
