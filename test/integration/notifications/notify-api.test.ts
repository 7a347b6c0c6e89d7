/**
 * POST /api/notify over real HTTP: the key (constant-time compare), validation naming the bad
 * field, the size limit, 404 when NOTIFY_API_KEY is unset, and 202 → a card in subscribed channels.
 */
import http from 'node:http';
import type { World } from '../../support/world';
import { cardText, notificationPosts, SEED, startNotificationWorld, until } from './helpers';

const KEY = 'test-notify-key-0123456789abcdef';

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/notify`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = { authorization: `Bearer ${KEY}` };
const valid = { uploadId: SEED.error, status: 'complete', previousStatus: 'error', actor: 'Intune sync job', note: 'reprocessed overnight' };

describe('with NOTIFY_API_KEY set', () => {
  let w: World;
  beforeAll(async () => {
    w = await startNotificationWorld({ env: { NOTIFY_API_KEY: KEY } });
  });
  afterAll(async () => {
    await w.close();
  });

  it.each([
    ['no Authorization header', {}],
    ['a wrong key', { authorization: 'Bearer test-notify-key-0123456789abcdeX' }],
    ['a prefix of the key', { authorization: `Bearer ${KEY.slice(0, 10)}` }],
    ['the key without the Bearer scheme', { authorization: KEY }],
    ['Basic auth', { authorization: `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}` }],
  ])('401 with %s, and nothing is queued', async (_what, headers) => {
    const depth = await w.bot.services.notifications.outbox.depth();
    const res = await post(w.botUrl, JSON.stringify(valid), headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('Unauthorized');
    expect(await w.bot.services.notifications.outbox.depth()).toBe(depth);
  });

  it.each([
    ['uploadId', { ...valid, uploadId: 'not-a-guid' }],
    ['uploadId', { ...valid, uploadId: undefined }],
    ['status', { ...valid, status: 'completed' }],
    ['previousStatus', { ...valid, previousStatus: 'done' }],
    ['actor', { ...valid, actor: 'x'.repeat(257) }],
    ['actor', { ...valid, actor: '' }],
    ['note', { ...valid, note: 'n'.repeat(501) }],
    ['note', { ...valid, note: 42 }],
    ['extra', { ...valid, extra: true }],
  ])('400 naming %s', async (field, body) => {
    const res = await post(w.botUrl, JSON.stringify(body), auth);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'InvalidField', field });
  });

  it('400 for a body that is not a JSON object', async () => {
    expect((await post(w.botUrl, '{"uploadId":', auth)).body.error).toMatchObject({ code: 'InvalidJson', field: 'body' });
    expect((await post(w.botUrl, '[1,2]', auth)).body.error).toMatchObject({ code: 'InvalidField', field: 'body' });
  });

  it('413 for an oversized body', async () => {
    const res = await post(w.botUrl, JSON.stringify({ ...valid, note: 'n'.repeat(20_000) }), auth);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PayloadTooLarge');
  });

  it('202 with a delivery id, and the card reaches the subscribed channel', async () => {
    const team = w.teams.team('Ops notify', { botInstalled: false });
    await team.installBot('alex');
    const res = await post(w.botUrl, JSON.stringify(valid), auth);
    expect(res.status).toBe(202);
    expect(res.body.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    await until(() => notificationPosts(w.teams, team.id).length === 1, 'the notification', 30_000);
    const text = cardText(notificationPosts(w.teams, team.id)[0].activity);
    expect(text).toContain(SEED.error);
    expect(text).toContain('Intune sync job');
    expect(text).toContain('outside Teams — reprocessed overnight');
    expect(text).toMatch(/Error.*→.*Complete/);
    expect(w.logs()).toContain(res.body.deliveryId);
    expect(w.logs()).not.toContain(KEY);
  });
});

describe('with NOTIFY_API_KEY unset', () => {
  let w: World;
  beforeAll(async () => {
    w = await startNotificationWorld({ env: { NOTIFY_API_KEY: '' } });
  });
  afterAll(async () => {
    await w.close();
  });

  it('the endpoint does not exist (404), whatever the request', async () => {
    const res = await post(w.botUrl, JSON.stringify(valid), auth);
    expect(res.status).toBe(404);
    expect(await w.bot.services.notifications.outbox.depth()).toBe(0);
  });
});
