/**
 * The HTTP routes read time only from the clock they are given (the bot's one clock): on
 * POST /api/notify the per-key rate window and the announcement's time move with it, so a test
 * moves time instead of waiting a minute; on POST /api/messages a refusal's logged duration is
 * the clock's. A real restify server on loopback; the announcements are caught at the one method
 * the route calls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { CloudAdapter } from 'botbuilder';
import restify from 'restify';
import { messagesHandler } from '../../../bot/http/messages';
import { notifyHandler } from '../../../bot/http/notify';
import { createLogger } from '../../../bot/log';
import type { ChangeNotice, Notifications } from '../../../bot/notifications';

const KEY = 'clock-test-notify-key-0123456789';
const TENANT = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';
const BODY = JSON.stringify({ uploadId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', status: 'complete' });

let server: restify.Server;
let url: string;
let base: string;
const logged: Array<Record<string, unknown>> = [];
let now = 1_750_000_000_000;
const announced: ChangeNotice[] = [];

beforeAll(async () => {
  const notifications = { announce: async (notice: ChangeNotice) => (announced.push(notice), `delivery-${announced.length}`) } as unknown as Notifications;
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  // Every read of this clock is 250 ms after the one before.
  let ticks = 0;
  const ticking = () => 1_000 + 250 * ticks++;
  server = restify.createServer();
  server.post('/api/messages', messagesHandler({ adapter: new CloudAdapter(), bot: { run: async () => undefined }, log: createLogger('info', sink), clock: ticking }));
  server.post('/api/notify', notifyHandler({ keys: [{ key: KEY, tenantId: TENANT }], notifications, log: createLogger('error'), perKeyPerMinute: 1, clock: () => now }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  url = `${base}/api/notify`;
});
afterAll(() => server.close());

function post(): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

it('the announcement is stamped with the clock, and the rate window opens again when the clock passes a minute', async () => {
  expect((await post()).status).toBe(202);
  expect(announced.map((n) => n.at)).toEqual([now]);

  // One per minute: the second is refused until the clock (not the wall) says a minute went by.
  const refused = await post();
  expect(refused).toEqual({ status: 429, retryAfter: '60' });
  now += 59_000;
  expect((await post()).status).toBe(429);
  now += 1_000;
  expect((await post()).status).toBe(202);
  expect(announced.map((n) => n.at)).toEqual([now - 60_000, now]);
});

it('a request to /api/messages refused before a turn logs its duration from the clock', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{"type":');
  });
  expect(status).toBe(400);
  expect(logged.find((l) => l.msg === 'request refused before a turn')).toMatchObject({ route: '/api/messages', status: 400, durationMs: 250 });
});
