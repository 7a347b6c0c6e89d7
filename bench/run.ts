/**
 * `npm run bench`: every figure of issue 6 in one run on this machine, printed and written to
 * bench/results.md. Not part of `npm test`.
 *
 * Sizes can be changed from the environment (defaults in brackets): BENCH_PAIRS [5],
 * BENCH_TURNS [1500], BENCH_CONCURRENCY [16], BENCH_FLOWS [270], BENCH_QUICK=1 (a smoke run
 * with tiny sizes that writes bench/results.quick.md instead), BENCH_START_RUNS [3].
 *
 * `npm run bench -- --only start[,rss,…]` (`node dist/bench/run.js --only …`) measures only the
 * named figures (help, flow, obo, rss, start) and replaces just their sections of the results
 * file, each marked as re-measured.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { spawnAzurite, type RunningAzurite } from '../sandbox/azurite';
import { startBot } from './lib/bots';
import type { BotProcess } from './lib/processes';
import { repoRoot } from './lib/root';
import { startStandIns, UNTHROTTLED } from './lib/standins';
import { Timing } from './lib/timing';
import { readFanout } from './measures/fanout';
import { measureFullFlow, type FullFlowResult } from './measures/fullFlow';
import { measureHelp } from './measures/help';
import { measureObo } from './measures/obo';
import { measureRss, type RssResult } from './measures/rss';
import { measureStartToReady } from './measures/startToReady';
import { measureStorageOps } from './measures/storageOps';
import { renderReport, spliceSections, type BenchReport } from './report';

const int = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
};

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(repoRoot(), 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const MEASURES = ['help', 'flow', 'storage', 'obo', 'rss', 'start'] as const;
type Measure = (typeof MEASURES)[number];
/** The report section each measure writes. */
const SECTION: Record<Measure, string> = {
  help: '## `help` turns per second',
  flow: '## Full flow',
  storage: '## Storage operations per full flow',
  obo: '## OBO calls per user',
  rss: '## Memory: RSS',
  start: '## Time from `npm start` to ready',
};

function onlyArg(argv: string[]): Measure[] | undefined {
  const i = argv.indexOf('--only');
  if (i < 0) return undefined;
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !(MEASURES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length) throw new Error(`--only takes a comma list of: ${MEASURES.join(', ')}${unknown.length ? ` (not: ${unknown.join(', ')})` : ''}`);
  return names as Measure[];
}

