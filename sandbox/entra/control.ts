/**
 * The stand-in's test-control surface over HTTP, for processes that did not start it (the Teams
 * channel stand-in minting SSO tokens, e2e tests against `npm start`). Lives under
 * `/_sandbox/entra/`, a path no Entra tenant can take.
 *
 *   POST   /_sandbox/entra/sso-token                 {user, options?}         → {token}
 *   POST   /_sandbox/entra/graph-token               {user, scopes, options?} → {token}
 *   PUT    /_sandbox/entra/consent/{userKey}         {scopes}                 → 204
 *   PUT    /_sandbox/entra/redirect-uris/{clientId}  {uris}                   → 204
 *   GET    /_sandbox/entra/stats                                              → stats
 *   DELETE /_sandbox/entra/stats                                              → 204 (reset)
 *   POST   /_sandbox/entra/fail-next-token-requests  {n, response}            → 204
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { USERS, type SandboxUser, type UserKey } from '../directory';
import { readBody, sendJson } from '../http';
import type { EntraStats, InjectedResponse } from './state';
import type { SsoTokenOptions } from './tokens';

export const CONTROL_PREFIX = '/_sandbox/entra';

export interface GraphTokenOptions {
  expiresInSeconds?: number;
  audience?: string;
  appOnly?: boolean;
  signWithUnknownKey?: boolean;
}

/** What both the in-process stand-in and the HTTP control surface offer. */
export interface EntraControlApi {
  mintSsoToken(user: UserKey | SandboxUser, opts?: SsoTokenOptions): Promise<string>;
  mintGraphToken(user: UserKey | SandboxUser, scopes: string[], opts?: GraphTokenOptions): Promise<string>;
  setConsent(user: UserKey, scopes: string[]): void;
  /** Replaces an app registration's redirect URIs ([] = none registered: AADSTS500113). */
  setRedirectUris(clientId: string, uris: string[]): void;
  stats(): EntraStats;
  resetStats(): void;
  failNextTokenRequests(n: number, response: InjectedResponse): void;
}

class ControlRequestError extends Error {}

export function resolveUser(user: unknown): SandboxUser {
  if (typeof user === 'string') {
    const found = (USERS as Record<string, SandboxUser>)[user];
    if (!found) throw new ControlRequestError(`unknown sandbox user '${user}' (known: ${Object.keys(USERS).join(', ')})`);
    return found;
  }
  const u = user as Partial<SandboxUser> | null;
  if (!u || typeof u.oid !== 'string' || typeof u.tid !== 'string' || typeof u.upn !== 'string' || typeof u.name !== 'string') {
    throw new ControlRequestError('user must be a sandbox user key or an object with oid, tid, upn and name');
  }
  return { key: u.key ?? u.oid, consented: u.consented ?? [], teamsId: u.teamsId ?? '', ...u } as SandboxUser;
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ControlRequestError('body must be a JSON object');
}

function stringArray(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ControlRequestError(`${name} must be an array of strings`);
  return value;
}

/** Handles a request under CONTROL_PREFIX; `rest` is the path after it, split on '/'. */
export async function handleControl(req: IncomingMessage, res: ServerResponse, rest: string[], api: EntraControlApi): Promise<void> {
  const route = `${req.method} ${rest[0] ?? ''}`;
  try {
    switch (route) {
      case 'POST sso-token': {
        const body = await jsonBody(req);
        const token = await api.mintSsoToken(resolveUser(body.user), (body.options ?? {}) as SsoTokenOptions);
        return sendJson(res, 200, { token });
      }
      case 'POST graph-token': {
        const body = await jsonBody(req);
        const scopes = stringArray(body.scopes, 'scopes');
        const token = await api.mintGraphToken(resolveUser(body.user), scopes, (body.options ?? {}) as GraphTokenOptions);
        return sendJson(res, 200, { token });
      }
      case 'PUT consent': {
        const key = decodeURIComponent(rest[1] ?? '');
        resolveUser(key);
        api.setConsent(key as UserKey, stringArray((await jsonBody(req)).scopes, 'scopes'));
        return sendJson(res, 204, undefined);
      }
      case 'PUT redirect-uris': {
        api.setRedirectUris(decodeURIComponent(rest[1] ?? ''), stringArray((await jsonBody(req)).uris, 'uris'));
        return sendJson(res, 204, undefined);
      }
      case 'GET stats':
        return sendJson(res, 200, api.stats());
      case 'DELETE stats':
        api.resetStats();
        return sendJson(res, 204, undefined);
      case 'POST fail-next-token-requests': {
        const body = await jsonBody(req);
        const response = body.response as InjectedResponse | undefined;
        if (typeof body.n !== 'number' || !response || typeof response.status !== 'number') {
          throw new ControlRequestError('body must be {n: number, response: {status: number, body, headers?}}');
        }
        api.failNextTokenRequests(body.n, response);
        return sendJson(res, 204, undefined);
      }
      default:
        return sendJson(res, 404, { error: `no control route ${route}` });
    }
  } catch (err) {
    if (err instanceof ControlRequestError) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}
