/**
 * Runs a fuzz target: one world (Entra, Graph and Teams stand-ins plus the real bot in production
 * auth mode), many fast-check cases against it, and the invariants every target shares checked
 * after each case — no PATCH reached Graph, nothing crashed (uncaught exception or unhandled
 * rejection), nothing the bot sent into Teams or answered over HTTP carries a stack trace, a file
 * path, a token or a secret, and GET /healthz still answers 200. The jest file and bench/fuzz.ts
 * both run targets through here.
 */
import http from 'node:http';
import fc from 'fast-check';
import { AppCredentials } from 'botframework-connector';
import { BOT_APP, SSO_APP } from '../../sandbox/directory';
import { SEED } from '../../sandbox/graph';
import { UNTHROTTLED } from '../../bench/lib/standins';
import { startWorld, type World } from '../support/world';
import { SignedPoster } from './wire';

/** What the runner counted; every column but `cases` must stay 0. */
export interface Tally {
  cases: number;
  crashes: number;
  fiveXX: number;
  patches: number;
  /** Answers that break the target's own contract (a 2xx for an unsigned request, a malformed invoke answer…). */
  contract: number;
  leaks: number;
  unhealthy: number;
  /** 5xx answers of a KNOWN class (see KNOWN_5XX), tolerated by the green targets and shown apart. */
  known5xx: number;
}

/**
 * KNOWN: 5xx answers whose cause is an open issue others are fixing, recognised by what the bot
 * logged for the request. A green target tolerates exactly these (and counts them); the target
 * named here asserts them strictly, as it.failing, until the fix lands — then delete the entry.
 */
export const KNOWN_5XX: Array<{ targets: string[]; signature: RegExp; status?: number }> = [];

export interface Fixture<P> {
  world: World;
  poster: SignedPoster;
  tally: Tally;
  prepared: P;
  notifyKey: string;
  /** What the bot logged since the current case began. */
  caseLogs(): string;
  /** Set while running a KNOWN target: nothing is tolerated then. */
  strict: boolean;
}

export interface FuzzTarget<P = unknown, C = unknown> {
  id: string;
  title: string;
  /**
   * Set when the property fails on today's code because of an issue others are fixing: the
   * jest file runs it as `it.failing`, the bench reports it apart. Flip it once the fix lands.
   */
  known?: string;
  /** Share of FUZZ_CASES this target gets in the bench. */
  weight: number;
  /** Cases in the short seeded jest run. */
  quickRuns: number;
  /** A KNOWN target whose failure is an uncaught exception: jest cannot run it as it.failing, so it is skipped there. */
  crashesProcess?: boolean;
  /** How long one case may take before it counts as a hang (default 5 s). */
  caseTimeoutMs?: number;
  prepare?(world: World, poster: SignedPoster): Promise<P>;
  arbitrary(prepared: P): fc.Arbitrary<C>;
  /** Sends the case and checks the target's own invariants (throws a Violation, after counting it). */
  check(fx: Fixture<P>, c: C): Promise<void>;
  /** After the run: a check that the property could have failed (e.g. the real key still PATCHes). */
  finish?(fx: Fixture<P>): Promise<string | undefined>;
}

export class Violation extends Error {}

export interface RunOptions {
  numRuns: number;
  seed: number;
  /** fast-check's replay path of a failure (with the same seed). */
  path?: string;
  /** Stop at the first failure without shrinking (known failures: only confirm they still fail). */
  endOnFailure?: boolean;
}

export interface TargetResult {
  id: string;
  title: string;
  known?: string;
  tally: Tally;
  durationMs: number;
  seed: number;
  /** Set when the property failed: fast-check's replay data and the shrunk counterexample. */
  failure?: { path: string | null; counterexample: string; error: string; numShrinks: number };
  /** Set when the after-run check (the property could fail) did not hold. */
  sanity?: string;
  consoleErrors: number;
}

const emptyTally = (): Tally => ({ cases: 0, crashes: 0, fiveXX: 0, patches: 0, contract: 0, leaks: 0, unhealthy: 0, known5xx: 0 });

/** Counts a broken invariant and fails the case. */
export function violated(tally: Tally, column: Exclude<keyof Tally, 'cases' | 'known5xx'>, message: string): never {
  tally[column]++;
  throw new Violation(message);
}

/**
 * A status must be an answer (not a hang or a dropped connection) below 500 — or, outside KNOWN
 * targets, a 500 of a KNOWN_5XX class. Returns false for a tolerated known 5xx (the case stops there).
 */