async function main(): Promise<void> {
  const only = onlyArg(process.argv.slice(2));
  const wanted = (m: Measure) => !only || only.includes(m);
  const quick = process.env.BENCH_QUICK === '1';
  const concurrency = int('BENCH_CONCURRENCY', 16);
  const log = (m: string) => process.stdout.write(`${m}\n`);
  const started = performance.now();
  const startedAt = new Date();
  const timing = new Timing().install();
  const s = await startStandIns({ rateLimits: UNTHROTTLED });
  const bots: BotProcess[] = [];
  let azurite: RunningAzurite | undefined;
  const notes: string[] = [];
  const report: BenchReport = {
    startedAt,
    durationS: 0,
    versions: { botbuilder: versionOf('botbuilder'), restify: versionOf('restify'), '@azure/identity': versionOf('@azure/identity'), azurite: versionOf('azurite') },
    fullFlow: [],
    rss: [],
    startToReady: { measurable: false, why: 'not run' },
    fanout: readFanout(),
    notes,
  };
  const fresh = async (kind: 'bot' | 'echo', name: string, env?: Record<string, string>) => {
    const b = await startBot(s, kind, { name, env, timing });
    bots.push(b);
    return b;
  };
  const stop = async (b: BotProcess) => {
    await b.kill('SIGTERM');
    bots.splice(bots.indexOf(b), 1);
  };

  try {
    azurite = await spawnAzurite({ blobPort: 0, queuePort: 0, readyTimeoutMs: 30_000 });
    const azuriteEnv = () => ({ AZURE_STORAGE_CONNECTION_STRING: azurite!.connectionString, STATE_CONTAINER: `bench-${randomUUID().slice(0, 8)}` });

    if (wanted('help')) {
      log('help turns/s: echo bot vs bot');
      const echo = await fresh('echo', 'echo bot');
      const echoCard = await fresh('echo', 'echo bot answering with the help card', { ECHO_REPLY: 'help-card' });
      const bot = await fresh('bot', 'bot');
      report.help = await measureHelp(s, echo, echoCard, bot, {
        pairs: quick ? 2 : int('BENCH_PAIRS', 5),
        turnsPerRun: quick ? 100 : int('BENCH_TURNS', 1500),
        warmupTurns: quick ? 50 : 500,
        concurrency,
      }, log);
      await stop(echo);
      await stop(echoCard);
      await stop(bot);
    }

    const flowOptions = {
      serialFlows: quick ? 20 : int('BENCH_FLOWS', 270),
      concurrentFlows: quick ? 40 : int('BENCH_FLOWS', 270) * 2,
      concurrency,
      warmupFlows: quick ? 4 : 30,
    };
    const flows: Array<[string, Record<string, string> | undefined]> = [
      ['state in memory (MemoryStorage): the bot\'s own cost', undefined],
      ['state in Azurite (BlobsStorage), as deployed: storage round trips count as the bot\'s time', azuriteEnv()],
    ];
    for (const [label, env] of wanted('flow') ? flows : []) {
      log(`full flow: ${label}`);
      const bot = await fresh('bot', 'bot', env);
      const result: FullFlowResult = await measureFullFlow(s, timing, bot, flowOptions, label, log);
      log(`  ${result.concurrent.perSecond.toFixed(1)} flows/s; serial bot p50 ${result.serial.bot.p50.toFixed(1)} ms, stand-ins p50 ${result.serial.standIns.p50.toFixed(1)} ms`);
      report.fullFlow.push(result);
      await stop(bot);
    }

    if (wanted('storage')) {
      log('storage operations per full flow (Azurite, counted by a pass-through proxy)');
      report.storageOps = await measureStorageOps(s, azurite, { flows: quick ? 4 : int('BENCH_STORAGE_FLOWS', 20), settleMs: 1500, container: `bench-${randomUUID().slice(0, 8)}`, trace: process.env.BENCH_STORAGE_TRACE === '1' }, log);
      const confirm = report.storageOps.perFlow['Confirm turn'];
      log(`  Confirm turn: ${confirm['blob read'] + confirm['blob write'] + confirm['blob delete']} blob operations, ${confirm['queue message sent']} queue messages`);
    }

    if (wanted('obo')) {
      log('OBO calls per user');
      const bot = await fresh('bot', 'bot', azuriteEnv());
      report.obo = await measureObo(s, bot, quick ? 20 : 100);
      log(`  ${JSON.stringify(report.obo.perUser)}`);
      await stop(bot);
    }

    if (wanted('rss')) log('RSS at 50/200/500 conversations');
    const levels = quick ? [10, 20] : [50, 200, 500];
    const rssRuns: Array<['bot' | 'echo', string, Record<string, string> | undefined]> = [
      ['echo', 'echo bot', undefined],
      ['bot', 'bot, state in memory', undefined],
      ['bot', 'bot, state in Azurite', azuriteEnv()],
    ];
    for (const [kind, label, env] of wanted('rss') ? rssRuns : []) {
      const b = await fresh(kind, label, env);
      const r: RssResult = await measureRss(s, b, kind, label, levels, 50);
      log(`  ${label}: ${r.points.map((p) => `${p.conversations}→${p.rssMiB.toFixed(0)} MiB`).join(', ')}`);
      report.rss.push(r);
      await stop(b);
    }

  } finally {
    for (const b of [...bots]) await b.kill('SIGKILL');
    await s.close();
    await azurite?.stop();
    timing.uninstall();
  }

  // Last, with every stand-in, Azurite and bot of the measures above gone: they listen on
  // ephemeral ports, and each of their sockets (listening or a pooled connection) can hold one of
  // the launcher's fixed ports — the Playground's 56150 lies inside Linux's ephemeral range.
  if (wanted('start')) {
    log('npm start → ready');
    report.startToReady = await measureStartToReady(quick ? 1 : int('BENCH_START_RUNS', 3));
    const r = report.startToReady;
    log(`  ${r.measurable ? `${r.summary.median.toFixed(0)} ms (median)` : `${r.why}${r.output ? `\n${r.output}` : ''}`}`);
  }

  if (s.teams.clientErrors().length) notes.push(`The Teams client stand-in reported ${s.teams.clientErrors().length} background errors, e.g. ${s.teams.clientErrors()[0].message}`);
  report.durationS = (performance.now() - started) / 1000;
  let markdown = renderReport(report);
  const file = path.join(repoRoot(), quick ? 'bench/results.quick.md' : 'bench/results.md');
  if (only) {
    const note = `_Re-measured alone ${startedAt.toISOString()} by \`node dist/bench/run.js --only ${only.join(',')}\`; the rest of this file is from the run named at the top._`;
    const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : markdown;
    markdown = spliceSections(previous, markdown, only.map((m) => SECTION[m]), note);
  }
  fs.writeFileSync(file, markdown);
  log('');
  log(markdown);
  log(`written to ${path.relative(repoRoot(), file)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
