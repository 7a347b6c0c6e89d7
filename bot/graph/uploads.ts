/**
 * The uploads client: Graph calls as the signed-in user.
 *
 * One instance per user credential. The Graph client attaches the bearer token only to Graph
 * hosts or `customHosts`, so the host of GRAPH_BASE_URL is always added (a sandbox on 127.0.0.1
 * would otherwise get requests without Authorization, silently).
 */
import type { TokenCredential } from '@azure/identity';
import {
  Client,
  GraphError,
  RetryHandlerOptions,
  type GraphRequest,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { BotError } from '../errors';
import type { DeviceIdentity, Upload, UploadStatus } from '../model';

export interface GraphOptions {
  baseUrl: string;
  apiVersion: 'v1.0' | 'beta';
  /** Whole-operation budget, retries included. */
  timeoutMs: number;
  /** Base back-off when Graph sends 429/503/504 without Retry-After (Retry-After wins when present). */
  retryDelaySeconds?: number;
  maxRetries?: number;
}

const UPLOADS = '/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads';
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

  constructor(
    credential: TokenCredential,
    private readonly options: GraphOptions,
  ) {
    const base = new URL(options.baseUrl);
    this.client = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [graphScope(options.baseUrl)] }),
      baseUrl: `${base.origin}/`,
      defaultVersion: options.apiVersion,
      customHosts: new Set([base.hostname]),
    });
  }

  get(id: string): Promise<Upload> {
    return this.call((budget) => this.request(`${UPLOADS}/${encodeURIComponent(id)}`, budget).get());
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
    });
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
    });
  }

  /** PATCHes the status and returns the entity as Graph now has it. */
  updateStatus(id: string, status: UploadStatus): Promise<Upload> {
    return this.call(async (budget) => {
      const path = `${UPLOADS}/${encodeURIComponent(id)}`;
      const updated = (await this.request(path, budget).patch({ '@odata.type': ODATA_TYPE, status })) as Upload | undefined;
      // Graph may answer 204 No Content; callers always get the entity.
      return updated && typeof updated === 'object' && 'id' in updated ? updated : await this.request(path, budget).get();
    });
  }

  protected request(path: string, budget: Budget): GraphRequest {
    const baseDelay = this.options.retryDelaySeconds ?? 1;
    // A retry that would sleep past the operation's deadline only turns Graph's real answer
    // (429, 503) into a timeout: give up retrying and report what Graph said.
    const shouldRetry = (_delay: number, attempt: number, _req: unknown, _opts: unknown, response: Response): boolean =>
      Date.now() + retryWaitSeconds(response, attempt, baseDelay) * 1000 + RETRY_HEADROOM_MS < budget.deadline;
    return this.client
      .api(path)
      .option('signal', budget.signal)
      .middlewareOptions([new RetryHandlerOptions(baseDelay, this.options.maxRetries ?? 3, shouldRetry)]);
  }

  protected async call<T>(op: (budget: Budget) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const deadline = Date.now() + this.options.timeoutMs;
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
      return await Promise.race([op({ signal: controller.signal, deadline }), timedOut]);
    } catch (err) {
      throw toBotError(err);
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
function retryWaitSeconds(response: Response, attempt: number, baseDelay: number): number {
  const header = response?.headers?.get?.('retry-after');
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return seconds;
    const at = Date.parse(header);
    if (Number.isFinite(at)) return Math.max(0, (at - Date.now()) / 1000);
  }
  const next = attempt + 1;
  return (next >= 2 ? Math.round((2 ** next - 1) / 2) : 0) + baseDelay + 1;
}

/** Maps Graph client, Entra (via @azure/identity) and transport failures onto BotError codes. */
export function toBotError(err: unknown): BotError {
  if (err instanceof BotError) return err;
  if (err instanceof GraphError) {
    const details = {
      serviceCode: err.code ?? undefined,
      requestId: err.requestId ?? headerValue(err.headers, 'request-id'),
      httpStatus: err.statusCode,
      retryAfterSeconds: retryAfter(err.headers),
    };
    switch (err.statusCode) {
      case 400:
        return new BotError('invalid_request', graphMessage(err), details);
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
