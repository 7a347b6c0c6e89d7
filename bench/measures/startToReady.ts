/**
 * Time from starting the sandbox launcher (`node dist/sandbox/start.js`, what `npm start` runs after
 * its build) until the bot answers /healthz on its port and the launcher said it is ready. Not
 * measurable until the launcher exists, or while its ports are taken by something else.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { sleep } from '../lib/driver';
import { healthz } from '../lib/processes';
import { distHas, distEntry, envLocal, repoRoot } from '../lib/root';
import { summary } from '../lib/stats';

export type StartToReady =
  | { measurable: true; runs: number[]; summary: { min: number; median: number; max: number }; readyMeans: string; healthzOnly: boolean }
  | { measurable: false; why: string };

const LAUNCHER = 'sandbox/start.js';

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}


/** ms until the bot's /healthz answered 200 and, if the launcher announces it, its "ready" line. */
async function once(port: number, timeoutMs: number): Promise<{ ms: number; saidReady: boolean }> {
  const started = performance.now();
  const child = spawn(process.execPath, [distEntry(LAUNCHER)], {
    cwd: repoRoot(),
    env: { ...process.env, APPLICATION_INSIGHTS_NO_STATSBEAT: 'true' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let readyAt: number | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      output.push(chunk);
      if (readyAt === undefined && /\bready\b/i.test(chunk)) readyAt = performance.now();
    });
  }
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  try {
    for (;;) {
      if (exited) throw new Error(`the launcher exited before it was ready:\n${output.join('').slice(-2000)}`);
      if (performance.now() - started > timeoutMs) throw new Error(`not ready after ${timeoutMs} ms:\n${output.join('').slice(-2000)}`);
      if (await healthz(port)) break;
      await sleep(50);
    }
    const healthyAt = performance.now();
    // A launcher that announces readiness is ready when it says so (all parts up), not before.
    while (readyAt === undefined && !exited && performance.now() - healthyAt < 15_000) await sleep(50);
    return readyAt === undefined ? { ms: healthyAt - started, saidReady: false } : { ms: Math.max(readyAt, healthyAt) - started, saidReady: true };
  } finally {
    child.kill('SIGINT');
    const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(hard);
    // Let its children (Azurite, the Playground) release their ports before the next run.
    await sleep(1000);
  }
}

export async function measureStartToReady(runs: number, timeoutMs = 120_000): Promise<StartToReady> {
  if (!distHas(LAUNCHER)) return { measurable: false, why: 'the launcher (dist/sandbox/start.js, issue "npm start") is not built in this checkout' };
  const port = Number(envLocal().PORT ?? 3978);
  const ports = [port, 3979, 3980, 3981, 10000, 10001, 56150];
  for (const p of ports) {
    if (await portTaken(p)) return { measurable: false, why: `port ${p} is in use by another process, so the launcher cannot start here` };
  }
  const times: number[] = [];
  let healthzOnly = false;
  try {
    for (let i = 0; i < runs; i++) {
      const r = await once(port, timeoutMs);
      times.push(r.ms);
      if (!r.saidReady) healthzOnly = true;
    }
  } catch (err) {
    return { measurable: false, why: `the launcher did not become ready: ${(err as Error).message.split('\n')[0]}` };
  }
  return {
    measurable: true,
    runs: times,
    summary: summary(times),
    readyMeans: healthzOnly
      ? `GET http://127.0.0.1:${port}/healthz answered 200 (the launcher printed no "ready" line)`
      : `the launcher printed a line containing "ready" and GET http://127.0.0.1:${port}/healthz answered 200`,
    healthzOnly,
  };
}
