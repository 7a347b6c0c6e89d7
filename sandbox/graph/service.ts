/**
 * The HTTP face of the stand-in: identifiers and headers on every answer, faults, the bearer check,
 * the version segment, `$batch`, and the request log tests read.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { BodyTooLargeError, readBody } from '../http';
import type { Caller, TokenVerifier } from './auth';
import { runBatch } from './batch';
import {
  gatewayTimeout,
  graphError,
  intuneInternalError,
  intuneTooManyRequests,
  invalidToken,
  invalidVersion,
  serviceUnavailable,
  unreadableJson,
} from './errors';
import type { Fault, FaultQueue } from './faults';
import type { ApiRequest, IntuneApi } from './intune-api';
import type { GraphResponse, RequestContext } from './response';

export interface LoggedRequest {
  method: string;
  /** Path without the query string, e.g. /v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/{id}. */
  path: string;
  /** The query string without '?', when there was one. */
  query?: string;
  status: number;
  /** The caller's object id, when the token was valid. */
  oid?: string;
  /** The caller's own client-request-id header (absent when it sent none). */
  clientRequestId?: string;
  body?: unknown;
  /** Set on the entries of a $batch: the entry's id. The batch itself is logged too, after its entries. */
  inBatch?: string;
  /** The request was served but its answer never reached the client (it had given up). */
  unanswered?: boolean;
}

const VERSIONS: Record<string, string> = { 'v1.0': 'v1.0', beta: 'beta' };

