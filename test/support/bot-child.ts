/**
 * The bot as a real child process, for suites that signal or kill it (drain, lifecycle, crash and
 * redelivery): spawned from dist/ with exactly the environment given (only PATH is inherited, so a
 * variable in the test's own environment never leaks in; PORT is the one chosen here), its whole
 * output kept, ready once it logged "bot listening". Every child started here is remembered so a
 * suite can SIGKILL what is left with `stopChildBots()`. Build first (`npm run build`).
 *
 *   const bot = await startChildBot(world.botEnv({ LOG_LEVEL: 'debug' }));
 *   bot.signal('SIGTERM');
 *   const { code, atMs } = await bot.exited;
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { freePort } from '../../bench/lib/processes';
import { distEntry } from '../../bench/lib/root';

/** The bot's production entry, under dist/. */
export const BOT_ENTRY = 'bot/index.js';
/** The same bot with test worker options (TEST_WORKER_OPTIONS), see test/support/child-entry.ts. */
export const CHILD_ENTRY = 'test/support/child-entry.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the process was seen to exit. */
  atMs: number;
}

export interface ChildBot {
  name: string;
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** http://127.0.0.1:PORT/api/messages, for `teams.setBotEndpoint`. */
  endpoint: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its JSON log lines so far, parsed. */
  logs(): Array<Record<string, any>>;
  exited: Promise<ChildExit>;
  alive(): boolean;
  /** Sends a signal and returns at once (a test that times the exit awaits `exited` itself). */
  signal(signal: NodeJS.Signals): void;
  /** Sends a signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<ChildExit>;
}

export interface ChildBotOptions {
  /** Script under dist/ (default BOT_ENTRY). */
  entry?: string;
  /** Default: a free port of 127.0.0.1. */
  port?: number;
  /** Names the child in errors. */
  name?: string;
  /** How long startChildBot waits for "bot listening" (default 30 s: a loaded 2-core machine). */
  readyTimeoutMs?: number;
}

const running = new Set<ChildBot>();

export const logLines = (out: string): Array<Record<string, any>> =>
  out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

/** Starts the child without waiting for it (for one that is meant to refuse to start). */
export async function spawnChildBot(env: Record<string, string>, opts: ChildBotOptions = {}): Promise<ChildBot> {
  const entry = distEntry(opts.entry ?? BOT_ENTRY);
  const port = opts.port ?? (await freePort());
  const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() })));
  const alive = () => child.exitCode === null && child.signalCode === null;
  // A test run that dies must not leave bots behind.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const bot: ChildBot = {
    name: opts.name ?? 'bot',
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    output: () => out,
    logs: () => logLines(out),
    exited,
    alive,
    signal: (signal) => void child.kill(signal),
    async stop(signal = 'SIGTERM') {
      if (alive()) child.kill(signal);
      return exited;
    },
  };
  running.add(bot);
  void exited.then(() => {
    running.delete(bot);
    process.removeListener('exit', onExit);
  });
  return bot;
}

/** Starts the child and resolves once it logged "bot listening"; throws with its output if it exits first. */
export async function startChildBot(env: Record<string, string>, opts: ChildBotOptions = {}): Promise<ChildBot> {
  const bot = await spawnChildBot(env, opts);
  const limit = opts.readyTimeoutMs ?? 30_000;
  const end = Date.now() + limit;
  while (!bot.output().includes('"msg":"bot listening"') && bot.alive()) {
    if (Date.now() > end) {
      bot.signal('SIGKILL');
      throw new Error(`${bot.name} not listening after ${limit} ms:\n${bot.output()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!bot.alive()) throw new Error(`bot exited: ${bot.output()}`);
  return bot;
}

/** SIGKILLs every child started here that is still running, and waits for each to go. */
export async function stopChildBots(): Promise<void> {
  await Promise.all([...running].map((bot) => bot.stop('SIGKILL')));
}

/** POST /api/notify as a script outside Teams would; resolves with the status. */
export function postNotify(url: string, key: string, body: Record<string, unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/notify`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
