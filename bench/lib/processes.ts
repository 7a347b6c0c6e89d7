/**
 * Bots as child processes (`node dist/bot/index.js`, `node dist/bench/echo-bot.js`), so each has
 * its own heap, its RSS can be read from /proc, and it can be SIGKILLed like a crashed instance.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { repoRoot } from './root';

/** A free TCP port on 127.0.0.1 (the bot's config refuses PORT=0, so the port is chosen here). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface BotProcessOptions {
  /** Script to run, absolute. */
  entry: string;
  /** The whole environment of the child (nothing is inherited but PATH). */
  env: Record<string, string>;
  port: number;
  name: string;
  readyTimeoutMs?: number;
  /** Every output line (for soak diagnostics); the last 50 are kept regardless. */
  onLine?: (line: string) => void;
}

export interface BotProcess {
  name: string;
  pid: number;
  port: number;
  /** http://127.0.0.1:PORT/api/messages */
  endpoint: string;
  /** ms from spawn to "listening". */
  readyMs: number;
  /** Resident set size now, in KiB (VmRSS), or undefined once the process is gone. */
  rssKiB(): number | undefined;
  /** Peak RSS (VmHWM) in KiB. */
  peakRssKiB(): number | undefined;
  recentOutput(): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** GET /healthz on a loopback port: true on 200, false on anything else (down, refused, 1 s timeout). */
export function healthz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Starts the child and resolves once it printed its "bot listening" line or answers /healthz. */
export async function startBotProcess(opts: BotProcessOptions): Promise<BotProcess> {
  const started = performance.now();
  // BENCH_CPU_PROFILE=<dir>: every bot process writes a V8 CPU profile there when it exits
  // (open it in Chrome DevTools); what bench/causes.md cites comes from these.
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`, `--cpu-prof-name=${opts.name.replace(/\W+/g, '-')}-${Date.now()}.cpuprofile`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, opts.entry], {
    cwd: repoRoot(),
    env: { PATH: process.env.PATH ?? '', ...opts.env, PORT: String(opts.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  let gone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      gone = true;
      resolve({ code, signal });
    });
  });
  // A bench or soak that dies must not leave bots behind.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  void exited.then(() => process.removeListener('exit', onExit));

  let readyMs = 0;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name} not listening after ${opts.readyTimeoutMs ?? 20_000} ms:\n${recent.join('\n')}`)), opts.readyTimeoutMs ?? 20_000);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited (${signal ?? code}) before listening:\n${recent.join('\n')}`));
    });
    const onLine = (line: string) => {
      recent.push(line);
      if (recent.length > 50) recent.shift();
      opts.onLine?.(line);
      if (!readyMs && line.includes('bot listening')) {
        readyMs = performance.now() - started;
        clearTimeout(timer);
        resolve();
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) onLine(l);
      });
    }
  });
  // The line is only printed at LOG_LEVEL info; /healthz answers whatever the level.
  let polling = true;
  const poll = (async () => {
    while (polling && !readyMs && !gone) {
      if (await healthz(opts.port)) {
        readyMs ||= performance.now() - started;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await Promise.race([ready, poll.then(() => (readyMs ? undefined : ready))]);
    polling = false;
  } catch (err) {
    polling = false;
    child.kill('SIGKILL');
    throw err;
  }
  const pid = child.pid ?? -1;
  return {
    name: opts.name,
    pid,
    port: opts.port,
    endpoint: `http://127.0.0.1:${opts.port}/api/messages`,
    readyMs,
    rssKiB: () => (gone ? undefined : procStatusKiB(pid, 'VmRSS')),
    peakRssKiB: () => (gone ? undefined : procStatusKiB(pid, 'VmHWM')),
    recentOutput: () => [...recent],
    exited,
    alive: () => !gone,
    async kill(signal = 'SIGTERM') {
      if (gone) return;
      child.kill(signal);
      const hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(hard);
    },
  };
}

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
export function cpuMs(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // After "pid (comm) ": state is field 0, utime 11, stime 12.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
