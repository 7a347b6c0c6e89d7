/**
 * Hostile HTTP against the real `npm run bot` process (node dist/bot/index.js, configured only by
 * its environment, with a temp folder of its own): broken and compressed bodies, bombs, multipart,
 * wrong media types, deep and invalid JSON, slow headers, forged and mismatched activities. Each is
 * answered 4xx within a bound; afterwards the process is alive, its RSS barely moved, its temp
 * folder is empty, and a signed `help` from the Teams stand-in still works. Build first (`npm run build`).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import { freePort, startBotProcess, type BotProcess } from '../../../bench/lib/processes';
import { distEntry } from '../../../bench/lib/root';
import { startStandIns, type StandIns } from '../../../bench/lib/standins';
import { TENANTS } from '../../../sandbox/directory';
import type { TurnResult } from '../../../sandbox/teams';
import { postedCards } from '../conversation/helpers';

jest.setTimeout(180_000);

/** Generous for a loaded 2-core machine; a crash, a hang or a 300 MB inflate would still miss it. */
const ANSWER_WITHIN_MS = 8_000;
/** The bot's default header timeout (10 s) plus Node's check interval (1 s) and slack. */
const SLOW_HEADERS_CLOSED_WITHIN_MS = 15_000;
const RSS_GROWTH_MAX_KIB = 50 * 1024;
const MB = 1024 * 1024;

let standIns: StandIns;
let bot: BotProcess;
let tmp: string;
let notifyKey: string;
let warmUp: TurnResult;
let rssBefore: number;
let peakBefore: number;

beforeAll(async () => {
  const entry = distEntry('bot/index.js');
  standIns = await startStandIns();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-bot-tmp-'));
  const env = standIns.botEnv({ TMPDIR: tmp, TMP: tmp, TEMP: tmp });
  notifyKey = env.NOTIFY_API_KEY!;
  expect(notifyKey).toBeTruthy();
  bot = await startBotProcess({ entry, env, port: await freePort(), name: 'hostile-bot' });
  standIns.teams.setBotEndpoint(bot.endpoint);
  warmUp = await standIns.teams.personalChat('alex').send('help');
  expect(warmUp.status).toBe(200);
  expect(postedCards(warmUp)).toHaveLength(1);
  rssBefore = bot.rssKiB()!;
  peakBefore = bot.peakRssKiB()!;
});