export function expectAnswered(fx: Fixture<unknown>, status: number, what: string): boolean {
  if (status >= 500) {
    const logs = fx.caseLogs();
    if (!fx.strict && KNOWN_5XX.some((k) => (k.status === undefined || k.status === status) && k.signature.test(logs))) {
      fx.tally.known5xx++;
      return false;
    }
    violated(fx.tally, 'fiveXX', `${what}: answered ${status}`);
  }
  if (status < 100) violated(fx.tally, 'crashes', `${what}: no answer (connection closed or timed out)`);
  return true;
}

/** Stack frames, source paths, tokens and this sandbox's secrets: none may leave the bot. */
export function leakIn(text: string, notifyKey: string, where: 'reply' | 'logs' = 'reply'): string | undefined {
  const patterns: Array<[string, RegExp | string]> = [
    // Logs may carry stacks (that is what they are for); replies and HTTP answers never.
    ...(where === 'reply'
      ? ([
          ['a stack frame', /\n\s+at [^\n]*:\d+:\d+/],
          ['a source path', /node_modules|\/work\/|dist\/bot|bot\/[a-z/]+\.(?:ts|js)\b/],
        ] as Array<[string, RegExp]>)
      : []),
    ['a JWT', /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./],
    ['the SSO app secret', SSO_APP.clientSecret],
    ['the bot password', BOT_APP.password],
    ['the notify key', notifyKey],
  ];
  for (const [name, p] of patterns) if (typeof p === 'string' ? text.includes(p) : p.test(text)) return name;
  return undefined;
}

export function expectNoLeak(fx: Fixture<unknown>, text: string, where: string): void {
  const leak = leakIn(text, fx.notifyKey);
  if (leak) violated(fx.tally, 'leaks', `${where} carries ${leak}`);
}

