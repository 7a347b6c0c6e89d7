/**
 * The bounded reader alone, on in-memory streams: media types, encodings (the limit is on the
 * inflated bytes), corrupt streams, UTF-8, depth — each refusal an HttpError with its status.
 */
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { BodyAborted, checkMediaType, decoderFor, jsonDepthExceeds, parseJsonBody, readBody, readJson, type BodySource } from '../../../bot/http/body';
import { HttpError } from '../../../bot/http/errors';

function source(body: Buffer | Buffer[], headers: Record<string, string> = {}): BodySource {
  const chunks = Array.isArray(body) ? body : [body];
  return Object.assign(Readable.from(chunks, { objectMode: false }), { headers: { 'content-type': 'application/json', ...headers } });
}

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<{ status: number; code: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('checkMediaType', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"', 'application/json; charset=utf8'])('accepts %j', (t) => {
    expect(() => checkMediaType(t)).not.toThrow();
  });
  it.each([
    undefined,
    '',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/json; charset=iso-8859-1',
    'application/json; charset=utf-16',
    'application/jsonp',
    'application/vnd.api+json',
  ])('refuses %j with 415', async (t) => {
    expect(await refusal(() => checkMediaType(t))).toEqual({ status: 415, code: 'UnsupportedMediaType' });
  });
});

describe('decoderFor', () => {
  it('identity and none need no decoder', () => {
    expect(decoderFor(undefined)).toBeUndefined();
    expect(decoderFor('identity')).toBeUndefined();
    expect(decoderFor(' Identity ')).toBeUndefined();
  });
  it('gzip and deflate get one', () => {
    expect(decoderFor('gzip')).toBeInstanceOf(zlib.Gunzip);
    expect(decoderFor('GZIP')).toBeInstanceOf(zlib.Gunzip);
    expect(decoderFor('deflate')).toBeInstanceOf(zlib.Inflate);
  });
  it.each(['br', 'compress', 'x-foo', 'gzip, gzip', 'deflate, gzip', 'zstd'])('refuses %j with 415', async (e) => {
    expect(await refusal(() => decoderFor(e))).toEqual({ status: 415, code: 'UnsupportedContentEncoding' });
  });
});

describe('jsonDepthExceeds', () => {
  it('counts brackets and braces, not those inside strings', () => {
    expect(jsonDepthExceeds('[[[]]]', 3)).toBe(false);
    expect(jsonDepthExceeds('[[[[]]]]', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":{"c":1}}}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":{"c":{}}}}', 3)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(100)}"}`, 3)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"${'['.repeat(100)}"}`, 3)).toBe(false);
    expect(jsonDepthExceeds('[[], [], [], []]', 1)).toBe(true);
    expect(jsonDepthExceeds('[[], [], [], []]', 2)).toBe(false);
  });
  it('scans 100,000 levels without recursion', () => {
    expect(jsonDepthExceeds('['.repeat(100_000) + ']'.repeat(100_000), 64)).toBe(true);
  });
});

describe('parseJsonBody', () => {
  it('parses UTF-8 JSON, with or without a BOM', () => {
    expect(parseJsonBody(Buffer.from('{"text":"héllo ✓"}'))).toEqual({ text: 'héllo ✓' });
    expect(parseJsonBody(Buffer.from('\ufeff{"a":1}'))).toEqual({ a: 1 });
  });
  it('refuses invalid UTF-8 (400) instead of replacing it', async () => {
    expect(await refusal(() => parseJsonBody(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])))).toEqual({ status: 400, code: 'InvalidUtf8' });
    expect(await refusal(() => parseJsonBody(Buffer.from([0x22, 0xff, 0x22])))).toEqual({ status: 400, code: 'InvalidUtf8' });
  });
  it('refuses invalid and empty JSON (400)', async () => {
    expect(await refusal(() => parseJsonBody(Buffer.from('{"a":')))).toEqual({ status: 400, code: 'InvalidJson' });
    expect(await refusal(() => parseJsonBody(Buffer.alloc(0)))).toEqual({ status: 400, code: 'InvalidJson' });
  });
  it('refuses JSON deeper than 64 (400), accepts 64', async () => {
    expect(parseJsonBody(Buffer.from('['.repeat(64) + ']'.repeat(64)))).toBeDefined();
    expect(await refusal(() => parseJsonBody(Buffer.from('['.repeat(65) + ']'.repeat(65))))).toEqual({ status: 400, code: 'JsonTooDeep' });
    expect(await refusal(() => parseJsonBody(Buffer.from('['.repeat(100_000) + ']'.repeat(100_000))))).toEqual({ status: 400, code: 'JsonTooDeep' });
  });
});