/** Batches may carry 20 bodies; Graph's documented cap on a batch payload is 4 MB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class GraphService {
  readonly log: LoggedRequest[] = [];
  baseUrl = '';

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly api: IntuneApi,
    private readonly faults: FaultQueue,
  ) {}

  readonly handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const callerRequestId = single(req.headers['client-request-id']);
    const requestId = randomUUID();
    const ctx: RequestContext = { requestId, clientRequestId: callerRequestId ?? requestId, now: new Date(), baseUrl: this.baseUrl };
    const url = new URL(req.url ?? '/', 'https://graph.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const contentType = single(req.headers['content-type']);
    const entry: LoggedRequest = {
      method,
      path: url.pathname,
      ...(url.search ? { query: url.search.slice(1) } : {}),
      status: 0,
      ...(callerRequestId ? { clientRequestId: callerRequestId } : {}),
    };

    let text: string;
    try {
      text = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      return this.send(res, entry, ctx, graphError(ctx, 413, 'RequestEntityTooLarge', 'The request body is too large.'));
    }
    if (text) entry.body = loggable(text, contentType);

    const fault = this.faults.take();
    if (fault && 'delayMs' in fault) {
      await sleep(fault.delayMs);
      // A client that gave up while the request was held never had it served (it "never arrived").
      if (res.destroyed || res.socket?.destroyed) {
        this.log.push({ ...entry, status: 0, unanswered: true });
        return;
      }
    } else if (fault && 'status' in fault) return this.send(res, entry, ctx, faultResponse(fault, ctx, url.pathname));

    const response = await this.answer(req, url, method, contentType, text, ctx, entry);
    if (fault && 'answerDelayMs' in fault) await sleep(fault.answerDelayMs);
    // A client that gave up has closed its socket: the operation happened all the same.
    if (res.destroyed || res.socket?.destroyed) {
      entry.status = response.status;
      this.log.push({ ...entry, unanswered: true });
      return;
    }
    this.send(res, entry, ctx, response, acceptsGzip(single(req.headers['accept-encoding'])));
  };

  private async answer(
    req: IncomingMessage,
    url: URL,
    method: string,
    contentType: string | undefined,
    text: string,
    ctx: RequestContext,
    entry: LoggedRequest,
  ): Promise<GraphResponse> {
    const auth = await this.verifier.verify(single(req.headers.authorization));
    if (!auth.ok) {
      return auth.kind === 'invalid'
        ? invalidToken(ctx, auth.message)
        : graphError(ctx, 500, 'InternalServerError', `Sandbox Graph stand-in: ${auth.message}`);
    }
    const caller = auth.caller;
    if (caller.oid) entry.oid = caller.oid;

    const [, versionSegment = '', ...rest] = url.pathname.split('/');
    const version = VERSIONS[safeDecode(versionSegment).toLowerCase()];
    if (!version) return invalidVersion(ctx, safeDecode(versionSegment));
    const path = `/${rest.join('/')}`;

    if (/^\/(\$|%24)batch\/?$/i.test(path)) {
      if (method !== 'POST') {
        return graphError(ctx, 405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
      }
      let payload: unknown;
      try {
        if (!/\bjson\b/i.test(contentType ?? '')) throw new Error('not JSON');
        payload = JSON.parse(text) as unknown;
      } catch {
        return unreadableJson(ctx);
      }
      return runBatch(payload, version, ctx, async (sub, entryId) => this.runBatchEntry(sub, entryId, caller, ctx, entry));
    }

    return this.api.execute(
      { method, version, path, query: url.searchParams, contentType, body: text ? { kind: 'text', text } : { kind: 'none' } },
      caller,
      ctx,
    );
  }

  private async runBatchEntry(sub: ApiRequest, entryId: string, caller: Caller, ctx: RequestContext, outer: LoggedRequest): Promise<GraphResponse> {
    const response = this.api.execute(sub, caller, ctx);
    const query = sub.query.toString();
    this.log.push({
      method: sub.method.toUpperCase(),
      path: `/${sub.version}${sub.path}`,
      ...(query ? { query } : {}),
      status: response.status,
      ...(outer.oid ? { oid: outer.oid } : {}),
      ...(outer.clientRequestId ? { clientRequestId: outer.clientRequestId } : {}),
      ...(sub.body.kind === 'json' ? { body: sub.body.value } : sub.body.kind === 'text' ? { body: loggable(sub.body.text, sub.contentType) } : {}),
      inBatch: entryId,
    });
    return response;
  }

  private send(res: ServerResponse, entry: LoggedRequest, ctx: RequestContext, response: GraphResponse, gzip = false): void {
    entry.status = response.status;
    this.log.push(entry);
    const text = response.body === undefined ? '' : JSON.stringify(response.body);
    // Graph compresses JSON for clients that accept it; clients must decode it (the Graph JS client's fetch does).
    const payload = gzip && text ? gzipSync(text) : Buffer.from(text);
    res.writeHead(response.status, {
      Date: ctx.now.toUTCString(),
      'request-id': ctx.requestId,
      'client-request-id': ctx.clientRequestId,
      'Strict-Transport-Security': 'max-age=31536000',
      'x-ms-ags-diagnostic': JSON.stringify({
        ServerInfo: { DataCenter: 'Sandbox (127.0.0.1)', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: 'SANDBOX' },
      }),
      ...response.headers,
      ...(gzip && text ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
      'Content-Length': String(payload.length),
    });
    res.end(payload);
  }
}

function faultResponse(fault: Extract<Fault, { status: number }>, ctx: RequestContext, pathname: string): GraphResponse {
  switch (fault.status) {
    case 429:
      // Intune's shape; `retryAfterSeconds: null` leaves Retry-After out, as Intune often does.
      return intuneTooManyRequests(ctx, pathname.replace(/^\/[^/]*/, '') || '/', fault.retryAfterSeconds === null ? undefined : (fault.retryAfterSeconds ?? 1));
    case 503:
      return serviceUnavailable(ctx);
    case 504:
      return gatewayTimeout(ctx);
    default:
      return intuneInternalError(ctx, pathname.replace(/^\/[^/]*/, '') || '/');
  }
}

/** `Accept-Encoding` names gzip with a non-zero quality. */
function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
    return /^(gzip|\*)$/i.test(coding ?? '') && (q === undefined || Number(q) > 0);
  });
}

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value) || undefined;

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function loggable(text: string, contentType: string | undefined): unknown {
  if (/\bjson\b/i.test(contentType ?? '')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Logged as sent, so a test can see what malformed body arrived.
    }
  }
  return text;
}
