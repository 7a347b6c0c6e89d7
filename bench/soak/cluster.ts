/**
 * Two bot instances (`node dist/bot/index.js`) sharing one Azurite store, behind the round-robin
 * endpoint the Teams stand-in delivers to; one can be SIGKILLed and started again on its port.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { spawnAzurite, type RunningAzurite } from '../../sandbox/azurite';
import { startBot } from '../lib/bots';
import { freePort, type BotProcess } from '../lib/processes';
import type { StandIns } from '../lib/standins';
import { startRoundRobin, type RoundRobin } from './proxy';

export interface RssSample {
  at: number;
  kib: number;
}

/** One run of one instance's process, from start to kill or the end. */
export interface Incarnation {
  instance: string;
  pid: number;
  startedAt: number;
  endedAt?: number;
  killed: boolean;
  rss: RssSample[];
}

export interface DownWindow {
  instance: string;
  from: number;
  to: number;
}

export interface Cluster {
  proxy: RoundRobin;
  azurite: RunningAzurite;
  incarnations: Incarnation[];
  downWindows: DownWindow[];
  /** SIGKILL, wait `downMs`, start again on the same port; resolves when it is listening again. */
  killAndRestart(instance: string, downMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  instances?: number;
  env?: Record<string, string>;
  sampleEveryMs?: number;
  onLine?: (instance: string, line: string) => void;
}

export async function startCluster(s: StandIns, opts: ClusterOptions = {}): Promise<Cluster> {
  const azurite = await spawnAzurite({ blobPort: 0, queuePort: 0, readyTimeoutMs: 30_000 });
  const env = {
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    STATE_CONTAINER: `soak-${randomUUID().slice(0, 8)}`,
    ...opts.env,
  };
  const names = Array.from({ length: opts.instances ?? 2 }, (_, i) => String.fromCharCode(65 + i));
  const ports = await Promise.all(names.map(() => freePort()));
  const running = new Map<string, { bot: BotProcess; life: Incarnation }>();
  const incarnations: Incarnation[] = [];
  const downWindows: DownWindow[] = [];

  const launch = async (name: string, port: number) => {
    const bot = await startBot(s, 'bot', { name: `instance ${name}`, port, env, onLine: (l) => opts.onLine?.(name, l) });
    const life: Incarnation = { instance: name, pid: bot.pid, startedAt: performance.now(), killed: false, rss: [] };
    incarnations.push(life);
    running.set(name, { bot, life });
    void bot.exited.then(() => {
      life.endedAt ??= performance.now();
    });
  };
  try {
    await Promise.all(names.map((n, i) => launch(n, ports[i])));
  } catch (err) {
    for (const r of running.values()) await r.bot.kill('SIGKILL');
    await azurite.stop();
    throw err;
  }
  const proxy = await startRoundRobin(names.map((name, i) => ({ name, port: ports[i] })));
  s.teams.setBotEndpoint(proxy.endpoint);

  const sampler = setInterval(() => {
    for (const { bot, life } of running.values()) {
      const kib = bot.rssKiB();
      if (kib !== undefined) life.rss.push({ at: performance.now(), kib });
    }
  }, opts.sampleEveryMs ?? 500);

  return {
    proxy,
    azurite,
    incarnations,
    downWindows,
    async killAndRestart(instance, downMs) {
      const current = running.get(instance);
      if (!current) throw new Error(`no instance ${instance}`);
      const from = performance.now();
      current.life.killed = true;
      current.life.endedAt = from;
      proxy.markDown(instance);
      await current.bot.kill('SIGKILL');
      running.delete(instance);
      await new Promise((r) => setTimeout(r, downMs));
      await launch(instance, current.bot.port);
      // Back in rotation once the load balancer's probe sees it: give the probe a period.
      while (!proxy.isUp(instance)) await new Promise((r) => setTimeout(r, 50));
      downWindows.push({ instance, from, to: performance.now() });
    },
    async close() {
      clearInterval(sampler);
      const end = performance.now();
      for (const { bot, life } of running.values()) {
        life.endedAt ??= end;
        await bot.kill('SIGTERM');
      }
      running.clear();
      await proxy.close();
      await azurite.stop();
    },
  };
}
