/**
 * POST /api/notify over real HTTP: the key (constant-time compare), validation naming the bad
 * field, JSON only (415), the size limit, the per-key rate limit (429 + Retry-After), each key bound
 * to its tenant (403), 404 when no key is set, and 202 → a card in subscribed channels.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { TENANTS } from '../../../sandbox/directory';
import type { World } from '../../support/world';
import { cardText, notificationPosts, SEED, startNotificationWorld, until } from './helpers';

const KEY = 'test-notify-key-0123456789abcdef';

function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/notify`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers }));
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

  it('413 for a small gzip body that inflates beyond the limit (the limit is on inflated bytes)', async () => {
    const gz = zlib.gzipSync(JSON.stringify({ ...valid, note: ' '.repeat(100_000) }));
    expect(gz.length).toBeLessThan(8 * 1024);
    const res = await post(w.botUrl, gz, { ...auth, 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PayloadTooLarge');
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }, 'UnsupportedMediaType'],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, 'UnsupportedMediaType'],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }, 'UnsupportedMediaType'],
    ['another charset', { 'content-type': 'application/json; charset=iso-8859-1' }, 'UnsupportedMediaType'],
    ['brotli', { 'content-encoding': 'br' }, 'UnsupportedContentEncoding'],
  ])('415 for %s, and nothing is queued', async (_what, headers, code) => {
    const depth = await w.bot.services.notifications.outbox.depth();
    const res = await post(w.botUrl, JSON.stringify(valid), { ...auth, ...headers });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe(code);
    expect(await w.bot.services.notifications.outbox.depth()).toBe(depth);
  });

  it('400 for a corrupt gzip body', async () => {
    const res = await post(w.botUrl, zlib.gzipSync(JSON.stringify(valid)).subarray(0, 20), { ...auth, 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('InvalidContentEncoding');
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

describe('with one key per tenant (NOTIFY_API_KEYS) and a rate limit', () => {
  const CONTOSO_KEY = 'contoso-notify-key-0123456789abcdef';
  const FABRIKAM_KEY = 'fabrikam-notify-key-0123456789abcdef';
  const LIMIT = 3;
  let w: World;
  beforeAll(async () => {
    w = await startNotificationWorld({
      env: {
        NOTIFY_API_KEY: '',
        ALLOWED_TENANTS: `${TENANTS.contoso.id},${TENANTS.fabrikam.id}`,
        NOTIFY_API_KEYS: `${TENANTS.contoso.id}=${CONTOSO_KEY},${TENANTS.fabrikam.id}=${FABRIKAM_KEY}`,
        NOTIFY_RATE_LIMIT_PER_MINUTE: String(LIMIT),
      },
    });
  });
  afterAll(async () => {
    await w.close();
  });
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  it('the announcement carries the key\'s tenant; a body naming another tenant is a 403', async () => {
    const announce = jest.spyOn(w.bot.services.notifications, 'announce');
    try {
      const mine = await post(w.botUrl, JSON.stringify({ ...valid, tenantId: TENANTS.fabrikam.id.toUpperCase() }), as(FABRIKAM_KEY));
      expect(mine.status).toBe(202);
      const implied = await post(w.botUrl, JSON.stringify(valid), as(CONTOSO_KEY));
      expect(implied.status).toBe(202);
      expect(announce.mock.calls.map(([notice]) => notice.tenantId)).toEqual([TENANTS.fabrikam.id, TENANTS.contoso.id]);

      const depth = await w.bot.services.notifications.outbox.depth();
      const other = await post(w.botUrl, JSON.stringify({ ...valid, tenantId: TENANTS.contoso.id }), as(FABRIKAM_KEY));
      expect(other.status).toBe(403);
      expect(other.body.error).toMatchObject({ code: 'TenantNotOfKey', field: 'tenantId' });
      expect(announce).toHaveBeenCalledTimes(2);
      expect(await w.bot.services.notifications.outbox.depth()).toBe(depth);
    } finally {
      announce.mockRestore();
    }
  });

  it('400 for a tenantId that is not a GUID', async () => {
    const res = await post(w.botUrl, JSON.stringify({ ...valid, tenantId: 'contoso' }), as(CONTOSO_KEY));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'InvalidField', field: 'tenantId' });
  });

  it(`429 with Retry-After once a key made ${LIMIT} requests in a minute; the other key is not affected`, async () => {
    // The tests above used 2 of Contoso's and 2 of Fabrikam's requests.
    expect((await post(w.botUrl, JSON.stringify(valid), as(FABRIKAM_KEY))).status).toBe(202);
    const depth = await w.bot.services.notifications.outbox.depth();
    const limited = await post(w.botUrl, JSON.stringify(valid), as(FABRIKAM_KEY));
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RateLimited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.error.retryAfterSeconds).toBe(retryAfter);
    expect(await w.bot.services.notifications.outbox.depth()).toBe(depth);
    // An unknown key is a 401 whatever the limits, and does not spend anyone's budget.
    expect((await post(w.botUrl, JSON.stringify(valid), as('x'.repeat(40)))).status).toBe(401);
    expect((await post(w.botUrl, JSON.stringify(valid), as(CONTOSO_KEY))).status).not.toBe(429);
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
