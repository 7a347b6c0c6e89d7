/**
 * A rolling restart in the middle of a Confirm loses nothing. The bot runs as a real child
 * process (`node dist/bot/index.js`) on Azurite (state and outbox); Graph is slowed for the PATCH
 * so the Confirm outlives the invoke budget ("updating…") and SIGTERM arrives while the PATCH
 * is still on its way. The child must apply the PATCH once, record the change, replace the card,
 * queue the announcement and exit 0 within the shutdown deadline; a second instance on the same
 * storage then posts the announcement and answers the old card "already done".
 * Run `npm run build` first.
 */
import { BlobsStorage } from 'botbuilder-azure-blobs';
import { RECOVERY_DELAY_SECONDS, SubscriptionRegistry } from '../../../bot/notifications';
import { USERS } from '../../../sandbox/directory';
import { SEED, type GraphStandIn } from '../../../sandbox/graph';
import type { TeamsStandIn } from '../../../sandbox/teams';
import { startAzuriteWorld, type AzuriteWorld } from '../../support/azurite';
import { startChildBot, stopChildBots, type ChildBot } from '../../support/bot-child';
import { askForChange, cardText, keyOf } from '../conversation/helpers';
import { notificationPosts, until } from '../notifications/helpers';

jest.setTimeout(180_000);

/** The PATCH takes longer than the invoke budget (4.5 s), well inside Graph's timeout (10 s). */
const PATCH_DELAY_MS = 7_000;
const DEADLINE_MS = 30_000;

let world: AzuriteWorld;
let graph: GraphStandIn;
let teams: TeamsStandIn;

beforeAll(async () => {
  world = await startAzuriteWorld('drain');
  ({ graph, teams } = world);
});

afterAll(async () => {
  await stopChildBots();
  await world?.close();
});

/** An instance on the world's storage that the Teams stand-in sends its activities to. */
async function startBot(): Promise<ChildBot> {
  const bot = await startChildBot(world.botEnv({ LOG_LEVEL: 'debug' }));
  teams.setBotEndpoint(bot.endpoint);
  return bot;
}

it('SIGTERM during a slow PATCH: applied once, recorded, card replaced, announced, exit 0 within the deadline', async () => {
  const team = teams.team('Drain team');
  const channel = team.channel('Changes');
  const registry = new SubscriptionRegistry(new BlobsStorage(world.azurite.connectionString, world.container));
  await registry.subscribe({ teamId: team.id, tenantId: USERS.alex.tid, serviceUrl: teams.serviceUrl, name: team.name }, channel.id, channel.name, 'setup');

  const first = await startBot();
  const chat = teams.personalChat('alex');
  const confirmation = await askForChange(chat, SEED.pending, 'complete');
  const key = keyOf(confirmation.card);
  // Confirm re-reads the upload (served at once), then PATCHes (held for PATCH_DELAY_MS).
  graph.faults.next(1, { delayMs: 0 });
  graph.faults.next(1, { delayMs: PATCH_DELAY_MS });

  const pressed = chat.press(confirmation, 'Confirm');
  await until(() => graph.faults.pending() === 0, 'the PATCH to reach Graph', 20_000);
  expect(graph.patchCount(SEED.pending)).toBe(0); // still on its way
  const signalled = Date.now();
  first.signal('SIGTERM');

  // The invoke in flight still gets its answer ("updating…": the PATCH outlives the invoke budget).
  const answer = await pressed;
  expect(answer.response).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
  expect(cardText(answer.card)).toMatch(/Updating/i);

  const { code, atMs } = await first.exited;
  expect(code).toBe(0);
  expect(atMs - signalled).toBeLessThan(DEADLINE_MS);
  // It waited for the PATCH rather than exiting at once.
  expect(atMs - signalled).toBeGreaterThanOrEqual(PATCH_DELAY_MS - 2_000);
  expect(graph.patchCount(SEED.pending)).toBe(1);
  expect(graph.upload(SEED.pending)!.status).toBe('complete');
  // The late card update landed before the exit.
  expect(cardText(chat.message(confirmation.id)!.sharedCard)).toContain(`Upload ${SEED.pending} is now Complete`);
  const stopped = first.logs().find((l) => l.msg === 'bot stopped');
  expect(stopped).toMatchObject({ clean: true, pending: [] });
  // Queued by turning the Confirm's prepared recovery message into the fan-out: one queue message.
  expect(first.output()).toMatch(/"via":"prepared message"[^\n]*"msg":"change notification queued"/);

  // A new instance on the same storage: the announcement goes out once, the old card says "done".
  const second = await startBot();
  await until(() => notificationPosts(teams).length > 0, 'the change announcement', 60_000);
  // An old copy of the confirmation (another device) pressing Confirm: "already done", no second PATCH.
  const again = await chat.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'confirmChange', data: { changeKey: key } }, trigger: 'manual' }, { replyToId: confirmation.id });
  expect(cardText((again.body as { value: object }).value)).toContain(`Upload ${SEED.pending} is now Complete`);
  expect(graph.patchCount(SEED.pending)).toBe(1);
  // The recovery message became the fan-out, so nothing comes due after the recovery delay: no
  // second announcement, no recovery.
  await new Promise((r) => setTimeout(r, Math.max(0, signalled + (RECOVERY_DELAY_SECONDS + 3) * 1000 - Date.now())));
  expect(second.output()).not.toContain('change notification recovered');
  const posts = notificationPosts(teams);
  expect(posts).toHaveLength(1);
  expect(posts[0]!.conversationId.split(';')[0]).toBe(channel.id);

  second.signal('SIGTERM');
  expect((await second.exited).code).toBe(0);
});