function healthz(botUrl: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${botUrl}/healthz`, { agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const PATCH_PATH = /\/importedWindowsAutopilotDeviceIdentityUploads\/[^/]+$/;
/** Every PATCH of an upload Graph received, whatever its outcome (a full scan of the request log: O(log)). */
export const patchesSeen = (world: World): number =>
  world.graph.requests().filter((r) => r.method === 'PATCH' && PATCH_PATH.test(r.path)).length;
/** Successful PATCHes of the seeded uploads (the only ones a pending change can name): O(1), for every case. */
const seededPatches = (world: World): number =>
  (Object.values(SEED) as unknown[]).filter((v): v is string => typeof v === 'string').reduce((n, id) => n + world.graph.patchCount(id), 0);
/** The full scan runs every this many cases (and at the end): Graph's request log is copied on each read. */
const FULL_PATCH_SCAN_EVERY = 200;

/** Whatever the bot sent into Teams since `from` (index into the Connector's record). */
export function sentSince(world: World, from: number) {
  return world.teams.sent().slice(from);
}

function withTimeout<T>(work: Promise<T>, ms: number, tally: Tally): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      tally.crashes++;
      reject(new Violation(`the case did not finish within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * botframework-connector caches the bot's outbound channel token process-wide; each world has
 * its own Entra signing keys, so a token cached from an earlier world would be refused.
 */
function forgetBotTokens(): void {
  (AppCredentials as unknown as { cache: Map<string, unknown> }).cache.clear();
}

const CRASH_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

export async function runTarget<P, C>(target: FuzzTarget<P, C>, opts: RunOptions): Promise<TargetResult> {
  const tally = emptyTally();
  const processErrors: unknown[] = [];
  const onError = (err: unknown) => processErrors.push(err);
  // botbuilder prints every refused token to console.error: count it, do not print 100,000 of them.
  let consoleErrors = 0;
  const { error: consoleError, warn: consoleWarn } = console;
  console.error = () => void consoleErrors++;
  console.warn = () => void consoleErrors++;
  // In plain node (bench/fuzz.ts) these see every crash of the bot. Under jest, `process` is the
  // test sandbox's copy: a real uncaught exception goes to jest, which fails the running test
  // itself — the invariant holds either way, only the tally misses it there.
  for (const event of CRASH_EVENTS) process.on(event, onError);
  const started = Date.now();
  forgetBotTokens();
  // Thousands of replies into a handful of chats would hit Teams' per-conversation limits (the
  // stand-in enforces them) and make the run a test of 429 back-off: lift them, as throughput benches do.
  const world = await startWorld({ env: { NOTIFY_RATE_LIMIT_PER_MINUTE: '100000' }, rateLimits: UNTHROTTLED });
  try {
    const poster = new SignedPoster(world.teams.url, BOT_APP.id, `${world.botUrl}/api/messages`);
    const prepared = target.prepare ? await target.prepare(world, poster) : (undefined as P);
    const notifyKey = world.bot.services.config.notify.keys[0]?.key ?? '';
    // Each case writes a marker line into the bot's own log, so "what the bot logged for this case"
    // is a search from the marker, paid only when a case needs it (joining the log is O(run)).
    const marker = () => `"fuzzCase":${tally.cases},`;
    const caseLogs = () => {
      const all = world.logs();
      const at = all.lastIndexOf(marker());
      return at < 0 ? '' : all.slice(at);
    };
    const fx: Fixture<P> = { world, poster, tally, prepared, notifyKey, caseLogs, strict: Boolean(target.known) };
    const caseTimeoutMs = target.caseTimeoutMs ?? 5000;

    const property = fc.asyncProperty(target.arbitrary(prepared), async (c) => {
      tally.cases++;
      world.bot.services.log.info({ fuzzCase: tally.cases }, 'fuzz case');
      const errorsBefore = processErrors.length;
      const patchesBefore = seededPatches(world);
      const sentBefore = world.teams.sent().length;
      const crashed = () => (processErrors.length > errorsBefore ? String((processErrors[errorsBefore] as Error)?.stack ?? processErrors[errorsBefore]) : undefined);
      try {
        await withTimeout(target.check(fx, c), caseTimeoutMs, tally);
        // The Teams stand-in's clients react in the background (message-level SSO on an OAuthCard):
        // let them finish, so what they cause is judged in this case, not the next.
        await withTimeout(world.teams.settled(), caseTimeoutMs, tally);
      } catch (err) {
        // A hang or a dropped connection is often the symptom of a crash: name the crash.
        const crash = crashed();
        if (crash) throw new Violation(`${(err as Error).message}; uncaught in the process: ${crash}`);
        throw err;
      }
      // Late work of the turn (an "updating…" follow-up) lands in the next case's window: still checked.
      for (const s of sentSince(world, sentBefore)) expectNoLeak(fx, JSON.stringify(s.activity ?? {}), `a ${s.operation} into Teams`);
      if (seededPatches(world) > patchesBefore) violated(tally, 'patches', 'Graph received a PATCH without a Confirm of a real key');
      if (tally.cases % FULL_PATCH_SCAN_EVERY === 0 && patchesSeen(world) > 0) {
        violated(tally, 'patches', `Graph received a PATCH request (any outcome) within the last ${FULL_PATCH_SCAN_EVERY} cases`);
      }
      const crash = crashed();
      if (crash) violated(tally, 'crashes', `uncaught in the process: ${crash}`);
      const health = await healthz(world.botUrl);
      if (health !== 200) violated(tally, 'unhealthy', `GET /healthz answered ${health || 'nothing'} after the case`);
    });

    const details = await fc.check(property, {
      numRuns: opts.numRuns,
      seed: opts.seed,
      ...(opts.path ? { path: opts.path } : {}),
      endOnFailure: opts.endOnFailure ?? false,
    });
    await world.teams.settled().catch(() => undefined);
    const patchRequests = patchesSeen(world);
    if (!details.failed && patchRequests > 0) tally.patches += patchRequests;
    const logLeak = leakIn(world.logs(), notifyKey, 'logs');
    if (logLeak) tally.leaks++;
    const sanity = details.failed
      ? undefined
      : patchRequests > 0
        ? `Graph received ${patchRequests} PATCH request(s) during the run`
        : ((await target.finish?.(fx)) ?? (logLeak ? `the bot's logs carry ${logLeak}` : undefined));
    return {
      id: target.id,
      title: target.title,
      known: target.known,
      tally,
      durationMs: Date.now() - started,
      seed: details.seed,
      consoleErrors,
      sanity,
      failure: details.failed
        ? {
            path: details.counterexamplePath,
            counterexample: truncate(fc.stringify(details.counterexample), 2000),
            error: truncate(String((details.errorInstance as Error)?.message ?? details.errorInstance), 2000),
            numShrinks: details.numShrinks,
          }
        : undefined,
    };
  } finally {
    await world.close().catch(() => undefined);
    // Errors a closing world raises late still belong to this target.
    await new Promise((r) => setTimeout(r, 20));
    for (const event of CRASH_EVENTS) process.off(event, onError);
    console.error = consoleError;
    console.warn = consoleWarn;
  }
}

const truncate = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s);

/** The message a failed run throws: enough to replay it exactly. */
export function describeFailure(r: TargetResult): string {
  if (!r.failure) return r.sanity ? `${r.id}: ${r.sanity}` : `${r.id}: passed`;
  return [
    `${r.id} failed after ${r.tally.cases} cases (${r.failure.numShrinks} shrinks).`,
    `Replay: FUZZ_SEED=${r.seed} FUZZ_PATH=${JSON.stringify(r.failure.path)} (fast-check seed ${r.seed}, path ${r.failure.path})`,
    `Counterexample: ${r.failure.counterexample}`,
    `Error: ${r.failure.error}`,
  ].join('\n');
}
