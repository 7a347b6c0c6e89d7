/**
 * One queue message per Confirm: the recovery job a Confirm enqueues before its PATCH becomes the
 * change's fan-out once the change is applied (Notifications.prepare → PreparedAnnouncement.announce),
 * instead of a second message. On both outboxes: the in-memory one and Azure Queue Storage
 * (Azurite, through a proxy that counts and fails real queue requests). When the prepared message
 * is gone — a worker took it after its delay, or the update fails — a fresh fan-out goes out, and
 * every channel still gets one card. announce() without a prepared message works as before.
 */
import { Writable } from 'node:stream';
import { startStandIns, type StandIns } from '../../../bench/lib/standins';
import { createApp, type BotApp } from '../../../bot/app';
import { loadConfig } from '../../../bot/config';
import { createLogger } from '../../../bot/log';
import type { ChangeNotice } from '../../../bot/notifications';
import { TENANTS } from '../../../sandbox/directory';
import type { RunningAzurite } from '../../../sandbox/azurite';
import { startAzurite } from '../../support/azurite';
import { startStorageFaults, type StorageFaults, type StorageRequest } from '../../support/storage-faults';
import { FAST_WORKER, forgetBotTokens, postsPerChannel, SEED, until, USERS } from './helpers';

jest.setTimeout(120_000);

/** Short, so a prepared message falls due within the test. */
const RECOVERY_DELAY = 1;

let azurite: RunningAzurite;
let standIns: StandIns;
let bot: BotApp | undefined;
let faults: StorageFaults | undefined;
let seq = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});
beforeEach(async () => {
  forgetBotTokens();
  standIns = await startStandIns();
});
afterEach(async () => {
  await bot?.close();
  bot = undefined;
  await faults?.close();
  faults = undefined;
  await standIns.close();
});

type Kind = 'memory' | 'azure';

/** The bot, its worker not started yet (listen() starts it), on the outbox asked for. */
async function startBot(kind: Kind): Promise<BotApp> {
  seq += 1;
  const name = `prepared-${seq}-${Date.now()}`;
  const env: Record<string, string> = { PORT: '3978', LOG_LEVEL: 'error' };
  if (kind === 'azure') {
    faults = await startStorageFaults(azurite);
    Object.assign(env, { AZURE_STORAGE_CONNECTION_STRING: faults.connectionString, STATE_CONTAINER: name, NOTIFY_QUEUE: name });
  }
  const quiet = createLogger('error', new Writable({ write: (_c, _e, done) => done() }));
  bot = createApp(loadConfig(standIns.botEnv(env)), { logger: quiet, notifications: { worker: { ...FAST_WORKER, recoveryDelaySeconds: RECOVERY_DELAY } } });
  return bot;
}

async function subscribe(app: BotApp, teamName: string, count: number): Promise<string[]> {
  const team = standIns.teams.team(teamName);
  const ref = { teamId: team.id, tenantId: USERS.alex.tid, serviceUrl: standIns.teams.serviceUrl, name: teamName };
  const ids: string[] = [];
  for (let n = 0; n < count; n += 1) {
    const channel = team.channel(`c-${n}`);
    await app.services.notifications.registry.subscribe(ref, channel.id, channel.name, 'setup');
    ids.push(channel.id);
  }
  return ids;
}

