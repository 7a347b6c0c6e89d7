/**
 * Exactly-once channel cards when the storage side fails at the worst moment. State and outbox are
 * in Azurite; each bot instance reaches it through its own fault-injecting proxy
 * (test/support/storage-faults.ts), so a failure is one real HTTP exchange going wrong — the SDKs,
 * botbuilder and the worker are the real ones.
 *
 * The window under test: Teams accepted the card (the stand-in recorded it) and the "sent" marker
 * was written, but the queue message was not deleted — so the job comes back, on this instance or
 * another, and must not post again. And the narrower one the README admits: the marker write
 * itself failed — then one repeat, counted and logged, and never a second.
 *
 * Every delivery claims its marker (`state: 'sending'`, create-only) before posting and records
 * the post over it (`state: 'sent'`): two copies of one delivery in flight on two instances at once
 * post once; a claim left by a killed sender is taken over once it is older than the visibility timeout.
 */
import { TENANTS } from '../../../sandbox/directory';
import { Writable } from 'node:stream';
import { BlobsStorage } from 'botbuilder-azure-blobs';
import { createApp, type BotApp } from '../../../bot/app';
import { loadConfig } from '../../../bot/config';
import { createLogger } from '../../../bot/log';
import { AzureQueueOutbox, SubscriptionRegistry, type ChangeNotice, type WorkerOptions } from '../../../bot/notifications';
import type { RunningAzurite } from '../../../sandbox/azurite';
import { azuriteForSuite, startAzuriteWorld, storageEnv, type AzuriteWorld } from '../../support/azurite';
import { CHILD_ENTRY, postNotify, startChildBot, stopChildBots, type ChildBot } from '../../support/bot-child';
import { startStorageFaults, type StorageFaults, type StorageRequest } from '../../support/storage-faults';
import { FAST_WORKER, forgetBotTokens, postsPerChannel, SEED, until, USERS } from './helpers';

jest.setTimeout(120_000);

/** Short, so each redelivery takes seconds; an instance that must be gone before its job returns hides it longer. */
const VISIBILITY = 3;
const SLOW_VISIBILITY = 6;

interface Instance {
  name: string;
  bot: BotApp;
  faults: StorageFaults;
  logs(): string;
}

const suiteAzurite = azuriteForSuite();
let azurite: RunningAzurite;
let standIns: AzuriteWorld;
let names: { container: string; queue: string };
const instances: Instance[] = [];

beforeEach(async () => {
  forgetBotTokens();
  azurite = suiteAzurite();
  standIns = await startAzuriteWorld('redelivery', { azurite });
  names = { container: standIns.container, queue: standIns.container };
});
afterEach(async () => {
  await stopChildBots();
  for (const i of instances.splice(0)) {
    await i.bot.close();
    await i.faults.close();
  }
  await standIns.close();
});

/** A bot instance on the shared Azurite, through a proxy of its own (its faults are its own). */
async function startInstance(name: string, worker: Partial<WorkerOptions> = {}): Promise<Instance> {
  const faults = await startStorageFaults(azurite);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = loadConfig(
    standIns.botEnv({ PORT: '3978', LOG_LEVEL: 'debug', ...storageEnv(faults.connectionString, names.container) }),
  );
  const bot = createApp(config, { logger: createLogger('debug', sink), notifications: { worker: { ...FAST_WORKER, visibilitySeconds: VISIBILITY, ...worker } } });
  const instance = { name, bot, faults, logs: () => lines.join('') };
  instances.push(instance);
  await bot.listen(0);
  return instance;
}

const NOTIFY_KEY = 'redelivery-notify-key-0123456789abcdef';

/** A bot instance as a child process (test/support/child-entry.ts), through a proxy of its own. */
function startChild(name: string, faults: StorageFaults, worker: Partial<WorkerOptions> = {}): Promise<ChildBot> {
  const env = standIns.botEnv({
    LOG_LEVEL: 'debug',
    AZURE_STORAGE_CONNECTION_STRING: faults.connectionString,
    NOTIFY_API_KEY: NOTIFY_KEY,
    TEST_WORKER_OPTIONS: JSON.stringify({ ...FAST_WORKER, visibilitySeconds: VISIBILITY, ...worker }),
  });
  return startChildBot(env, { entry: CHILD_ENTRY, name });
}