afterAll(async () => {
  await bot?.kill('SIGKILL');
  await standIns?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: any;
  ms: number;
}

/**
 * POSTs chunks (with Content-Length unless `chunked`), stops writing once the bot answered, and
 * resolves with the answer; a connection the bot drops after answering is fine.
 */
function send(route: string, headers: Record<string, string>, chunks: Iterable<Buffer>, opts: { chunked?: boolean } = {}): Promise<Answer> {
  const list = [...chunks];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`));
    }, ANSWER_WITHIN_MS);
    const length = opts.chunked ? {} : { 'content-length': String(list.reduce((n, c) => n + c.length, 0)) };
    const req = http.request({ host: '127.0.0.1', port: bot.port, path: route, method: 'POST', agent: false, headers: { ...length, ...headers } }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(parts).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // kept as text: the assertions say it should have been JSON
        }
        resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started });
        req.destroy();
      });
    });
    req.on('error', (err) => {
      if (answered) return;
      clearTimeout(timer);
      reject(err);
    });
    void (async () => {
      for (const c of list) {
        if (answered || req.destroyed) return;
        if (!req.write(c)) {
          await new Promise<void>((r) => {
            const go = () => {
              req.off('drain', go).off('close', go);
              r();
            };
            req.on('drain', go).on('close', go);
          });
        }
      }
      if (!answered && !req.destroyed) req.end();
    })();
  });
}

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const messages = (headers: Record<string, string>, body: Buffer | Buffer[], opts?: { chunked?: boolean }) =>
  send('/api/messages', headers, Array.isArray(body) ? body : [body], opts);

/**
 * `megabytes` MB of zeros as gzip (about 1 KB per MB): one member for 1 MB, repeated — gzip allows
 * concatenated members, and this process never holds the inflated bytes.
 */
function gzipBomb(megabytes: number): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(MB), { level: 9 });
  return Buffer.concat(Array.from({ length: megabytes }, () => member));
}

describe('hostile HTTP against the bot process', () => {
  const answers: Array<[string, Answer]> = [];
  const expectRefused = (what: string, a: Answer, status: number, code?: string) => {
    answers.push([what, a]);
    expect({ what, status: a.status }).toEqual({ what, status });
    expect(a.ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect(typeof a.body).toBe('object');
    if (code) expect(a.body.error.code).toBe(code);
    // No internals: no stack frames, no botbuilder or zlib messages.
    expect(JSON.stringify(a.body)).not.toMatch(/at .*\.(js|ts):\d+|zlib|incorrect header|unexpected end|botbuilder|JsonWebToken|signature/i);
  };
  const activity = () => JSON.stringify({ ...warmUp.activity, id: `${Date.now()}`, text: 'help' });

  let slowHeaders: Promise<{ ms: number; answer: string }>;
  beforeAll(() => {
    // Slowloris: a partial header line, then nothing. Runs while the other requests go on.
    slowHeaders = new Promise((resolve, reject) => {
      const started = performance.now();
      const socket = net.connect(bot.port, '127.0.0.1', () => socket.write('POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: waiting'));
      let answer = '';
      socket.on('data', (c) => (answer += c.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ ms: performance.now() - started, answer }));
      setTimeout(() => {
        socket.destroy();
        reject(new Error('the bot kept a slow-headers connection open'));
      }, SLOW_HEADERS_CLOSED_WITHIN_MS + 5_000).unref();
    });
  });

  it('a truncated gzip body is a 400, and the process lives', async () => {
    const gz = zlib.gzipSync(activity());
    expectRefused('truncated gzip', await messages({ ...JSON_TYPE, 'content-encoding': 'gzip' }, gz.subarray(0, 20)), 400, 'InvalidContentEncoding');
    expectRefused('truncated gzip, notify', await send('/api/notify', { ...JSON_TYPE, authorization: `Bearer ${notifyKey}`, 'content-encoding': 'gzip' }, [gz.subarray(0, 20)]), 400, 'InvalidContentEncoding');
    expect(bot.alive()).toBe(true);
  });

  it('a gzip bomb (300 KB → 300 MB) is a 413, declared or streamed', async () => {
    const bomb = gzipBomb(300);
    expect(bomb.length).toBeLessThan(400 * 1024);
    expectRefused('gzip bomb, Content-Length', await messages({ ...JSON_TYPE, 'content-encoding': 'gzip' }, bomb), 413, 'PayloadTooLarge');
    // Without a length the bot must stop on the inflated bytes (256 KiB), long before the compressed ones.
    const pieces = Array.from({ length: Math.ceil(bomb.length / 16384) }, (_, i) => bomb.subarray(i * 16384, (i + 1) * 16384));
    expectRefused('gzip bomb, chunked', await messages({ ...JSON_TYPE, 'content-encoding': 'gzip' }, pieces, { chunked: true }), 413, 'PayloadTooLarge');
    expectRefused('gzip bomb, notify', await send('/api/notify', { ...JSON_TYPE, authorization: `Bearer ${notifyKey}`, 'content-encoding': 'gzip' }, pieces.slice(0, 4), { chunked: true }), 413, 'PayloadTooLarge');
  });

  it('deflate garbage is a 400', async () => {
    expectRefused('deflate garbage', await messages({ ...JSON_TYPE, 'content-encoding': 'deflate' }, Buffer.from('this is not a deflate stream at all')), 400, 'InvalidContentEncoding');
  });

  it.each(['br', 'x-foo', 'gzip, gzip', 'compress'])('Content-Encoding %j is a 415', async (encoding) => {
    expectRefused(`encoding ${encoding}`, await messages({ ...JSON_TYPE, 'content-encoding': encoding }, Buffer.from(activity())), 415, 'UnsupportedContentEncoding');
  });

  it('a 20 MB multipart upload is a 415 and leaves no temp file', async () => {
    const boundary = 'hostileboundary';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const block = Buffer.alloc(MB, 0x61);
    const upload = [head, ...Array.from({ length: 20 }, () => block), Buffer.from(`\r\n--${boundary}--\r\n`)];
    expectRefused('multipart', await messages({ 'content-type': `multipart/form-data; boundary=${boundary}` }, upload), 415, 'UnsupportedMediaType');
    expectRefused('multipart, chunked', await messages({ 'content-type': `multipart/form-data; boundary=${boundary}` }, upload, { chunked: true }), 415, 'UnsupportedMediaType');
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['no Content-Type', {}],
    ['JSON in Latin-1', { 'content-type': 'application/json; charset=iso-8859-1' }],
  ])('%s is a 415', async (what, headers) => {
    expectRefused(what, await messages(headers, Buffer.from(activity())), 415, 'UnsupportedMediaType');
  });

  it('a 2 MB JSON body is a 413, declared or streamed', async () => {
    const big = Buffer.from(JSON.stringify({ type: 'message', text: 'x'.repeat(2 * MB) }));
    expectRefused('2 MB JSON', await messages(JSON_TYPE, big), 413, 'PayloadTooLarge');
    const pieces = Array.from({ length: 32 }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536));
    expectRefused('2 MB JSON, chunked', await messages(JSON_TYPE, pieces, { chunked: true }), 413, 'PayloadTooLarge');
  });

  it('100,000-deep JSON is a 400', async () => {
    const deep = Buffer.from(`{"type":"message","text":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expectRefused('deep JSON', await messages(JSON_TYPE, deep), 400, 'JsonTooDeep');
  });

  it('invalid UTF-8 is a 400', async () => {
    const body = Buffer.concat([Buffer.from('{"type":"message","text":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    expectRefused('invalid UTF-8', await messages(JSON_TYPE, body), 400, 'InvalidUtf8');
  });

  it('JSON that is not an activity is a 400', async () => {
    expectRefused('not an activity (object)', await messages(JSON_TYPE, Buffer.from('{"hello":"world"}')), 400, 'NotAnActivity');
    expectRefused('not an activity (array)', await messages(JSON_TYPE, Buffer.from('[{"type":"message"}]')), 400, 'NotAnActivity');
    expectRefused('not an activity (type 5)', await messages(JSON_TYPE, Buffer.from('{"type":5}')), 400, 'NotAnActivity');
  });

  it('an activity whose x-ms-tenant-id header names another tenant is a 400', async () => {
    expectRefused('tenant mismatch', await messages({ ...JSON_TYPE, 'x-ms-tenant-id': TENANTS.fabrikam.id }, Buffer.from(activity())), 400, 'TenantMismatch');
  });

  it('a forged signature (a known key id, another key) is a 401, not botbuilder\'s 500', async () => {
    const sentBefore = standIns.teams.sent().length;
    for (const auth of ['forged', 'none', 'unknownKey'] as const) {
      const started = performance.now();
      const answer = await standIns.teams.postRaw({ ...warmUp.activity, id: `${Date.now()}`, text: 'help' }, { auth });
      expectRefused(`signature ${auth}`, { status: answer.status, body: answer.body, ms: performance.now() - started }, 401, 'Unauthorized');
    }
    expect(standIns.teams.sent().length).toBe(sentBefore);
  });

  it('a refused client still sending (Connection: close) gets its answer, and the connection only after a linger', async () => {
    // Closing the socket right after the 4xx, with the client's bytes unread, resets the connection
    // and can destroy the answer before the client reads it (RFC 9112 §9.6).
    const { answeredMs, closedMs, answer } = await new Promise<{ answeredMs: number; closedMs: number; answer: string }>((resolve) => {
      const started = performance.now();
      let answer = '';
      let answeredMs = 0;
      const socket = net.connect(bot.port, '127.0.0.1', () => {
        socket.write('POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 10000000\r\n\r\n');
      });
      const trickle = setInterval(() => socket.writable && socket.write(Buffer.alloc(1000, 0x61), () => undefined), 50);
      socket.on('data', (c) => {
        answer += c.toString('latin1');
        answeredMs ||= performance.now() - started;
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(trickle);
        resolve({ answeredMs, closedMs: performance.now() - started, answer });
      });
    });
    expect(answer).toMatch(/^HTTP\/1\.1 415 /);
    expect(answeredMs).toBeLessThan(ANSWER_WITHIN_MS);
    expect(closedMs - answeredMs).toBeGreaterThan(1_000);
    expect(closedMs - answeredMs).toBeLessThan(8_000);
  });

  it('a connection that never finishes its headers is closed within the header timeout', async () => {
    const { ms, answer } = await slowHeaders;
    expect(ms).toBeLessThan(SLOW_HEADERS_CLOSED_WITHIN_MS);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('afterwards: alive, RSS grew < 50 MB, the temp folder is empty, and a signed help works', async () => {
    expect(answers.length).toBeGreaterThan(15);
    expect(bot.alive()).toBe(true);
    const growth = bot.rssKiB()! - rssBefore;
    expect(growth).toBeLessThan(RSS_GROWTH_MAX_KIB);
    // The peak too: a 300 MB inflate freed again would still show here.
    expect(bot.peakRssKiB()!).toBeLessThan(Math.max(peakBefore, rssBefore + RSS_GROWTH_MAX_KIB));
    expect(fs.readdirSync(tmp)).toEqual([]);
    const turn = await standIns.teams.personalChat('alex').send('help');
    expect(turn.status).toBe(200);
    expect(postedCards(turn)).toHaveLength(1);
  });
});
