/**
 * A Node child process of the sandbox (the bot, the Agents Playground) that cannot outlive the
 * launcher: it runs behind a small bootstrap that stops it when its stdin closes — whether the
 * launcher stopped it or died (even SIGKILL). Output goes to a log file; readiness is checked by
 * the caller; an exit before stop() is reported through `exited`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface NodeChild {
  name: string;
  pid: number;
  /** Resolves when the process ends, with how. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** The last lines it printed (for error messages). */
  recentOutput(): string;
  /** Graceful stop (SIGTERM via stdin close), SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  stopping: boolean;
}

export interface NodeChildOptions {
  name: string;
  /** The script to run, as `node <entry> <args>` would. */
  entry: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Called with each line of output (e.g. to spot "Listening on"). */
  onLine?: (line: string) => void;
}

function bootstrap(entry: string): string {
  return `
    process.argv.splice(1, 0, ${JSON.stringify(entry)});
    let closing = false;
    const parentGone = () => {
      if (closing) return;
      closing = true;
      process.kill(process.pid, 'SIGTERM');
      setTimeout(() => process.exit(0), 4000).unref();
    };
    process.stdin.on('end', parentGone).on('error', parentGone).resume();
    require(${JSON.stringify(entry)});
  `;
}

export function spawnNode(opts: NodeChildOptions): NodeChild {
  const log = fs.createWriteStream(opts.logFile, { flags: 'a' });
  const recent: string[] = [];
  const child: ChildProcess = spawn(process.execPath, ['-e', bootstrap(opts.entry), '--', ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  child.stdin?.on('error', () => undefined);
  let pending = '';
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    const lines = (pending + chunk.toString('utf8')).split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 30) recent.shift();
      opts.onLine?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      log.end();
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      recent.push(String(err));
      log.end();
      resolve({ code: -1, signal: null });
    });
  });
  const killHard = () => child.kill('SIGKILL');
  process.once('exit', killHard);
  let stopping: Promise<void> | undefined;
  const handle: NodeChild = {
    name: opts.name,
    pid: child.pid ?? -1,
    exited,
    recentOutput: () => recent.join('\n'),
    stopping: false,
    stop(graceMs = 5000) {
      handle.stopping = true;
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.stdin?.end();
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        process.removeListener('exit', killHard);
      })();
      return stopping;
    },
  };
  return handle;
}

/** Polls `probe` until it resolves true; rejects when the child exits first or time runs out. */
export async function waitUntilReady(child: NodeChild, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  let exited: { code: number | null; signal: string | null } | undefined;
  void child.exited.then((e) => {
    exited = e;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      throw new Error(`${child.name} exited (${exited.signal ?? `code ${exited.code}`}) before it was ready:\n${child.recentOutput()}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${child.name} was not ready after ${timeoutMs} ms:\n${child.recentOutput()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
