/**
 * The uploads client: Graph calls as the signed-in user.
 *
 * One instance per user credential. The Graph client attaches the bearer token only to Graph
 * hosts or `customHosts`, so the host of GRAPH_BASE_URL is always added (a sandbox on 127.0.0.1
 * would otherwise get requests without Authorization, silently).
 */
import { type Clock, systemClock } from '../clock';
import type { TokenCredential } from '@azure/identity';
import {
  Client,
  GraphError,
  ResponseType,
  RetryHandlerOptions,
  type GraphRequest,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { BotError } from '../errors';
import { parseRetryAfter } from '../retryAfter';
import type { DeviceIdentity, Upload, UploadStatus } from '../model';
import { otherVersion, type GraphOfferings } from './offerings';

export interface GraphOptions {
  baseUrl: string;
  apiVersion: 'v1.0' | 'beta';
  /** Whole-operation budget, retries included. */
  timeoutMs: number;
  /** Base back-off when Graph sends 429/503/504 without Retry-After (Retry-After wins when present). */
  retryDelaySeconds?: number;
  maxRetries?: number;
  /** Where what this Graph offers is recorded (the "not offered" card and `diag` read it). */
  offerings?: GraphOfferings;
  /** The bot's clock (budgets and Retry-After dates are judged on it). */
  clock?: Clock;
}

export const UPLOADS_SEGMENT = 'importedWindowsAutopilotDeviceIdentityUploads';
export const DEVICES_SEGMENT = 'deviceIdentities';
export const IDENTITIES_SEGMENT = 'importedWindowsAutopilotDeviceIdentities';
const UPLOADS = `/deviceManagement/${UPLOADS_SEGMENT}`;
const IDENTITIES = `/deviceManagement/${IDENTITIES_SEGMENT}`;

/**
 * Every request this client can make (path after the version; `{id}` is an upload id). The
 * conformance test holds it against both Graph schemas, so a new call lands here too.
 */
export const GRAPH_REQUESTS = [
  { method: 'GET', path: `${UPLOADS}/{id}`, op: 'get' },
  { method: 'GET', path: UPLOADS, op: 'list' },
  { method: 'GET', path: `${UPLOADS}?$top=1`, op: 'probe:uploads' },
  { method: 'GET', path: `${UPLOADS}/{id}/${DEVICES_SEGMENT}`, op: 'deviceIdentities' },
  { method: 'PATCH', path: `${UPLOADS}/{id}`, op: 'updateStatus' },
  { method: 'GET', path: `${IDENTITIES}?$top=1`, op: 'probe:identities' },
] as const;

/** Segments the bot asks Graph for: only a segment message naming one of these means "not offered". */
const REQUESTED_SEGMENTS = new Set([UPLOADS_SEGMENT, DEVICES_SEGMENT, IDENTITIES_SEGMENT].map((s) => s.toLowerCase()));
const SEGMENT_NOT_FOUND = /^Resource not found for the segment '([^']+)'\.?$/;

export type ProbeTarget = 'uploads' | 'identities';

/** A `$top=1` read that succeeded: Graph's request-id and how many items came back (0 or 1). */
export interface ProbeResult {
  requestId?: string;
  count: number;
}
const ODATA_TYPE = '#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload';

/** National clouds have their own Graph audience; anything else (incl. the sandbox) uses the global one. */
const NATIONAL_GRAPH_HOSTS = new Set(['graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn']);

export function graphScope(baseUrl: string): string {
  const url = new URL(baseUrl);
  const resource = NATIONAL_GRAPH_HOSTS.has(url.hostname) ? url.origin : 'https://graph.microsoft.com';
  return `${resource}/.default`;
}

export interface Page<T> {
  items: T[];
  nextLink?: string;
}

export class UploadsClient {
  private readonly client: Client;
  /** A field, not a method: the conformance test reads every method as a Graph call. */
  private readonly now: Clock;
  /** Host (with port) and version, as the "not offered" card names them. */
  private readonly where: { graphHost: string; apiVersion: string };

