/**
 * The two-instance soak: stand-ins in this process, two bots on one Azurite behind a round-robin
 * endpoint, a workload of people for `durationMs`, Graph 429/503 injected, one instance SIGKILLed
 * and restarted mid-run; then the verdict. Used by `npm run soak` (minutes) and by
 * test/soak/soak.test.ts (a short run inside `npm test`).
 */
import { performance } from 'node:perf_hooks';
import { USERS } from '../../sandbox/directory';
import { TEAMS_RATE_LIMITS } from '../../sandbox/teams';
import { sleep } from '../lib/driver';
import { median } from '../lib/stats';
import { RECOVERY_DELAY_SECONDS } from '../../bot/notifications';
import { startStandIns, type StandIns } from '../lib/standins';
import { createUploads, UploadPool, type Status } from '../lib/uploads';
import { startCluster, type Cluster, type DownWindow, type Incarnation } from './cluster';
import { notificationsPlan, subscribeChannels, type NotificationCheck, type SubscribedChannels } from './notifications';
import type { ProxiedRequest } from './proxy';
import { Workload, type FlowRecord, type WorkloadLog } from './workload';

export interface SoakOptions {
  durationMs: number;
  /** When the kill happens, as a fraction of the duration. */
  killAt?: number;
  downMs?: number;
  /** Uploads the admins share (each flow holds one alone). */
  uploads?: number;
  faultEveryMs?: number;
  thinkMs?: number;
  log?: (line: string) => void;
}

export interface MemoryGrowth {
  instance: string;
  pid: number;
  killed: boolean;
  baselineMiB: number;
  finalMiB: number;
  growth: number;
  samples: number;
  /** Lived long enough for its growth to mean something (MIN_JUDGED_LIFE_MS). */
  judged: boolean;
}

export interface Verdict {
  /** Flows whose Confirm showed the result, but whose upload was not PATCHed exactly once. */
  notPatchedOnce: FlowRecord[];
  /** Flows that must not have changed anything, and did. */
  changedWithoutConfirm: FlowRecord[];
  /** Confirmed flows cut by the kill: at most one PATCH is allowed, none is possible. */
  interrupted: FlowRecord[];
  /** More than one PATCH for any flow. */
  patchedTwice: FlowRecord[];
  /** One command answered with more than one confirmation card (a duplicate token exchange resumed it twice). */
  resumedTwice: FlowRecord[];
  /** Successful PATCHes not inside any flow's window (a PATCH no one asked for then). */
  strayPatches: number;
  /** Successful PATCHes by someone who confirmed nothing on that upload. */
  patchesByOthers: string[];
  /** 5xx answers outside the down window. */
  serverErrors: ProxiedRequest[];
  /** 5xx answers while an instance was down (allowed, reported). */
  serverErrorsWhileDown: number;
  memory: MemoryGrowth[];
  notifications: NotificationCheck | { enabled: false; why: string };
  /** Turns that went wrong for the person: an outsider given a confirmation, a 200 with no reply. */
  turnProblems: string[];
  clientErrors: string[];
}

export interface SoakReport {
  options: Required<Omit<SoakOptions, 'log'>>;
  wallMs: number;
  requests: number;
  requestsByInstance: Record<string, number>;
  flows: number;
  flowsByVariant: Record<string, number>;
  outcomes: Record<string, number>;
  /** Cards whose Confirm presses were answered by more than one instance. */
  confirmsOnDifferentInstances: number;
  /** Exchanges Teams sent, and how many exchange ids it sent more than once (the duplicates the bot must absorb). */
  tokenExchanges: { total: number; duplicatedIds: number };
  downWindows: DownWindow[];
  injectedFaults: number;
  graphStatuses: Record<string, number>;
  log: WorkloadLog;
  verdict: Verdict;
}

const MiB = (kib: number) => kib / 1024;

/**
 * A process that lived less than this is still warming up (JIT, V8 growing its heap, caches,
 * connection pools) when it ends: its growth is reported, not judged. Seen here: a 35 s life reads
 * anywhere from -3 % to +18 %, so the short soak inside npm test reports memory and `npm run soak`
 * (minutes) judges it.
 */
