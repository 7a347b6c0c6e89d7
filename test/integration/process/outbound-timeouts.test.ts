/**
 * A Bot Connector that accepts the connection and never answers must not hold a turn forever:
 * the send fails as a coded timeout, the turn ends, the inbound request is answered, and the
 * failure is logged without its internals reaching the response.
 * The bot runs in anonymous mode (no channel auth needed for a raw serviceUrl on loopback).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp, type BotApp } from '../../../bot/app';
import { loadConfig } from '../../../bot/config';
import { createLogger } from '../../../bot/log';

jest.setTimeout(30_000);

const SEND_TIMEOUT_MS = 400;

let connector: http.Server;
let connectorUrl: string;
const held: http.ServerResponse[] = [];
let bot: BotApp;
let botUrl: string;
const lines: string[] = [];

beforeAll(async () => {
  // The remote fault: every Connector call is received and left unanswered.
  connector = http.createServer((_req, res) => void held.push(res));
  await new Promise<void>((resolve) => connector.listen(0, '127.0.0.1', resolve));
  connectorUrl = `http://127.0.0.1:${(connector.address() as AddressInfo).port}`;
  const config = loadConfig({
    ALLOW_ANONYMOUS: 'true',
    AAD_APP_CLIENT_ID: '0f2b6a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c',
    AAD_APP_CLIENT_SECRET: 'timeouts-test-secret',
    AAD_APP_TENANT_ID: '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10',
    AAD_APP_ID_URI: 'api://localhost/0f2b6a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c',
    LOG_LEVEL: 'debug',
  });
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  bot = createApp(config, { logger: createLogger('debug', sink), sendTimeoutMs: SEND_TIMEOUT_MS });
  botUrl = await bot.listen(0);
});

afterAll(async () => {
  await bot?.close(2_000);
  for (const res of held) res.destroy();
  connector.closeAllConnections();
  await new Promise((resolve) => connector.close(resolve));
});

function post(activity: object): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${botUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - started }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(activity));
  });
}

it('a send that hangs fails as a timeout and the turn ends', async () => {
  const answer = await post({
    type: 'message',
    id: 'a1',
    text: 'help',
    channelId: 'msteams',
    serviceUrl: connectorUrl,
    from: { id: '29:user', aadObjectId: '00000000-0000-0000-0000-000000000001' },
    recipient: { id: '28:bot' },
    conversation: { id: 'a:personal', conversationType: 'personal', tenantId: '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10' },
  });
  // The reply and the apology each wait at most the send timeout; nothing waits forever.
  expect(answer.ms).toBeLessThan(SEND_TIMEOUT_MS * 2 + 3_000);
  expect(held.length).toBeGreaterThanOrEqual(1); // the Connector really was called, and never answered
  expect(answer.body).not.toMatch(/did not answer|Bot Connector/);
  const failed = lines.join('').split('\n').filter((l) => l.includes('"msg":"turn failed"')).map((l) => JSON.parse(l));
  expect(failed).toHaveLength(1);
  expect(failed[0].err).toMatchObject({ type: 'BotError', message: expect.stringContaining(`did not answer within ${SEND_TIMEOUT_MS} ms`) });
  expect(bot.drain.size).toBe(0);
});
