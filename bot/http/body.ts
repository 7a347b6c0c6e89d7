/**
 * The one bounded body reader of every route. restify's bodyParser limited the compressed bytes,
 * inflated in memory, died on a truncated gzip stream and wrote multipart uploads to the temp folder
 * (DESIGN "Facts"); this reader accepts JSON only, inflates as a stream with the limit on the
 * inflated bytes, and never touches the disk. Every refusal is an HttpError with its 4xx.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { HttpError } from './errors';

/** Far beyond any activity or notification; deep enough JSON breaks JSON.stringify, zod and pino. */
export const MAX_JSON_DEPTH = 64;

export interface BodySource extends Readable {
  headers: IncomingHttpHeaders;
}

export interface ReadOptions {
  /** Bytes, applied to the raw body and to what it inflates to. */
  limit: number;
  maxDepth?: number;
}

/** The client went away mid-body: nobody is left to answer. */
export class BodyAborted extends Error {
  constructor() {
    super('The client closed the request before its body ended.');
    this.name = 'BodyAborted';
  }
}

const header = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h.join(',') : h);

/** `application/json`, with `charset=utf-8` or no charset; anything else (multipart, forms, text, other charsets) is a 415. */
export function checkMediaType(contentType: string | undefined): void {
  const refuse = () => new HttpError('UnsupportedMediaType', 'The body must be application/json (UTF-8).');
  if (!contentType) throw refuse();
  const [type, ...params] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'application/json') throw refuse();
  for (const p of params) {
    const at = p.indexOf('=');
    const name = p.slice(0, at < 0 ? undefined : at).trim().toLowerCase();
    const value = at < 0 ? '' : p.slice(at + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') throw refuse();
  }
}

/** A fresh inflater for the body's `Content-Encoding`, undefined for identity; a 415 for anything else. */
export function decoderFor(contentEncoding: string | undefined): zlib.Gunzip | zlib.Inflate | undefined {
  const codings = (contentEncoding ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c && c !== 'identity');
  if (codings.length === 0) return undefined;
  if (codings.length === 1 && (codings[0] === 'gzip' || codings[0] === 'x-gzip')) return zlib.createGunzip();
  if (codings.length === 1 && codings[0] === 'deflate') return zlib.createInflate();
  throw new HttpError('UnsupportedContentEncoding', 'Content-Encoding must be identity, gzip or deflate (one of them).');
}

/**
 * Whether JSON text nests deeper than `max`, by one linear scan (no recursion, so a 100,000-deep
 * array costs a loop, not a stack). Brackets inside strings do not count; invalid JSON is left to
 * JSON.parse.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/** Decodes and parses a whole body: strict UTF-8, bounded depth, JSON. */
export function parseJsonBody(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError('InvalidUtf8', 'The body is not valid UTF-8.');
  }
  if (jsonDepthExceeds(text, maxDepth)) throw new HttpError('JsonTooDeep', `The JSON nests deeper than ${maxDepth} levels.`);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError('InvalidJson', 'The body is not valid JSON.');
  }
}

const tooLarge = (limit: number) => new HttpError('PayloadTooLarge', `The body must be at most ${limit} bytes (after decompression).`);

/**
 * Reads the body into memory, never more than `limit` bytes of it raw or inflated. On any refusal
 * it stops inflating at once and pauses the request, leaving the rest to be discarded by the caller.
 */
export function readBody(req: BodySource, { limit }: ReadOptions): Promise<Buffer> {
  const declared = Number(header(req.headers['content-length']));
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  let decoder: zlib.Gunzip | zlib.Inflate | undefined;
  try {
    decoder = decoderFor(header(req.headers['content-encoding']));
  } catch (err) {
    return Promise.reject(err);
  }

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let rawBytes = 0;
    let bodyBytes = 0;
    let settled = false;
    let rawEnded = false;

    const cleanup = () => {
      // Stop reading: what is left is the caller's to discard (or to drop with the connection).
      req.pause();
      req.off('data', onRaw);
      req.off('end', onRawEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      if (decoder) {
        decoder.off('data', onBody);
        decoder.off('end', onBodyEnd);
        decoder.off('drain', onDrain);
        // An inflater may still emit an error while being torn down: nobody listens for it any more but this.
        decoder.on('error', () => undefined);
        decoder.destroy();
      }
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      cleanup();
      reject(err);
    };
    const done = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(Buffer.concat(chunks, bodyBytes));
    };

    const onBody = (chunk: Buffer) => {
      bodyBytes += chunk.length;
      if (bodyBytes > limit) return fail(tooLarge(limit));
      chunks.push(chunk);
    };
    const onBodyEnd = () => done();
    const onDrain = () => req.resume();
    const onRaw = (chunk: Buffer) => {
      rawBytes += chunk.length;
      if (rawBytes > limit) return fail(tooLarge(limit));
      if (!decoder) return onBody(chunk);
      // Backpressure: a bomb's small chunk inflates to a lot; wait until the inflater caught up.
      if (!decoder.write(chunk)) req.pause();
    };
    const onRawEnd = () => {
      rawEnded = true;
      if (decoder) decoder.end();
      else done();
    };
    const onAbort = () => fail(new BodyAborted());
    const onClose = () => {
      if (!rawEnded) fail(new BodyAborted());
    };

    req.on('data', onRaw);
    req.once('end', onRawEnd);
    req.once('error', onAbort);
    req.once('close', onClose);
    if (decoder) {
      decoder.on('data', onBody);
      decoder.once('end', onBodyEnd);
      decoder.on('drain', onDrain);
      decoder.once('error', () => fail(new HttpError('InvalidContentEncoding', 'The compressed body is corrupt or truncated.')));
    }
  });
}

/** checkMediaType, readBody and parseJsonBody: the JSON value of a request, or an HttpError. */
export async function readJson(req: BodySource, opts: ReadOptions): Promise<unknown> {
  checkMediaType(header(req.headers['content-type']));
  const bytes = await readBody(req, opts);
  return parseJsonBody(bytes, opts.maxDepth);
}