export const MIN_JUDGED_LIFE_MS = 120_000;

/** Warm-up is the first 40% of a process's life (at least 5 s); growth compares the next 20% with the last 20%. */
function memoryGrowth(life: Incarnation): MemoryGrowth | undefined {
  const start = life.startedAt;
  const end = life.endedAt ?? performance.now();
  const span = end - start;
  const warm = start + Math.max(5_000, span * 0.4);
  const base = life.rss.filter((x) => x.at >= warm && x.at < warm + span * 0.2).map((x) => x.kib);
  const last = life.rss.filter((x) => x.at >= end - span * 0.2).map((x) => x.kib);
  if (base.length < 2 || last.length < 2) return undefined;
  const baselineMiB = MiB(median(base));
  const finalMiB = MiB(median(last));
  return { instance: life.instance, pid: life.pid, killed: life.killed, baselineMiB, finalMiB, growth: (finalMiB - baselineMiB) / baselineMiB, samples: life.rss.length, judged: span >= MIN_JUDGED_LIFE_MS };
}

function count<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const options = {
    durationMs: opts.durationMs,
    killAt: opts.killAt ?? 0.45,
    downMs: opts.downMs ?? 2_000,
    uploads: opts.uploads ?? 8,
    faultEveryMs: opts.faultEveryMs ?? 2_500,
    thinkMs: opts.thinkMs ?? 400,
  };
  const log = opts.log ?? (() => undefined);
  // Teams' real send limits stay on: the soak's pace keeps under them, as a real tenant must.
  const s: StandIns = await startStandIns({ rateLimits: TEAMS_RATE_LIMITS, tokenExchangeCopies: 2 });
  let cluster: Cluster | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    const botEnv = s.botEnv();
    const plan = notificationsPlan(botEnv);
    cluster = await startCluster(s);
    log(`cluster up: instances ${cluster.incarnations.map((i) => `${i.instance}=pid ${i.pid}`).join(', ')}; endpoint ${cluster.proxy.endpoint}`);
    let subscribed: SubscribedChannels | undefined;
    if (plan.enabled) subscribed = await subscribeChannels(s, 2);
    else log(`notifications: not part of this soak (${plan.why})`);

    // Uploads created in Contoso for the run: writes count against Intune's window like the bot's PATCHes.
    const ids = await createUploads(s, options.uploads);
    const pool = new UploadPool(ids, (id) => s.graph.upload(id)?.status as Status | undefined);

    const started = performance.now();
    const deadline = started + options.durationMs;
    const c = cluster;
    const workload = new Workload(s, pool, deadline, () => c.incarnations.some((i) => i.killed && !c.downWindows.some((w) => w.instance === i.instance && w.to >= (i.endedAt ?? 0))));

    let injected = 0;
    timers.push(setInterval(() => {
      if (performance.now() > deadline) return;
      s.graph.faults.next(1, injected % 2 ? { status: 503 } : { status: 429, retryAfterSeconds: 1 });
      injected += 1;
    }, options.faultEveryMs));

    const killer = (async () => {
      await sleep(options.durationMs * options.killAt);
      log(`SIGKILL instance B at ${((performance.now() - started) / 1000).toFixed(1)} s`);
      await c.killAndRestart('B', options.downMs);
      log(`instance B back at ${((performance.now() - started) / 1000).toFixed(1)} s`);
    })();

    const group = s.teams.groupChat('Soak group', ['alex', 'adele']);
    const channel = s.teams.team('Soak team').channel('General');
    const think = options.thinkMs;
    await Promise.all([
      workload.admin({ name: 'alex (personal)', user: 'alex', chat: s.teams.personalChat('alex'), variants: ['confirm', 'doubleConcurrent', 'confirm', 'cancel', 'doubleSequential', 'abandon'], signOutEvery: 5 }, think),
      workload.admin({ name: 'adele (personal)', user: 'adele', chat: s.teams.personalChat('adele'), variants: ['doubleConcurrent', 'confirm', 'abandon', 'confirm', 'doubleSequential'], signOutEvery: 7 }, think),
      workload.admin({ name: 'alex (group chat)', user: 'alex', chat: group.as('alex'), other: group.as('adele'), variants: ['othersConfirmFirst', 'confirm', 'doubleConcurrent'] }, think),
      workload.admin({ name: 'adele (channel)', user: 'adele', chat: channel.as('adele'), variants: ['confirm', 'doubleConcurrent', 'cancel'] }, think),
      workload.admin({ name: 'diego (read-only)', user: 'diego', chat: s.teams.personalChat('diego'), variants: ['confirm'], readOnly: true }, think * 4),
      workload.outsider('megan (no consent)', s.teams.personalChat('megan'), think * 4),
      workload.outsider('lee (other tenant)', s.teams.personalChat('lee'), think * 4),
      workload.outsider('sam (personal account)', s.teams.personalChat('sam'), think * 4),
      killer,
    ]);
    const wallMs = performance.now() - started;
    await s.teams.settled();

    // ---- the verdict ----------------------------------------------------------------------
    const flows = workload.log.flows;
    const delta = (f: FlowRecord) => f.patchesAfter - f.patchesBefore;
    const graphLog = s.graph.requests();
    const patches = graphLog.filter((r) => r.method === 'PATCH' && r.status >= 200 && r.status < 300);
    const uploadOf = (path: string) => path.split('/').at(-1)?.toLowerCase() ?? '';
    const strayPatches = ids.reduce((sum, id) => sum + s.graph.patchCount(id), 0) - flows.reduce((sum, f) => sum + delta(f), 0);
    const confirmers = new Map<string, Set<string>>();
    for (const f of flows) if (f.requesterConfirms > 0) {
      const set = confirmers.get(f.uploadId) ?? new Set();
      set.add(USERS[f.user].oid);
      confirmers.set(f.uploadId, set);
    }
    const patchesByOthers = patches
      .filter((p) => !(confirmers.get(uploadOf(p.path))?.has(p.oid ?? '') ?? false))
      .map((p) => `${p.path} by ${p.oid}`);
    const down = c.downWindows;
    const overlapsDown = (r: { start: number; end: number }) => down.some((w) => r.end >= w.from && r.start <= w.to);
    const fivexx = c.proxy.requests.filter((r) => r.status >= 500);
    const turnProblems = workload.log.turns.filter((t) => t.note).map((t) => `${t.worker}: "${t.text}" → ${t.note}`);
    // Notifications go through a durable outbox: give the last changes time to be delivered.
    const notificationCheck = subscribed ? await subscribed.check(flows, down, (RECOVERY_DELAY_SECONDS + 25) * 1000) : undefined;
    await c.close();
    const memory = c.incarnations.map(memoryGrowth).filter((m): m is MemoryGrowth => m !== undefined);

    const exchanges = s.teams.invokes().filter((i) => i.name === 'signin/tokenExchange');
    const exchangesById = count(exchanges, (e) => String((e.value as { id?: string }).id));
    // Confirms of one card (same replyToId) answered by more than one instance.
    const confirmsByCard = new Map<string, Set<string>>();
    for (const r of c.proxy.requests) {
      if (r.verb !== 'confirmChange' || !r.replyToId) continue;
      const set = confirmsByCard.get(r.replyToId) ?? new Set();
      set.add(r.backend);
      confirmsByCard.set(r.replyToId, set);
    }

    const report: SoakReport = {
      options,
      wallMs,
      requests: c.proxy.requests.length,
      requestsByInstance: count(c.proxy.requests, (r) => r.backend),
      flows: flows.length,
      flowsByVariant: count(flows, (f) => f.variant),
      outcomes: count(flows.flatMap((f) => f.outcomes), (o) => o.replace(/:.*/, (m) => (m.length > 30 ? `${m.slice(0, 30)}…` : m))),
      confirmsOnDifferentInstances: [...confirmsByCard.values()].filter((set) => set.size > 1).length,
      tokenExchanges: {
        total: exchanges.length,
        duplicatedIds: Object.values(exchangesById).filter((n) => n > 1).length,
      },
      downWindows: down.map((w) => ({ ...w, from: w.from - started, to: w.to - started })),
      injectedFaults: injected,
      graphStatuses: count(graphLog, (r) => `${r.method} ${r.status}`),
      log: workload.log,
      verdict: {
        notPatchedOnce: flows.filter((f) => f.expect === 'one' && delta(f) !== 1),
        changedWithoutConfirm: flows.filter((f) => f.expect === 'zero' && delta(f) !== 0),
        interrupted: flows.filter((f) => f.expect === 'atMostOne'),
        patchedTwice: flows.filter((f) => delta(f) > 1),
        resumedTwice: flows.filter((f) => f.confirmationCards > 1),
        strayPatches,
        patchesByOthers,
        serverErrors: fivexx.filter((r) => !overlapsDown(r)),
        serverErrorsWhileDown: fivexx.filter(overlapsDown).length,
        memory,
        notifications: notificationCheck ?? { enabled: false, why: plan.enabled ? 'not run' : plan.why },
        turnProblems,
        clientErrors: s.teams.clientErrors().map((e) => e.message),
      },
    };
    return report;
  } finally {
    for (const t of timers) clearInterval(t);
    await cluster?.close().catch(() => undefined);
    await s.close();
  }
}

