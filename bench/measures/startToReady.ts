/**
 * Time from starting the sandbox launcher (`node dist/sandbox/start.js`, what `npm start` runs after
 * its build) until the bot answers /healthz on its port and the launcher said it is ready. Not
 * measurable until the launcher exists, or while its ports are taken by something else.
 *
 * When a run fails, the figure carries the launcher's own last lines: "it exited" says nothing,
 * its "port 10000 is already in use" says what to fix.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { assertPortsFree, resolvePorts, type SandboxPorts } from '../../sandbox/launch/ports';
import { sleep } from '../lib/driver';
import { describeHolders, portHolders } from '../lib/portHolders';
import { healthz } from '../lib/processes';
import { distHas, distEntry, repoRoot } from '../lib/root';
import { summary } from '../lib/stats';

export type StartToReady =
  | { measurable: true; runs: number[]; summary: { min: number; median: number; max: number }; readyMeans: string; healthzOnly: boolean }
  /** `output`: what shows the cause (the launcher's last lines, who holds a port), `outputTitle` says which. */
  | { measurable: false; why: string; output?: string; outputTitle?: string };

const LAUNCHER = 'sandbox/start.js';
/** Lines of launcher output a failed figure keeps. */
const TAIL_LINES = 40;
/** How long the sandbox's ports may stay busy after a run before the next run is called off. */
const PORTS_RELEASE_MS = 30_000;

const LAUNCHER_LINES = 'The launcher\'s last lines:';
const HOLDERS = 'The ports, as the launcher checks them, and who holds them:';

class NotReady extends Error {
  constructor(
    why: string,
    readonly output: string,
    readonly title = LAUNCHER_LINES,
  ) {
    super(why);
  }
}

export function lastLines(text: string, n = TAIL_LINES): string {
  return text.split(/\r?\n/).filter((l) => l.trim()).slice(-n).join('\n');
}

/** ms until the bot's /healthz answered 200 and, if the launcher announces it, its "ready" line. */
async function once(env: NodeJS.ProcessEnv, port: number, timeoutMs: number): Promise<{ ms: number; saidReady: boolean }> {
  const started = performance.now();
  const child = spawn(process.execPath, [distEntry(LAUNCHER)], {
    cwd: repoRoot(),
    env,
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
  let exit: string | undefined;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = signal ?? `code ${code}`;
      resolve();
    }),
  );
  try {
    for (;;) {
      if (exit) throw new NotReady(`the launcher exited (${exit}) before it was ready`, lastLines(output.join('')));
      if (performance.now() - started > timeoutMs) throw new NotReady(`the launcher was not ready after ${timeoutMs} ms`, lastLines(output.join('')));
      if (await healthz(port)) break;
      await sleep(50);
    }
    const healthyAt = performance.now();
    // A launcher that announces readiness is ready when it says so (all parts up), not before.
    while (readyAt === undefined && !exit && performance.now() - healthyAt < 15_000) await sleep(50);
    return readyAt === undefined ? { ms: healthyAt - started, saidReady: false } : { ms: Math.max(readyAt, healthyAt) - started, saidReady: true };
  } finally {
    child.kill('SIGINT');
    const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(hard);
  }
}

/** Undefined when every port is free; else the launcher's own complaint and who holds each port. */
async function busyPorts(ports: SandboxPorts): Promise<string | undefined> {
  try {
    await assertPortsFree(ports);
    return undefined;
  } catch (err) {
    const held = Object.values(ports).filter((p) => portHolders(p).length > 0);
    return [(err as Error).message, ...held.map(describeHolders)].join('\n');
  }
}

/**
 * The launcher's children (Azurite, the bot, the Playground) stop after the launcher itself: the
 * next run must wait until they let go of their ports, or it measures its own predecessor's
 * "port in use". Checked the way the launcher checks (sandbox/launch/ports.ts), so both agree.
 */
async function portsReleased(ports: SandboxPorts, limitMs: number): Promise<void> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const busy = await busyPorts(ports);
    if (!busy) return;
    if (performance.now() > deadline) throw new NotReady(`the previous run's processes still held their ports ${limitMs / 1000} s after it stopped`, busy, HOLDERS);
    await sleep(200);
  }
}

export async function measureStartToReady(runs: number, timeoutMs = 120_000): Promise<StartToReady> {
  if (!distHas(LAUNCHER)) return { measurable: false, why: 'the launcher (dist/sandbox/start.js, issue "npm start") is not built in this checkout' };
  const env = { ...process.env, APPLICATION_INSIGHTS_NO_STATSBEAT: 'true' };
  // The ports the launcher will use, from the same variables it reads (BOT_PORT, AZURITE_BLOB_PORT …).
  const ports = resolvePorts(env);
  const busy = await busyPorts(ports);
  if (busy) return { measurable: false, why: 'ports the launcher needs are in use, so it cannot start here', output: busy, outputTitle: HOLDERS };
  const times: number[] = [];
  let healthzOnly = false;
  try {
    for (let i = 0; i < runs; i++) {
      if (i > 0) await portsReleased(ports, PORTS_RELEASE_MS);
      const r = await once(env, ports.bot, timeoutMs);
      times.push(r.ms);
      if (!r.saidReady) healthzOnly = true;
    }
  } catch (err) {
    const run = `run ${times.length + 1} of ${runs}`;
    if (err instanceof NotReady) {
      // A port taken after the check (a shared machine) shows in the launcher's output; say by whom.
      const busy = await busyPorts(ports);
      return { measurable: false, why: `${run}: ${err.message}`, output: busy ? `${err.output}\n\nNow:\n${busy}` : err.output, outputTitle: err.title };
    }
    return { measurable: false, why: `${run}: ${(err as Error).message}`, output: (err as Error).stack, outputTitle: 'Where it failed:' };
  }
  return {
    measurable: true,
    runs: times,
    summary: summary(times),
    readyMeans: healthzOnly
      ? `GET http://127.0.0.1:${ports.bot}/healthz answered 200 (the launcher printed no "ready" line)`
      : `the launcher printed a line containing "ready" and GET http://127.0.0.1:${ports.bot}/healthz answered 200`,
    healthzOnly,
  };
}
