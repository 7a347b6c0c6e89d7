/**
 * The full flow — `set upload <id> to <status>` → confirmation card → Confirm → result card —
 * per second at a fixed concurrency, and its latency with the stand-ins' own time taken out.
 *
 * The latency split is exact only when one flow runs at a time (every stand-in request and every
 * delivery in the window belongs to that flow), so percentiles are taken from a serial run; the
 * concurrent run gives throughput and raw latency.
 *
 * The Graph stand-in enforces Intune's write limit (100 PATCH per 20 s per app per tenant, i.e. 5
 * changes/s): flows run in batches (uploads created + flows ≤ 95 writes) with `graph.reset()` between
 * them, so the figure is the bot's, not the limiter's. In a real tenant Intune caps this flow at 5/s.
 * Each in-flight flow has an upload of its own and asks for a status it does not have yet.
 */
import type { UserKey } from '../../sandbox/directory';
import type { ChatView } from '../../sandbox/teams';
import { runConcurrent, type RunResult } from '../lib/driver';
import { fullFlow, type FlowOutcome } from '../lib/flows';
import { overlap, total, within } from '../lib/intervals';
import type { BotProcess } from '../lib/processes';
import type { StandIns } from '../lib/standins';
import type { Timing } from '../lib/timing';
import { createUploads, UploadPool, type Status } from '../lib/uploads';
import { mean, percentile } from '../lib/stats';

/** Writes (uploads created + PATCHes) per batch, under Intune's 100 per 20 s. */
const WRITES_PER_BATCH = 95;

export interface FullFlowOptions {
  serialFlows: number;
  concurrentFlows: number;
  concurrency: number;
  warmupFlows: number;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

export interface FullFlowResult {
  options: FullFlowOptions;
  label: string;
  serial: { raw: Percentiles; standIns: Percentiles; bot: Percentiles; client: Percentiles; flows: number; perSecond: number };
  concurrent: { raw: Percentiles; perSecond: number; flows: number; standInBusyShare: number };
  notApplied: number;
  failures: number;
}

const pct = (xs: number[]): Percentiles => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99), mean: mean(xs) });

/** Runs `count` flows in batches under Intune's write window; returns every batch's result. */
async function batched(s: StandIns, chats: ChatView[], count: number, concurrency: number): Promise<RunResult<FlowOutcome>[]> {
  const runs: RunResult<FlowOutcome>[] = [];
  let done = 0;
  const poolSize = concurrency + 4;
  while (done < count) {
    const n = Math.min(WRITES_PER_BATCH - poolSize, count - done);
    s.graph.reset();
    const pool = new UploadPool(await createUploads(s, poolSize), (id) => s.graph.upload(id)?.status as Status | undefined);
    const offset = done;
    runs.push(
      await runConcurrent(n, concurrency, async (i) => {
        const lease = await pool.lease();
        try {
          return await fullFlow(chats[(offset + i) % chats.length], lease.uploadId, lease.target);
        } finally {
          lease.release();
        }
      }),
    );
    done += n;
  }
  return runs;
}

export async function measureFullFlow(
  s: StandIns,
  timing: Timing,
  bot: BotProcess,
  opts: FullFlowOptions,
  label: string,
  log: (m: string) => void,
): Promise<FullFlowResult> {
  s.teams.setBotEndpoint(bot.endpoint);
  const people: UserKey[] = ['alex', 'adele'];
  const chats = people.map((p) => s.teams.personalChat(p));
  // Warm-up: the first flow of each person includes Teams SSO and the OBO exchange.
  await batched(s, chats, opts.warmupFlows, 2);

  let failures = 0;
  let notApplied = 0;
  const account = (runs: RunResult<FlowOutcome>[]) => {
    for (const r of runs) {
      failures += r.failures;
      const notDone = r.samples.filter((x) => x.ok && !x.value?.applied);
      notApplied += notDone.length;
      if (notDone.length) log(`  Confirm without the result card: ${notDone[0].value?.resultText.slice(0, 160)}`);
      const failed = r.samples.find((x) => !x.ok);
      if (failed) log(`  failed flow: ${failed.error}`);
    }
  };

  timing.clear();
  const serialRuns = await batched(s, chats, opts.serialFlows, 1);
  account(serialRuns);
  const raw: number[] = [];
  const standIns: number[] = [];
  const botShare: number[] = [];
  const client: number[] = [];
  for (const sample of serialRuns.flatMap((r) => r.samples).filter((x) => x.ok)) {
    const deliveries = within(timing.deliveries.filter((d) => d.port === bot.port), sample.start, sample.end);
    const served = within(timing.served, sample.start, sample.end);
    const rawMs = sample.end - sample.start;
    const standInMs = total(served);
    const botMs = total(deliveries) - overlap(deliveries, served);
    raw.push(rawMs);
    standIns.push(standInMs);
    botShare.push(botMs);
    client.push(rawMs - botMs - standInMs);
  }
  const serialWall = serialRuns.reduce((sum, r) => sum + r.wallMs, 0);
  const serialOk = serialRuns.reduce((sum, r) => sum + r.samples.filter((x) => x.ok).length, 0);

  timing.clear();
  const concurrentRuns = await batched(s, chats, opts.concurrentFlows, opts.concurrency);
  account(concurrentRuns);
  const wall = concurrentRuns.reduce((sum, r) => sum + r.wallMs, 0);
  const ok = concurrentRuns.flatMap((r) => r.samples).filter((x) => x.ok);
  const busy = concurrentRuns.reduce((sum, r) => sum + total(within(timing.served, r.start, r.end)), 0);

  return {
    options: opts,
    label,
    serial: { raw: pct(raw), standIns: pct(standIns), bot: pct(botShare), client: pct(client), flows: serialOk, perSecond: (serialOk * 1000) / serialWall },
    concurrent: {
      raw: pct(ok.map((x) => x.end - x.start)),
      perSecond: (ok.length * 1000) / wall,
      flows: ok.length,
      standInBusyShare: busy / wall,
    },
    notApplied,
    failures,
  };
}