/** The verdict as a list of failures; empty = the soak passed. */
export function failures(r: SoakReport, maxGrowth = 0.1): string[] {
  const v = r.verdict;
  const out: string[] = [];
  const show = (f: FlowRecord) => `${f.worker} ${f.variant} ${f.uploadId}→${f.target}: ${f.patchesAfter - f.patchesBefore} PATCH, presses ${f.outcomes.join(',')}`;
  if (v.notPatchedOnce.length) out.push(`confirmed changes not PATCHed exactly once: ${v.notPatchedOnce.map(show).join('; ')}`);
  if (v.resumedTwice.length) out.push(`commands answered with more than one confirmation card: ${v.resumedTwice.map(show).join('; ')}`);
  if (v.patchedTwice.length) out.push(`changes PATCHed more than once: ${v.patchedTwice.map(show).join('; ')}`);
  if (v.changedWithoutConfirm.length) out.push(`changes without a Confirm: ${v.changedWithoutConfirm.map(show).join('; ')}`);
  if (v.strayPatches !== 0) out.push(`${v.strayPatches} PATCHes outside every flow's window`);
  if (v.patchesByOthers.length) out.push(`PATCHes by someone who did not confirm: ${v.patchesByOthers.join('; ')}`);
  if (v.serverErrors.length) out.push(`5xx while both instances were up: ${v.serverErrors.map((e) => `${e.kind} → ${e.status} on ${e.backend}${e.error ? ` (${e.error})` : ''}`).join('; ')}`);
  for (const m of v.memory) if (m.judged && m.growth >= maxGrowth) out.push(`instance ${m.instance} (pid ${m.pid}) grew ${(m.growth * 100).toFixed(1)} % (${m.baselineMiB.toFixed(1)} → ${m.finalMiB.toFixed(1)} MiB)`);
  if ('missing' in v.notifications) {
    if (v.notifications.missing.length) out.push(`notifications missing: ${JSON.stringify(v.notifications.missing.slice(0, 5))}`);
    if (v.notifications.duplicatesOutsideKills) out.push(`${v.notifications.duplicatesOutsideKills} duplicate notifications where no instance was killed`);
  }
  if (v.turnProblems.length) out.push(`turns that went wrong: ${v.turnProblems.join('; ')}`);
  if (v.clientErrors.length) out.push(`Teams client stand-in errors: ${v.clientErrors.slice(0, 3).join('; ')}`);
  if (r.log.errors.length) out.push(`workload errors: ${r.log.errors.slice(0, 5).map((e) => `${e.worker}: ${e.message}`).join('; ')}`);
  return out;
}