const notice = (): ChangeNotice => ({ tenantId: TENANTS.contoso.id, uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', by: 'Adele Vance', at: Date.now(), where: 'personal chat', source: 'bot' });

/** Queue requests that add a message to the work queue (Put Message), and that rewrite one (Update Message). */
const workQueue = (r: StorageRequest) => r.service === 'queue' && !r.path.includes('-poison');
const sends = () => faults!.requests().filter((r) => workQueue(r) && r.method === 'POST');
const updates = () => faults!.requests().filter((r) => workQueue(r) && r.method === 'PUT' && /\/messages\/[^/]+$/.test(r.path));

/** Every channel has exactly one card, the queue is empty, and stays so past the recovery delay. */
async function deliveredOnce(app: BotApp, channels: string[]): Promise<void> {
  const n = app.services.notifications;
  await until(() => channels.every((c) => (postsPerChannel(standIns.teams).get(c) ?? 0) >= 1), 'a card in every channel', 60_000);
  await until(async () => (await n.outbox.depth()) === 0, 'an empty outbox', 60_000);
  await new Promise((resolve) => setTimeout(resolve, (RECOVERY_DELAY + 1.5) * 1000));
  expect(await n.outbox.depth()).toBe(0);
  const counts = postsPerChannel(standIns.teams);
  expect(channels.map((c) => counts.get(c))).toEqual(channels.map(() => 1));
  expect(n.stats.expanded).toBe(1);
  expect(n.stats.deadLettered).toBe(0);
}

describe.each<[string, Kind]>([
  ['the in-memory outbox', 'memory'],
  ['Azure Queue Storage (Azurite)', 'azure'],
])('on %s', (_name, kind) => {
  it('prepare → announce is one queue message: the prepared recovery job becomes the fan-out, visible at once, delivered once', async () => {
    const app = await startBot(kind);
    const channels = await subscribe(app, 'Prepared', 3);
    const n = app.services.notifications;

    const prepared = await n.prepare('change-prepared');
    await prepared.announce(notice(), 'delivery-prepared');
    expect(await n.outbox.depth()).toBe(1);
    if (kind === 'azure') {
      expect(sends().map((r) => r.job?.kind)).toEqual(['recover']);
      expect(updates().map((r) => [r.job?.kind, r.query.get('visibilitytimeout'), r.outcome])).toEqual([['fanout', '0', 204]]);
    }

    await app.listen(0);
    await deliveredOnce(app, channels);
    expect(n.stats.recovered).toBe(0);
    if (kind === 'azure') expect(sends().filter((r) => r.job?.kind !== 'deliver')).toHaveLength(1);
  });

  it('a prepared message a worker already took (its delay ran out): a fresh fan-out, delivered once', async () => {
    const app = await startBot(kind);
    const channels = await subscribe(app, 'Taken', 2);
    const n = app.services.notifications;

    const prepared = await n.prepare('change-taken');
    await new Promise((resolve) => setTimeout(resolve, RECOVERY_DELAY * 1000 + 300));
    // Another instance's worker takes the recovery job now: this instance's receipt no longer holds it.
    const [taken] = await n.outbox.receive(1, 30);
    expect(taken?.job.kind).toBe('recover');

    await prepared.announce(notice(), 'delivery-taken');
    expect(await n.outbox.depth()).toBe(2);
    await n.outbox.remove(taken!); // that worker found nothing to do (the change was announced)

    await app.listen(0);
    await deliveredOnce(app, channels);
  });

  it('announce() without a prepared message still queues one fan-out, delivered once', async () => {
    const app = await startBot(kind);
    const channels = await subscribe(app, 'Unprepared', 2);
    const n = app.services.notifications;

    await n.announce(notice(), 'delivery-unprepared');
    expect(await n.outbox.depth()).toBe(1);
    await app.listen(0);
    await deliveredOnce(app, channels);
  });
});

it('Azure: the update of the prepared message fails (500): a fresh fan-out, delivered once; the recovery job then finds nothing to do', async () => {
  const app = await startBot('azure');
  const channels = await subscribe(app, 'Refused', 2);
  const n = app.services.notifications;

  const prepared = await n.prepare('change-refused');
  const refused = faults!.fail((r) => workQueue(r) && r.method === 'PUT' && /\/messages\/[^/]+$/.test(r.path), { status: 500, code: 'InternalError' }, 10);
  await prepared.announce(notice(), 'delivery-refused');
  refused.remove();
  expect(refused.hits.length).toBeGreaterThanOrEqual(1);
  expect(sends().map((r) => r.job?.kind)).toEqual(['recover', 'fanout']);
  expect(await n.outbox.depth()).toBe(2);

  await app.listen(0);
  await deliveredOnce(app, channels);
});