/** POST /api/notify, as a script outside Teams would. */
const notify = (child: ChildBot): Promise<number> =>
  postNotify(child.url, NOTIFY_KEY, { uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', actor: 'Redelivery test' });

async function stopInstance(i: Instance): Promise<void> {
  await i.bot.close();
  await i.faults.close();
  instances.splice(instances.indexOf(i), 1);
}

/** Channels subscribed straight in the shared store, as earlier `subscribe` commands would have. */
async function subscribe(teamName: string, count: number): Promise<string[]> {
  const registry = new SubscriptionRegistry(new BlobsStorage(azurite.connectionString, names.container));
  const team = standIns.teams.team(teamName);
  const ref = { teamId: team.id, tenantId: USERS.alex.tid, serviceUrl: standIns.teams.serviceUrl, name: teamName };
  const ids: string[] = [];
  for (let n = 0; n < count; n += 1) {
    const channel = team.channel(`c-${n}`);
    await registry.subscribe(ref, channel.id, channel.name, 'setup');
    ids.push(channel.id);
  }
  return ids;
}

const announce = (i: Instance) =>
  i.bot.services.notifications.announce({ tenantId: TENANTS.contoso.id, uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', by: 'Adele Vance', at: Date.now(), where: 'outside Teams', source: 'api' });

const stats = (i: Instance) => i.bot.services.notifications.stats;
const depth = (i: Instance) => i.bot.services.notifications.outbox.depth();

/** The queue's answer to "delete this message" for one job kind (the proxy knows each message's job). */
const deleteOf = (kind: string) => (r: StorageRequest) => r.service === 'queue' && r.method === 'DELETE' && r.job?.kind === kind;
const markerPut = (r: StorageRequest) => r.service === 'blob' && r.method === 'PUT' && /\/notify-sent-[0-9a-f]+$/.test(r.path);
/** The record of a post, written over the delivery's claim. */
const markerWrite = (r: StorageRequest) => markerPut(r) && r.body.includes('"state":"sent"');
/** The claim a delivery takes before it posts. */
const claimWrite = (r: StorageRequest) => markerPut(r) && r.body.includes('"state":"sending"');

/**
 * Quiet: no job left, hidden ones included (the queue's count covers invisible messages, so
 * nothing can come back), then a moment for anything still in a worker's hands to show.
 */
async function drained(i: Instance): Promise<void> {
  await until(async () => (await depth(i)) === 0, 'an empty outbox', 60_000);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(await depth(i)).toBe(0);
}

it('the DELETE of a delivered job fails after the send and the marker: redelivered to the other instance, not posted again', async () => {
  const [channel] = await subscribe('Redelivery', 1);
  // A hides what it takes a little longer than B, so the job surely comes back after A is gone.
  const a = await startInstance('A', { visibilitySeconds: SLOW_VISIBILITY });
  // 502 from a gateway: the storage SDK does not retry it, so the worker sees the DELETE fail.
  const refused = a.faults.fail(deleteOf('deliver'), { status: 502 });

  await announce(a);
  const failed = await refused.hit();
  // The order in A's own traffic: the card was accepted, then its marker written, then the DELETE refused.
  expect(postsPerChannel(standIns.teams).get(channel)).toBe(1);
  const markers = a.faults.requests().filter(markerWrite);
  expect(markers).toHaveLength(1);
  expect(markers[0].outcome).toBe(201);
  expect(markers[0].seq).toBeLessThan(failed.seq);

  // A goes away; B, on the same storage, gets the job when its visibility timeout ends.
  const b = await startInstance('B');
  await stopInstance(a);
  // B took the same message A had (dequeued a second time, not a copy) and settled it.
  await until(() => b.faults.requests().some((r) => r.method === 'DELETE' && r.path === failed.path && r.outcome === 204), 'B to settle the job A left', 30_000);
  await drained(b);

  expect(postsPerChannel(standIns.teams).get(channel)).toBe(1);
  expect(stats(b).duplicatesSkipped).toBe(1);
  expect(stats(b).delivered).toBe(0);
});

it('the instance is killed (SIGKILL) after the send and the marker, its DELETE in flight: the other instance gets the job and posts nothing', async () => {
  const [channel] = await subscribe('Killed', 1);
  const faults = await startStorageFaults(azurite);
  // The DELETE reaches the proxy and is never answered: the process dies with it in flight.
  const stalled = faults.fail(deleteOf('deliver'), { hold: true });
  try {
    const a = await startChild('A', faults, { visibilitySeconds: SLOW_VISIBILITY });
    expect(await notify(a)).toBe(202);
    const held = await stalled.hit();
    expect(postsPerChannel(standIns.teams).get(channel)).toBe(1);
    const marker = faults.requests().find(markerWrite);
    expect(marker?.outcome).toBe(201);
    expect(marker!.seq).toBeLessThan(held.seq);
    await a.stop('SIGKILL');

    const b = await startInstance('B');
    await until(() => b.faults.requests().some((r) => r.method === 'DELETE' && r.path === held.path && r.outcome === 204), 'B to settle the job A held', 30_000);
    await drained(b);

    expect(postsPerChannel(standIns.teams).get(channel)).toBe(1);
    expect(stats(b).duplicatesSkipped).toBe(1);
  } finally {
    await faults.close();
  }
});

it('two instances, every DELETE of the first round refused: each of 6 channels still has exactly one card', async () => {
  const ids = await subscribe('Two instances', 6);
  const a = await startInstance('A');
  const b = await startInstance('B');
  // Whichever instance delivers a channel's first copy, its DELETE fails; the copy comes back to either.
  const refusedA = a.faults.fail(deleteOf('deliver'), { status: 502 }, 6);
  const refusedB = b.faults.fail(deleteOf('deliver'), { status: 502 }, 6);

  await announce(a);
  await until(() => refusedA.hits.length + refusedB.hits.length >= 6, 'six refused DELETEs', 30_000);
  refusedA.remove();
  refusedB.remove();
  await drained(a);

  const counts = postsPerChannel(standIns.teams);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
  expect([...counts.values()]).toEqual(Array(6).fill(1));
  expect(stats(a).duplicatesSkipped + stats(b).duplicatesSkipped).toBeGreaterThanOrEqual(6);
});

it('the marker write fails after the send: one repeat at most, counted and logged at warn, and never a second', async () => {
  const [channel] = await subscribe('Marker', 1);
  const a = await startInstance('A');
  // The marker PUT fails (502, not retried); so does the DELETE twice, so the job comes back twice.
  const markerRefused = a.faults.fail(markerWrite, { status: 502 });
  const deletesRefused = a.faults.fail(deleteOf('deliver'), { status: 502 }, 2);

  await announce(a);
  await until(() => deletesRefused.hits.length === 2, 'two refused DELETEs', 40_000);
  await drained(a);

  expect(markerRefused.hits).toHaveLength(1);
  expect(stats(a).markerWriteFailures).toBe(1);
  // First round: posted, no marker. Second round: no marker, so posted again (the one repeat) and
  // recorded. Third round: the marker from the second stops it.
  expect(postsPerChannel(standIns.teams).get(channel)).toBe(2);
  expect(stats(a).duplicatesSkipped).toBe(1);
  const warned = a
    .logs()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: string; msg: string; channelId?: string })
    .filter((l) => l.msg.startsWith('could not record a sent notification'));
  expect(warned).toHaveLength(1);
  expect(warned[0]).toMatchObject({ level: 'warn', channelId: channel });
});

it('the marker write fails but the DELETE succeeds: one card, the failure still counted', async () => {
  const [channel] = await subscribe('Marker only', 1);
  const a = await startInstance('A');
  a.faults.fail(markerWrite, { status: 502 });

  await announce(a);
  await until(() => stats(a).delivered === 1, 'the delivery', 30_000);
  await drained(a);

  expect(postsPerChannel(standIns.teams).get(channel)).toBe(1);
  expect(stats(a).markerWriteFailures).toBe(1);
});

it('a fan-out interrupted after its first chunk is expanded again from its cursor: each channel gets one card', async () => {
  const ids = await subscribe('Fan-out cut', 6);
  const a = await startInstance('A', { expandChunk: 2 });
  // The cursor save after the second chunk fails: chunks 1–2 are queued, the fan-out comes back
  // with the cursor after chunk 1 and enqueues chunk 2 again (mayRepeat).
  let saves = 0;
  const cut = a.faults.fail((r) => r.service === 'queue' && r.method === 'PUT' && r.job?.kind === 'fanout' && ++saves === 2, { status: 502 });

  await announce(a);
  await cut.hit();
  await until(() => stats(a).expanded === 1, 'the fan-out to finish on its second take', 30_000);
  await drained(a);

  const counts = postsPerChannel(standIns.teams);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
  expect([...counts.values()]).toEqual(Array(6).fill(1));
  // The re-expanded chunk was enqueued twice and its copies dropped, not posted.
  expect(stats(a).duplicatesSkipped).toBe(2);
});

it('a fan-out whose only cursor save fails is expanded again, whole, on the other instance: each channel gets one card', async () => {
  const ids = await subscribe('Fan-out again', 5);
  const a = await startInstance('A', { visibilitySeconds: SLOW_VISIBILITY });
  // All five delivery jobs are queued, then saving the cursor fails: the fan-out comes back as it was.
  const refused = a.faults.fail((r) => r.service === 'queue' && r.method === 'PUT' && r.job?.kind === 'fanout', { status: 502 });

  await announce(a);
  await refused.hit();
  // A posts the five cards of the first expansion, then goes away.
  await until(() => stats(a).delivered === 5, 'A to post and record the first five cards', 30_000);
  const b = await startInstance('B');
  await stopInstance(a);
  // The fan-out comes back to B: five more delivery jobs, each already sent.
  await until(() => stats(b).expanded === 1, 'B to expand the fan-out again', 30_000);
  await drained(b);

  const counts = postsPerChannel(standIns.teams);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
  expect([...counts.values()]).toEqual(Array(5).fill(1));
  expect(stats(b).duplicatesSkipped).toBe(5);
  expect(stats(b).delivered).toBe(0);
});

it('a fan-out whose DELETE fails after its last cursor save comes back with nothing left to enqueue', async () => {
  const ids = await subscribe('Fan-out done', 3);
  const a = await startInstance('A');
  const refused = a.faults.fail(deleteOf('fanout'), { status: 502 });

  await announce(a);
  await refused.hit();
  await until(() => stats(a).expanded === 1, 'the fan-out to be taken again and finished', 30_000);
  await drained(a);

  expect([...postsPerChannel(standIns.teams).values()]).toEqual(Array(3).fill(1));
  expect(stats(a).delivered).toBe(3);
  expect(stats(a).duplicatesSkipped).toBe(0);
  expect(a.faults.requests().filter((r) => r.service === 'queue' && r.method === 'POST' && r.job?.kind === 'deliver')).toHaveLength(ids.length);
});

/** The notice every copy below carries (as a fan-out of this change would have written it). */
const NOTICE: ChangeNotice = { tenantId: TENANTS.contoso.id, uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', by: 'Adele Vance', at: Date.now(), where: 'outside Teams', source: 'api' };

it('two copies of one delivery, both first-time jobs, taken by two instances at once: exactly one card', async () => {
  const [channel] = await subscribe('Copies', 1);
  const [target] = await new SubscriptionRegistry(new BlobsStorage(azurite.connectionString, names.container)).targets(TENANTS.contoso.id);
  expect(target.channelId).toBe(channel);
  // One job at a time each: while an instance holds its copy, the other copy can only go to the other instance.
  const a = await startInstance('A', { concurrency: 1 });
  const b = await startInstance('B', { concurrency: 1 });
  // Each instance records its post slowly, so both copies are in flight before either is recorded.
  const slowA = a.faults.fail(markerWrite, { delayMs: 2000 });
  const slowB = b.faults.fail(markerWrite, { delayMs: 2000 });

  // Two identical delivery jobs, as a fan-out re-expanded from its cursor leaves them: neither has been taken before.
  const outbox = new AzureQueueOutbox(azurite.connectionString, names.queue);
  await outbox.init();
  const job = { kind: 'deliver', deliveryId: `copies-${Date.now()}`, notice: NOTICE, target, attempt: 0 } as const;
  await Promise.all([outbox.enqueue(job), outbox.enqueue(job)]);

  // Each instance took one copy first: it posted it, or found the other's claim and put its copy back.
  const tookOne = (i: Instance) => stats(i).delivered + stats(i).heldBack >= 1;
  await until(() => tookOne(a) && tookOne(b), 'both instances to take a copy', 30_000);
  await drained(a);

  expect(postsPerChannel(standIns.teams).get(channel)).toBe(1);
  expect(stats(a).delivered + stats(b).delivered).toBe(1);
  // The copy that found the other's claim waited, then found the post recorded.
  expect(stats(a).heldBack + stats(b).heldBack).toBeGreaterThanOrEqual(1);
  expect(stats(a).duplicatesSkipped + stats(b).duplicatesSkipped).toBe(1);
  expect(stats(a).claimsTakenOver + stats(b).claimsTakenOver).toBe(0);
  expect(slowA.hits.length + slowB.hits.length).toBe(1);
});

it('a sender killed (SIGKILL) after Teams took the card, before recording it: its claim is taken over after the visibility timeout and sent once more, never a third time', async () => {
  const [channel] = await subscribe('Claim left', 1);
  const faults = await startStorageFaults(azurite);
  // The record of the post reaches the proxy and is never answered: the claim stays 'sending'.
  const stalled = faults.fail(markerWrite, { hold: true });
  try {
    const a = await startChild('A', faults, { visibilitySeconds: SLOW_VISIBILITY });
    expect(await notify(a)).toBe(202);
    await stalled.hit();
    expect(postsPerChannel(standIns.teams).get(channel)).toBe(1);
    expect(faults.requests().filter(claimWrite)[0]?.outcome).toBe(201);
    await a.stop('SIGKILL');

    const b = await startInstance('B');
    await until(() => stats(b).claimsTakenOver === 1, 'B to take the abandoned claim over', 30_000);
    await drained(b);

    // The one documented repeat: the killed sender's card, and B's.
    expect(postsPerChannel(standIns.teams).get(channel)).toBe(2);
    expect(stats(b).delivered).toBe(1);
    expect(stats(b).markerWriteFailures).toBe(0);
    expect(b.faults.requests().filter(markerWrite).map((r) => r.outcome)).toEqual([201]);
  } finally {
    await faults.close();
  }
});
