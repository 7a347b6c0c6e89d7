/**
 * Two allowed tenants (ALLOWED_TENANTS = Contoso, Fabrikam; one notify key each): a change made
 * in one tenant — confirmed through the bot, or announced on /api/notify with that tenant's key —
 * reaches only that tenant's subscribed channels.
 */
import https from 'node:https';
import http from 'node:http';
import { TENANTS } from '../../../sandbox/directory';
import type { World } from '../../support/world';
import { cardText, notificationPosts, SEED, startNotificationWorld, until } from '../notifications/helpers';

jest.setTimeout(90_000);

const CONTOSO_KEY = 'contoso-notify-key-0123456789abcdef';
const FABRIKAM_KEY = 'fabrikam-notify-key-0123456789abcdef';

let w: World;
beforeEach(async () => {
  w = await startNotificationWorld({
    env: {
      ALLOWED_TENANTS: `${TENANTS.contoso.id},${TENANTS.fabrikam.id}`,
      NOTIFY_API_KEY: '',
      NOTIFY_API_KEYS: `${TENANTS.contoso.id}=${CONTOSO_KEY},${TENANTS.fabrikam.id}=${FABRIKAM_KEY}`,
    },
  });
});
afterEach(async () => {
  await w.close();
});

const postedTo = () => notificationPosts(w.teams).map((s) => s.conversationId.split(';')[0]).sort();

function notify(key: string, body: object): Promise<number> {
  const url = new URL(`${w.botUrl}/api/notify`);
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

it('a change confirmed in Contoso reaches only Contoso\'s channels; one announced with Fabrikam\'s key only Fabrikam\'s', async () => {
  const contoso = w.teams.team('Contoso devices', { botInstalled: false });
  const fabrikam = w.teams.team('Fabrikam devices', { members: ['lee'], botInstalled: false });
  await contoso.installBot('alex');
  await fabrikam.installBot('lee');
  // Both registered (both tenants are allowed), each under its own tenant.
  expect((await w.bot.services.notifications.registry.targets(TENANTS.contoso.id)).map((t) => t.teamId)).toEqual([contoso.id]);
  expect((await w.bot.services.notifications.registry.targets(TENANTS.fabrikam.id)).map((t) => t.teamId)).toEqual([fabrikam.id]);

  const chat = w.teams.personalChat('adele');
  await chat.send(`set upload ${SEED.pending} to complete`);
  await chat.press(chat.lastCardMessage()!, 'Confirm');
  expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
  await until(() => notificationPosts(w.teams).length >= 1, 'the Contoso notification');
  await new Promise((r) => setTimeout(r, 800));
  expect(postedTo()).toEqual([contoso.id]);
  expect(cardText(notificationPosts(w.teams)[0]!.activity)).toContain('Adele Vance');

  expect(await notify(FABRIKAM_KEY, { uploadId: SEED.fabrikam, status: 'complete', previousStatus: 'pending', actor: 'Fabrikam script' })).toBe(202);
  await until(() => notificationPosts(w.teams).length >= 2, 'the Fabrikam notification');
  await new Promise((r) => setTimeout(r, 800));
  expect(postedTo()).toEqual([contoso.id, fabrikam.id].sort());
  const fabrikamPost = notificationPosts(w.teams).find((s) => s.conversationId.startsWith(fabrikam.id))!;
  expect(cardText(fabrikamPost.activity)).toContain('Fabrikam script');
  expect(w.bot.services.notifications.stats.delivered).toBe(2);
});

it('a fan-out queued before tenants were tracked (no tenantId) cannot be placed with two tenants allowed: dead-lettered, sent nowhere', async () => {
  const contoso = w.teams.team('Contoso legacy', { botInstalled: false });
  await contoso.installBot('alex');
  const notifications = w.bot.services.notifications;
  const legacyNotice = { uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', by: 'v1 instance', at: Date.now(), where: 'personal chat', source: 'bot' };
  await notifications.outbox.enqueue({ kind: 'fanout', deliveryId: 'v1-fanout', notice: legacyNotice as never, enqueuedAt: Date.now() });
  await until(async () => (await notifications.deadLetters()).length === 1, 'the dead letter');
  expect((await notifications.deadLetters())[0]!.reason).toContain('names no tenant');
  expect(notificationPosts(w.teams)).toEqual([]);
});
