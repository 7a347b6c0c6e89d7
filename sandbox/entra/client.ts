/**
 * Drives a running Entra stand-in from another process through its control surface
 * (control.ts). The process must trust the sandbox CA (NODE_EXTRA_CA_CERTS).
 */
import type { SandboxUser, UserKey } from '../directory';
import { CONTROL_PREFIX, type GraphTokenOptions } from './control';
import type { EntraStats, InjectedResponse } from './state';
import type { SsoTokenOptions } from './tokens';

/** The control API, every call asynchronous because it crosses a process boundary. */
export interface RemoteEntra {
  url: string;
  mintSsoToken(user: UserKey | SandboxUser, opts?: SsoTokenOptions): Promise<string>;
  mintGraphToken(user: UserKey | SandboxUser, scopes: string[], opts?: GraphTokenOptions): Promise<string>;
  setConsent(user: UserKey, scopes: string[]): Promise<void>;
  setRedirectUris(clientId: string, uris: string[]): Promise<void>;
  stats(): Promise<EntraStats>;
  resetStats(): Promise<void>;
  failNextTokenRequests(n: number, response: InjectedResponse): Promise<void>;
}

/** `url` is the stand-in's authority host, e.g. https://127.0.0.1:3980. */
export function connectEntra(url: string): RemoteEntra {
  const base = `${url.replace(/\/+$/, '')}${CONTROL_PREFIX}`;

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${base}/${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Entra stand-in ${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  // A user object is sent as-is; a key is resolved by the stand-in.
  return {
    url,
    mintSsoToken: async (user, opts) => ((await call('POST', 'sso-token', { user, options: opts })) as { token: string }).token,
    mintGraphToken: async (user, scopes, opts) =>
      ((await call('POST', 'graph-token', { user, scopes, options: opts })) as { token: string }).token,
    setConsent: async (user, scopes) => {
      await call('PUT', `consent/${encodeURIComponent(user)}`, { scopes });
    },
    setRedirectUris: async (clientId, uris) => {
      await call('PUT', `redirect-uris/${encodeURIComponent(clientId)}`, { uris });
    },
    stats: async () => (await call('GET', 'stats')) as EntraStats,
    resetStats: async () => {
      await call('DELETE', 'stats');
    },
    failNextTokenRequests: async (n, response) => {
      await call('POST', 'fail-next-token-requests', { n, response });
    },
  };
}
