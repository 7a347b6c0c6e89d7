/**
 * Where the Azurite full flow's tail comes from: the full flow at concurrency 16 (as `npm run
 * bench` runs it), with the bot's storage going through the pass-through proxy, which times every
 * request. Prints the storage latency percentiles by kind, the slowest requests, and any status
 * the Azure SDK would have retried. Evidence for bench/causes.md; not part of `npm run bench`.
 *
 *   npm run build && node dist/bench/probe-storage-latency.js
 */
import { randomUUID } from 'node:crypto';
import { spawnAzurite } from '../sandbox/azurite';
import { startStorageFaults } from '../test/support/storage-faults';
import { startBot } from './lib/bots';
import { startStandIns, UNTHROTTLED } from './lib/standins';
import { Timing } from './lib/timing';
import { measureFullFlow } from './measures/fullFlow';
import { classify } from './measures/storageOps';
import { percentile } from './lib/stats';

async function main(): Promise<void> {
  const timing = new Timing().install();
  const s = await startStandIns({ rateLimits: UNTHROTTLED });
  const azurite = await spawnAzurite({ blobPort: 0, queuePort: 0, readyTimeoutMs: 30_000 });
  const proxy = await startStorageFaults(azurite);
  const bot = await startBot(s, 'bot', { name: 'bot', timing, env: { AZURE_STORAGE_CONNECTION_STRING: proxy.connectionString, STATE_CONTAINER: `probe-${randomUUID().slice(0, 8)}` } });
  try {
    const flows = Number(process.env.PROBE_FLOWS ?? 270);
    const from = proxy.requests().length;
    const r = await measureFullFlow(s, timing, bot, { serialFlows: 20, concurrentFlows: flows, concurrency: 16, warmupFlows: 10 }, 'probe', (m) => console.log(m));
    console.log(`whole flow at concurrency 16: p50 ${r.concurrent.raw.p50.toFixed(0)} ms, p95 ${r.concurrent.raw.p95.toFixed(0)}, p99 ${r.concurrent.raw.p99.toFixed(0)}`);
    const reqs = proxy.requests().slice(from).filter((x) => x.answeredMs !== undefined);
    const byKind = new Map<string, number[]>();
    for (const x of reqs) {
      const k = classify(x);
      const list = byKind.get(k) ?? [];
      list.push(x.answeredMs! - x.startedMs);
      byKind.set(k, list);
    }
    console.log('storage latency by kind (ms): count p50 p95 p99 max');
    for (const [k, xs] of byKind) console.log(`  ${k.padEnd(24)} ${String(xs.length).padStart(6)} ${percentile(xs, 50).toFixed(1).padStart(7)} ${percentile(xs, 95).toFixed(1).padStart(7)} ${percentile(xs, 99).toFixed(1).padStart(7)} ${Math.max(...xs).toFixed(1).padStart(7)}`);
    const statuses = new Map<string, number>();
    for (const x of reqs) statuses.set(String(x.outcome), (statuses.get(String(x.outcome)) ?? 0) + 1);
    console.log('statuses:', JSON.stringify(Object.fromEntries(statuses)));
    console.log('slowest 10:');
    for (const x of [...reqs].sort((a, b) => b.answeredMs! - b.startedMs - (a.answeredMs! - a.startedMs)).slice(0, 10)) {
      console.log(`  ${(x.answeredMs! - x.startedMs).toFixed(0).padStart(6)} ms ${x.service} ${x.method} ${x.path.replace(/_[A-Za-z0-9_-]{20,}/, '_…')} → ${x.outcome}`);
    }
  } finally {
    await bot.kill('SIGTERM');
    await proxy.close();
    await azurite.stop();
    await s.close();
    timing.uninstall();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
