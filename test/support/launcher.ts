/**
 * `node dist/sandbox/start.js` — what `npm start` runs — as the end-to-end tests start it: on free
 * loopback ports of its own, so a suite never meets a developer's `npm start` or another suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const ENTRY = path.join(ROOT, 'dist', 'sandbox', 'start.js');
const READY_TIMEOUT_MS = 120_000;

/** Each part's port and the variable that moves it (README, "Sandbox ports"). */
const PORT_VARIABLES = {
  bot: 'BOT_PORT',
  teams: 'TEAMS_PORT',
  entra: 'ENTRA_PORT',
  graph: 'GRAPH_PORT',
  blob: 'AZURITE_BLOB_PORT',
  queue: 'AZURITE_QUEUE_PORT',
  playground: 'PLAYGROUND_PORT',
} as const;

export type SandboxPorts = Record<keyof typeof PORT_VARIABLES, number>;

export interface LaunchedSandbox {
  launcher: ChildProcess;
  pid: number;
  ports: SandboxPorts;
  /** Resolves when the banner says it is ready; rejects if it exits first or takes over 120 s. */
  ready: Promise<void>;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM (its Ctrl-C path, which stops every part), SIGKILL after 15 s. Idempotent. */
  stop(): Promise<void>;
}

/** Distinct free loopback ports (held together while chosen, so no two are the same). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function launchSandbox(): Promise<LaunchedSandbox> {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first (npm test does).`);
  const names = Object.keys(PORT_VARIABLES) as Array<keyof SandboxPorts>;
  const chosen = await freePorts(names.length);
  const ports = Object.fromEntries(names.map((n, i) => [n, chosen[i]])) as SandboxPorts;
  const launcher = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...Object.fromEntries(names.map((n) => [PORT_VARIABLES[n], String(ports[n])])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready after ${READY_TIMEOUT_MS / 1000} s:\n${output}`)), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/sandbox ready in/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    launcher.stdout!.on('data', onData);
    launcher.stderr!.on('data', onData);
    launcher.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (code ${code}) before it was ready:\n${output}`));
    });
  });
  // A caller that gives up before awaiting `ready` must not leave an unhandled rejection behind.
  ready.catch(() => undefined);
  let stopping: Promise<void> | undefined;
  return {
    launcher,
    pid: launcher.pid ?? -1,
    ports,
    ready,
    output: () => output,
    stop: () =>
      (stopping ??= (async () => {
        if (launcher.exitCode !== null || launcher.signalCode !== null) return;
        launcher.kill('SIGTERM');
        const hard = setTimeout(() => launcher.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(hard);
      })()),
  };
}
