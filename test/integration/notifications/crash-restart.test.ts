/**
 * A bot process killed (SIGKILL, no goodbye) in the middle of a fan-out, then started again on the
 * same Azure Storage: every channel still gets its card. The bot runs as a real child process
 * (`node dist/bot/index.js`, configured only through the environment) — run `npm run build` first.
 */
import { BlobsStorage } from 'botbuilder-azure-blobs';
import { SubscriptionRegistry } from '../../../bot/notifications';
import { USERS } from '../../../sandbox/directory';
import type { TeamsStandIn } from '../../../sandbox/teams';
import { startAzuriteWorld, type AzuriteWorld } from '../../support/azurite';
import { postNotify, startChildBot, stopChildBots, type ChildBot } from '../../support/bot-child';
import { postsPerChannel, SEED, until } from './helpers';

jest.setTimeout(180_000);

const KEY = 'crash-test-notify-key-0123456789abcdef';
const CHANNELS = 150;
/** The worker's default concurrency: at most this many sends can be in flight when the process dies. */
const IN_FLIGHT_BOUND = 16;

let world: AzuriteWorld;
let teams: TeamsStandIn;

beforeAll(async () => {
  world = await startAzuriteWorld('crash');
  ({ teams } = world);
});

afterAll(async () => {
  await stopChildBots();
  await world?.close();
});

const startBot = (): Promise<ChildBot> => startChildBot(world.botEnv({ NOTIFY_API_KEY: KEY, LOG_LEVEL: 'debug' }));

const notify = (url: string): Promise<number> =>
  postNotify(url, KEY, { uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', actor: 'Crash test' });

it('SIGKILL mid fan-out, restart: every channel gets the card, repeats bounded by the sends in flight', async () => {
  // Subscribe the channels straight in the shared store, as earlier subscribe commands would have.
  const registry = new SubscriptionRegistry(new BlobsStorage(world.azurite.connectionString, world.container));
  const ids: string[] = [];
  for (const name of ['Crash A', 'Crash B', 'Crash C']) {
    const team = teams.team(name);
    const ref = { teamId: team.id, tenantId: USERS.alex.tid, serviceUrl: teams.serviceUrl, name };
    for (let i = 0; i < CHANNELS / 3; i += 1) {
      const channel = team.channel(`c-${i}`);
      await registry.subscribe(ref, channel.id, channel.name, 'setup');
      ids.push(channel.id);
    }
  }

  const first = await startBot();
  expect(await notify(first.url)).toBe(202);
  await until(() => postsPerChannel(teams).size >= 30, 'the first 30 cards', 60_000);
  await first.stop('SIGKILL');
  const deliveredBeforeCrash = postsPerChannel(teams).size;
  expect(deliveredBeforeCrash).toBeLessThan(CHANNELS); // the kill really was mid fan-out

  const second = await startBot();
  // Jobs the dead process held come back after their visibility timeout (30 s by default).
  await until(() => postsPerChannel(teams).size === CHANNELS, 'every channel', 120_000);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let stragglers show themselves
  const counts = postsPerChannel(teams);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
  const repeated = [...counts.values()].filter((n) => n > 1).length;
  // At-least-once: only a card whose send was in flight at the kill can be repeated; nothing is lost.
  expect(repeated).toBeLessThanOrEqual(IN_FLIGHT_BOUND);
  expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
  expect(second.output()).toContain('notification posted');
  await second.stop('SIGTERM');
  // eslint-disable-next-line no-console
  console.info(`crash test: ${deliveredBeforeCrash} delivered before SIGKILL, ${CHANNELS - deliveredBeforeCrash} after restart, ${repeated} repeated`);
});
