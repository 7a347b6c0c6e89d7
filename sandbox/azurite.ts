/**
 * Azurite (Microsoft's Azure Storage emulator, npm `azurite`) as a child process: the state store
 * of the sandbox. The launcher runs it on the well-known ports 10000/10001; tests run their own on
 * free ports. Blob holds the bot state (botbuilder BlobsStorage), queue is there for the outbox.
 *
 * Azurite is started through its combined entry (`dist/src/azurite.js`: blob, queue and table in one
 * process, so one start-up cost) with table on a throwaway port, bound to 127.0.0.1 only, telemetry
 * off (Azurite 3.x reports to Application Insights unless told not to).
 *
 * The child exits when its stdin closes. The parent holds the other end, so however the parent dies
 * (even SIGKILL, or jest killing a worker) the emulator does not outlive it and keep 10000 busy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';

/** The emulator's single account and its published key (Azurite README, "Default storage account"). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const AZURITE_BLOB_PORT = 10000;
export const AZURITE_QUEUE_PORT = 10001;

const HOST = '127.0.0.1';

export interface AzuriteOptions {
  /** 0 picks a free port (tests). */
  blobPort: number;
  queuePort: number;
  /** Table is not used by the bot; 0 keeps it off the well-known 10002. */
  tablePort?: number;
  /** Folder to persist data in; in memory (lost on exit) when omitted. */
  location?: string;
}

export interface RunningAzurite {
  /** For AZURE_STORAGE_CONNECTION_STRING: blob and queue endpoints on 127.0.0.1, path-style account. */
  connectionString: string;
  blobPort: number;
  queuePort: number;
  /** e.g. http://127.0.0.1:10000/devstoreaccount1 */
  blobEndpoint: string;
  queueEndpoint: string;
  pid: number;
  /** Graceful shutdown, then SIGKILL if it lingers. Idempotent. */
  stop(): Promise<void>;
}

export interface SpawnAzuriteOptions extends AzuriteOptions {
  /** How long to wait for both services to listen; generous for 2-core CI machines. */
  readyTimeoutMs?: number;
  /** Every line Azurite prints (start-up banner, errors); dropped when omitted. */
  onOutput?: (line: string) => void;
}

/** Command-line arguments for Azurite's combined entry. */
export function azuriteArgs(opts: AzuriteOptions): string[] {
  const args = [
    '--blobHost', HOST, '--blobPort', String(opts.blobPort),
    '--queueHost', HOST, '--queuePort', String(opts.queuePort),
    '--tableHost', HOST, '--tablePort', String(opts.tablePort ?? 0),
    // Access log off; the start-up lines we wait for are still printed.
    '--silent',
    '--disableTelemetry',
  ];
  // Azurite refuses --inMemoryPersistence together with --location.
  args.push(...(opts.location ? ['--location', opts.location] : ['--inMemoryPersistence']));
  return args;
}

export function azuriteConnectionString(ports: { blobPort: number; queuePort: number }): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_ACCOUNT_KEY}`,
    `BlobEndpoint=${endpoint(ports.blobPort)}`,
    `QueueEndpoint=${endpoint(ports.queuePort)}`,
  ].join(';') + ';';
}

const endpoint = (port: number) => `http://${HOST}:${port}/${AZURITE_ACCOUNT}`;

/** Path of Azurite's combined entry (blob + queue + table). */
export function azuriteEntry(): string {
  return require.resolve('azurite/dist/src/azurite.js');
}

/**
 * Runs inside the child before Azurite: puts Azurite's path where its argument parser expects the
 * script (`node -e` leaves none), and shuts down when stdin ends (parent gone or stop() called).
 */
function bootstrap(entry: string): string {
  return `
    process.argv.splice(1, 0, ${JSON.stringify(entry)});
    let closing = false;
    const closeSoon = () => {
      if (closing) return;
      closing = true;
      // Azurite's own SIGTERM/SIGINT handler closes its servers; nothing of ours may keep the process up.
      process.stdin.destroy();
      setTimeout(() => process.exit(0), 5000).unref();
    };
    process.once('SIGTERM', closeSoon).once('SIGINT', closeSoon);
    const parentGone = () => { if (!closing) process.kill(process.pid, 'SIGTERM'); };
    process.stdin.on('end', parentGone).on('error', parentGone).resume();
    require(${JSON.stringify(entry)});
  `;
}

const LISTENING = /Azurite (Blob|Queue) service is successfully listening at http:\/\/[^:\s]+:(\d+)/;

/** Starts Azurite and resolves once blob and queue answer HTTP. */
export async function spawnAzurite(opts: SpawnAzuriteOptions): Promise<RunningAzurite> {
  const env = { ...process.env };
  // Azurite would take its accounts and keys from here instead of the published ones.
  delete env.AZURITE_ACCOUNTS;
  const child = spawn(process.execPath, ['-e', bootstrap(azuriteEntry()), '--', ...azuriteArgs(opts)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
    windowsHide: true,
  });
  // stdin only signals "parent still here"; an EPIPE once the child is gone is expected.
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // never started
  });
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopChild(child, exited).finally(() => process.removeListener('exit', onExit)));

  try {
    const ports = await waitForListening(child, opts);
    await Promise.all([probe(ports.blobPort), probe(ports.queuePort)]);
    return {
      connectionString: azuriteConnectionString(ports),
      ...ports,
      blobEndpoint: endpoint(ports.blobPort),
      queueEndpoint: endpoint(ports.queuePort),
      pid: child.pid ?? -1,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function waitForListening(child: ChildProcess, opts: SpawnAzuriteOptions): Promise<{ blobPort: number; queuePort: number }> {
  const timeoutMs = opts.readyTimeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const ports: { Blob?: number; Queue?: number } = {};
    const recent: string[] = [];
    const fail = (why: string) => {
      clearTimeout(timer);
      const output = recent.length ? `\nAzurite said:\n${recent.join('\n')}` : '';
      reject(new Error(`Azurite did not start (blob port ${opts.blobPort}, queue port ${opts.queuePort}): ${why}${output}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    const onLine = (line: string) => {
      opts.onOutput?.(line);
      recent.push(line);
      if (recent.length > 20) recent.shift();
      const match = LISTENING.exec(line);
      if (!match) return;
      ports[match[1] as 'Blob' | 'Queue'] = Number(match[2]);
      if (ports.Blob && ports.Queue) {
        clearTimeout(timer);
        child.removeListener('exit', onEarlyExit);
        resolve({ blobPort: ports.Blob, queuePort: ports.Queue });
      }
    };
    // e.g. "Exit due to unhandled error: listen EADDRINUSE: address already in use 127.0.0.1:10000"
    const onEarlyExit = (code: number | null, signal: string | null) => fail(`exited with ${signal ?? `code ${code}`}`);
    child.once('exit', onEarlyExit);
    child.once('error', (err) => fail(err.message));
    // Both pipes are read for as long as the child lives, so it never blocks on a full pipe.
    for (const stream of [child.stdout, child.stderr]) readLines(stream, onLine);
  });
}

function readLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
}

/** Any HTTP answer will do (Azurite says 4xx to an anonymous request): the service is up. */
function probe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path: `/${AZURITE_ACCOUNT}?comp=list`, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`Azurite on port ${port} did not answer`)));
    req.on('error', reject);
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  const hardKill = setTimeout(() => child.kill('SIGKILL'), 6_000);
  await exited;
  clearTimeout(hardKill);
}