describe('readBody', () => {
  const json = Buffer.from(JSON.stringify({ type: 'message', text: 'hello' }));

  it('reads an identity body in pieces', async () => {
    expect((await readBody(source([json.subarray(0, 5), json.subarray(5)]), { limit: 1024 })).equals(json)).toBe(true);
  });

  it('inflates gzip and deflate', async () => {
    expect((await readBody(source(zlib.gzipSync(json), { 'content-encoding': 'gzip' }), { limit: 1024 })).equals(json)).toBe(true);
    expect((await readBody(source(zlib.deflateSync(json), { 'content-encoding': 'deflate' }), { limit: 1024 })).equals(json)).toBe(true);
  });

  it('refuses a declared Content-Length over the limit before reading a byte', async () => {
    const body = source(json, { 'content-length': '2000' });
    let read = false;
    body.on('data', () => (read = true));
    body.pause();
    expect(await refusal(readBody(body, { limit: 1000 }))).toEqual({ status: 413, code: 'PayloadTooLarge' });
    expect(read).toBe(false);
  });

  it('refuses an undeclared body as soon as it passes the limit, without reading the rest', async () => {
    let produced = 0;
    const endless = Object.assign(
      new Readable({
        read() {
          produced += 1024;
          this.push(Buffer.alloc(1024, 0x20));
        },
      }),
      { headers: { 'content-type': 'application/json' } },
    );
    expect(await refusal(readBody(endless, { limit: 10 * 1024 }))).toEqual({ status: 413, code: 'PayloadTooLarge' });
    expect(produced).toBeLessThan(200 * 1024);
    endless.destroy();
  });

  it('applies the limit to the inflated bytes: a gzip bomb stops at the limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024)); // ~50 KB that inflate to 50 MB
    expect(bomb.length).toBeLessThan(100 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    expect(await refusal(readBody(source(bomb, { 'content-encoding': 'gzip' }), { limit: 256 * 1024 }))).toEqual({ status: 413, code: 'PayloadTooLarge' });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(20 * 1024 * 1024);
  });

  it('a truncated or corrupt stream is a 400, not a crash', async () => {
    const gz = zlib.gzipSync(json);
    expect(await refusal(readBody(source(gz.subarray(0, 20), { 'content-encoding': 'gzip' }), { limit: 1024 }))).toEqual({ status: 400, code: 'InvalidContentEncoding' });
    expect(await refusal(readBody(source(Buffer.from('not deflate at all'), { 'content-encoding': 'deflate' }), { limit: 1024 }))).toEqual({ status: 400, code: 'InvalidContentEncoding' });
    expect(await refusal(readBody(source(json, { 'content-encoding': 'gzip' }), { limit: 1024 }))).toEqual({ status: 400, code: 'InvalidContentEncoding' });
  });

  it('an unknown encoding is a 415 before reading', async () => {
    expect(await refusal(readBody(source(json, { 'content-encoding': 'br' }), { limit: 1024 }))).toEqual({ status: 415, code: 'UnsupportedContentEncoding' });
  });

  it('a client that goes away mid-body is BodyAborted', async () => {
    const body = Object.assign(new Readable({ read() {} }), { headers: {} });
    const reading = readBody(body, { limit: 1024 });
    body.push(Buffer.from('{"a"'));
    body.destroy();
    await expect(reading).rejects.toBeInstanceOf(BodyAborted);
  });
});

describe('readJson', () => {
  it('checks the media type first', async () => {
    expect(await refusal(readJson(source(Buffer.from('{}'), { 'content-type': 'text/plain' }), { limit: 1024 }))).toEqual({ status: 415, code: 'UnsupportedMediaType' });
  });
  it('returns the value of a gzip JSON body', async () => {
    expect(await readJson(source(zlib.gzipSync('{"type":"message"}'), { 'content-encoding': 'gzip' }), { limit: 1024 })).toEqual({ type: 'message' });
  });
});