  constructor(
    credential: TokenCredential,
    private readonly options: GraphOptions,
  ) {
    this.now = options.clock ?? systemClock;
    const base = new URL(options.baseUrl);
    this.where = { graphHost: base.host, apiVersion: options.apiVersion };
    this.client = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [graphScope(options.baseUrl)] }),
      baseUrl: `${base.origin}/`,
      defaultVersion: options.apiVersion,
      customHosts: new Set([base.hostname]),
    });
  }

  get apiVersion(): string {
    return this.where.apiVersion;
  }

  get graphHost(): string {
    return this.where.graphHost;
  }

  get(id: string): Promise<Upload> {
    return this.call((budget) => this.request(`${UPLOADS}/${encodeURIComponent(id)}`, budget).get(), true);
  }

  /**
   * A `$top=1` read of a collection, for `diag`: proves the collection is there and readable
   * without changing anything. Throws a BotError like every other call (not_offered included).
   */
  probe(target: ProbeTarget): Promise<ProbeResult> {
    return this.call(async (budget) => {
      const raw = (await this.request(target === 'uploads' ? UPLOADS : IDENTITIES, budget).top(1).responseType(ResponseType.RAW).get()) as Response;
      if (!raw.ok) throw await graphErrorOf(raw);
      const body = (await raw.json().catch(() => ({}))) as { value?: unknown[] };
      return { requestId: raw.headers.get('request-id') ?? undefined, count: Array.isArray(body.value) ? body.value.length : 0 };
    }, target === 'uploads');
  }

  /**
   * A page of uploads, newest first; `status` filters on Graph's side; `nextLink` (an `@odata.nextLink` this
   * client returned, checked by the caller) continues a listing.
   */
  list(opts: { top?: number; status?: UploadStatus; withDevices?: boolean; nextLink?: string } = {}): Promise<Page<Upload & { deviceIdentities?: DeviceIdentity[] }>> {
    return this.call(async (budget) => {
      let req = this.request(opts.nextLink ?? UPLOADS, budget);
      if (!opts.nextLink) {
        req = req.orderby('createdDateTimeUtc desc');
        if (opts.top) req = req.top(opts.top);
        if (opts.status) req = req.filter(`status eq '${opts.status}'`);
        if (opts.withDevices) req = req.expand('deviceIdentities');
      }
      const body = (await req.get()) as { value: Array<Upload & { deviceIdentities?: DeviceIdentity[] }>; '@odata.nextLink'?: string };
      return { items: body.value, nextLink: body['@odata.nextLink'] };
    }, true);
  }

  deviceIdentities(id: string, opts: { top?: number; nextLink?: string } = {}): Promise<Page<DeviceIdentity>> {
    return this.call(async (budget) => {
      let req = this.request(opts.nextLink ?? `${UPLOADS}/${encodeURIComponent(id)}/deviceIdentities`, budget);
      if (!opts.nextLink && opts.top) req = req.top(opts.top);
      const body = (await req.get()) as {
        value: DeviceIdentity[];
        '@odata.nextLink'?: string;
      };
      return { items: body.value, nextLink: body['@odata.nextLink'] };
    }, true);
  }

  /** PATCHes the status and returns the entity as Graph now has it. */
  updateStatus(id: string, status: UploadStatus): Promise<Upload> {
    return this.call(async (budget) => {
      const path = `${UPLOADS}/${encodeURIComponent(id)}`;
      const updated = (await this.request(path, budget).patch({ '@odata.type': ODATA_TYPE, status })) as Upload | undefined;
      // Graph may answer 204 No Content; callers always get the entity.
      return updated && typeof updated === 'object' && 'id' in updated ? updated : await this.request(path, budget).get();
    }, true);
  }

  protected request(path: string, budget: Budget): GraphRequest {
    const baseDelay = this.options.retryDelaySeconds ?? 1;
    // A retry that would sleep past the operation's deadline only turns Graph's real answer
    // (429, 503) into a timeout: give up retrying and report what Graph said.
    const shouldRetry = (_delay: number, attempt: number, _req: unknown, _opts: unknown, response: Response): boolean =>
      this.now() + retryWaitSeconds(response, attempt, baseDelay, this.now()) * 1000 + RETRY_HEADROOM_MS < budget.deadline;
    return this.client
      .api(path)
      .option('signal', budget.signal)
      .middlewareOptions([new RetryHandlerOptions(baseDelay, this.options.maxRetries ?? 3, shouldRetry)]);
  }

  /** `uploads`: the operation reads or writes the uploads collection (what `offerings` records). */
  protected async call<T>(op: (budget: Budget) => Promise<T>, uploads = false): Promise<T> {
    const controller = new AbortController();
    const deadline = this.now() + this.options.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new BotError('timeout', `Microsoft Graph did not answer within ${this.options.timeoutMs} ms.`));
      }, this.options.timeoutMs);
    });
    try {
      // The race bounds the whole operation, including the Graph client's retry sleeps,
      // which the abort signal cannot interrupt.
      const result = await Promise.race([op({ signal: controller.signal, deadline }), timedOut]);
      if (uploads) this.options.offerings?.works(this.where.graphHost, this.where.apiVersion);
      return result;
    } catch (err) {
      const e = toBotError(err, this.where);
      if (e.code !== 'not_offered' || e.details.segment?.toLowerCase() !== UPLOADS_SEGMENT.toLowerCase()) throw e;
      this.options.offerings?.notOffered(e);
      // What the card may say of the other version: only what this instance has seen.
      const other = otherVersion(this.where.apiVersion);
      throw new BotError(e.code, e.message, { ...e.details, other: { apiVersion: other, offered: this.options.offerings?.get(this.where.graphHost, other)?.offered } });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** One operation's abort signal and deadline (epoch ms), shared by its requests and their retries. */
export interface Budget {
  signal: AbortSignal;
  deadline: number;
}

/** Time left for the retried request itself to answer. */
const RETRY_HEADROOM_MS = 1_000;

/**
 * The longest the Graph client's RetryHandler will sleep before retry `attempt + 1`: Retry-After
 * when Graph sent one, else its back-off (base, plus ½(2ⁿ−1) from the third try, plus up to 1 s of
 * jitter) — RetryHandler.getDelay in @microsoft/microsoft-graph-client 3.0.7.
 */
function retryWaitSeconds(response: Response, attempt: number, baseDelay: number, now: number): number {
  const waitMs = parseRetryAfter(response?.headers?.get?.('retry-after'), now);
  if (waitMs !== undefined) return waitMs / 1000;
  const next = attempt + 1;
  return (next >= 2 ? Math.round((2 ** next - 1) / 2) : 0) + baseDelay + 1;
}

/**
 * Maps Graph client, Entra (via @azure/identity) and transport failures onto BotError codes.
 * `where` (the Graph host and API version asked) lets a segment message become `not_offered`.
 */
export function toBotError(err: unknown, where?: { graphHost: string; apiVersion: string }): BotError {
  if (err instanceof BotError) return err;
  if (err instanceof GraphError) {
    const details = {
      serviceCode: err.code ?? undefined,
      requestId: err.requestId ?? headerValue(err.headers, 'request-id'),
      httpStatus: err.statusCode,
      retryAfterSeconds: retryAfter(err.headers),
    };
    switch (err.statusCode) {
      case 400: {
        const segment = notOfferedSegment(err);
        if (segment && where) {
          return new BotError('not_offered', `Microsoft Graph ${where.apiVersion} at ${where.graphHost} does not offer ${segment}.`, { ...details, ...where, segment });
        }
        return new BotError('invalid_request', graphMessage(err), details);
      }
      case 401:
        return new BotError('sign_in_failed', 'Microsoft Graph did not accept the sign-in token.', details);
      case 403:
        return new BotError('forbidden', 'Microsoft Graph refused: the signed-in account lacks permission to change Autopilot uploads.', details);
      case 404:
        return new BotError('not_found', 'Microsoft Graph has no Autopilot upload with that id.', details);
      case 429:
        return new BotError('throttled', 'Microsoft Graph is throttling requests.', details);
      case -1:
        // Not an HTTP answer: a credential or transport failure the client wrapped.
        return fromNonHttp(err.code, err.message);
      default:
        if (err.statusCode >= 500) return new BotError('unavailable', 'Microsoft Graph is unavailable.', details);
        return new BotError('invalid_request', graphMessage(err), details);
    }
  }
  const e = err as { name?: string; message?: string };
  return fromNonHttp(e?.name, e?.message ?? String(err));
}

function fromNonHttp(name: string | null | undefined, message: string): BotError {
  if (name === 'AbortError') return new BotError('timeout', 'Microsoft Graph did not answer in time.');
  const aadsts = /AADSTS(\d+)/.exec(message)?.[1];
  // @azure/identity reports every token-endpoint failure as AuthenticationRequiredError;
  // consent is recognisable only by its AADSTS code.
  if (aadsts === '65001' || /interaction_required|consent_required/.test(message)) {
    return new BotError('consent_required', 'Consent is needed before the bot can act for you.', { serviceCode: aadsts ? `AADSTS${aadsts}` : 'interaction_required' });
  }
  // The token endpoint's own "try again later" (RFC 6749 §5.2 error codes, which MSAL puts first in
  // the message): an outage, not a refusal.
  if (/\b(temporarily_unavailable|server_error)\b/.test(message)) {
    return new BotError('unavailable', 'Microsoft Entra ID is unavailable.', { serviceCode: aadsts ? `AADSTS${aadsts}` : undefined });
  }
  if (aadsts) return new BotError('sign_in_failed', `Microsoft Entra ID refused the sign-in (AADSTS${aadsts}).`, { serviceCode: `AADSTS${aadsts}` });
  if (name === 'AuthenticationRequiredError' || name === 'CredentialUnavailableError') {
    return new BotError('sign_in_failed', 'Microsoft Entra ID could not issue a token.', { serviceCode: name });
  }
  return new BotError('unavailable', 'Microsoft Graph could not be reached.', { serviceCode: name ?? undefined });
}

/**
 * The segment of Graph's "Resource not found for the segment '…'." when it names one the bot asks
 * for; anything else about a 400 (a bad body, a bad query) is not evidence the API is missing.
 */
function notOfferedSegment(err: GraphError): string | undefined {
  if ((err.code ?? '').toLowerCase() !== 'badrequest') return undefined;
  const segment = SEGMENT_NOT_FOUND.exec((err.message ?? '').trim())?.[1];
  return segment && REQUESTED_SEGMENTS.has(segment.toLowerCase()) ? segment : undefined;
}

/** The GraphError the client would have thrown, for a RAW response that is not 2xx. */
async function graphErrorOf(raw: Response): Promise<GraphError> {
  const body = (await raw.json().catch(() => undefined)) as { error?: { code?: string; message?: string; innerError?: Record<string, unknown> } } | undefined;
  const e = new GraphError(raw.status, body?.error?.message ?? raw.statusText);
  e.code = body?.error?.code ?? null;
  const inner = body?.error?.innerError?.['request-id'];
  e.requestId = typeof inner === 'string' ? inner : raw.headers.get('request-id');
  e.headers = raw.headers;
  e.body = body === undefined ? null : JSON.stringify(body);
  return e;
}

function graphMessage(err: GraphError): string {
  return err.message ? `Microsoft Graph rejected the request: ${err.message}` : 'Microsoft Graph rejected the request.';
}

function headerValue(headers: Headers | undefined, name: string): string | undefined {
  return headers?.get?.(name) ?? undefined;
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const v = headerValue(headers, 'retry-after');
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
}
