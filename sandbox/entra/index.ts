/**
 * The sandbox Entra ID: OIDC discovery, JWKS and the v2 token endpoint (on-behalf-of and client
 * credentials) over HTTPS, laid out like login.microsoftonline.com so the real @azure/identity
 * and @azure/msal-node talk to it unchanged. It also mints the SSO tokens the Teams client would
 * obtain, and lets tests change consent, read counters and inject token-endpoint faults — in
 * process through the returned object, or over HTTP (see control.ts and client.ts).
 */
import type { SandboxCerts } from '../certs';
import { GRAPH_RESOURCE, type SandboxUser, type UserKey } from '../directory';
import { listenHttps } from '../http';
import { REGISTERED_APPS, SSO_APP_REGISTRATION } from './apps';
import { resolveUser, type EntraControlApi, type GraphTokenOptions } from './control';
import { createKeySet } from './keys';
import { createEntraHandler } from './routes';
import { V1_ISSUER_BASES, type EntraCloud } from './tenants';
import { ConsentStore, FaultQueue, RedirectUriStore, TokenStats, type EntraStats, type InjectedResponse } from './state';
import { ACCESS_TOKEN_LIFETIME_SECONDS, appOnlyClaims, delegatedGraphClaims, signJwt, ssoTokenClaims, type SsoTokenOptions } from './tokens';

export type { EntraStats, InjectedResponse } from './state';
export type { SsoTokenOptions } from './tokens';
export type { GraphTokenOptions } from './control';
export { connectEntra, type RemoteEntra } from './client';
export { BOT_FRAMEWORK_TENANT_ID, V1_ISSUER_BASES, type EntraCloud } from './tenants';
export { TEAMS_CLIENT_ID } from './tokens';

export const DEFAULT_ENTRA_PORT = 3980;

export interface EntraStandIn extends EntraControlApi {
  /** Authority host, e.g. https://127.0.0.1:3980 (no trailing slash). */
  url: string;
  close(): Promise<void>;
  /**
   * The token the Teams client hands the bot for SSO. Defaults: v1 (iss = the cloud's v1 issuer, https://sts.windows.net/{tid}/ by default),
   * aud = SSO_APP.appIdUri, scp access_as_user, appid = the Teams client, exp = now + 1 h. A v2 token's
   * default aud is the client id (v2 tokens always carry it); personal accounts default to v2.
   * `extraClaims` are merged last; a null value removes the claim.
   */
  mintSsoToken(user: UserKey | SandboxUser, opts?: SsoTokenOptions): Promise<string>;
  /** A Graph access token shaped like the OBO grant's (scopes without the resource prefix work too). */
  mintGraphToken(user: UserKey | SandboxUser, scopes: string[], opts?: GraphTokenOptions): Promise<string>;
  /** Changes a user's consent at runtime (the sign-in/consent fallback grants consent). */
  setConsent(user: UserKey, scopes: string[]): void;
  stats(): EntraStats;
  resetStats(): void;
  /** The next n token-endpoint requests answer `response` instead (e.g. 503, or a fixture error body). */
  failNextTokenRequests(n: number, response: InjectedResponse): void;
}

/**
 * `cloud` picks the national cloud the stand-in plays — it changes the v1 issuer its tokens and its
 * v1 discovery document carry (V1_ISSUER_BASES); default the global cloud.
 */
export async function startEntra(opts: { certs: SandboxCerts; port?: number; cloud?: EntraCloud }): Promise<EntraStandIn> {
  const v1IssuerBase = V1_ISSUER_BASES[opts.cloud ?? 'public'];
  const keys = createKeySet();
  const consent = new ConsentStore();
  const redirectUris = new RedirectUriStore(REGISTERED_APPS);
  const stats = new TokenStats();
  const faults = new FaultQueue();
  // The URL is known only once listening (port 0), so the handler reads it late.
  let authorityHost = '';

  const api: EntraControlApi = {
    async mintSsoToken(user, options = {}) {
      const { claims, version } = ssoTokenClaims(resolveUser(user), options, authorityHost, v1IssuerBase);
      return signJwt(claims, options.signWithUnknownKey ? keys.unknown : keys.active, version);
    },
    async mintGraphToken(user, scopes, options = {}) {
      const u = resolveUser(user);
      const expiresInSeconds = options.expiresInSeconds ?? ACCESS_TOKEN_LIFETIME_SECONDS;
      const claims = options.appOnly
        ? appOnlyClaims({ app: SSO_APP_REGISTRATION, tid: u.tid, audience: options.audience ?? GRAPH_RESOURCE, roles: scopes, expiresInSeconds, v1IssuerBase })
        : delegatedGraphClaims({ user: u, app: SSO_APP_REGISTRATION, scp: scopes, expiresInSeconds, audience: options.audience, v1IssuerBase });
      return signJwt(claims, options.signWithUnknownKey ? keys.unknown : keys.active, '1.0');
    },
    setConsent: (user, scopes) => consent.set(user, scopes),
    setRedirectUris: (clientId, uris) => redirectUris.set(clientId, uris),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    failNextTokenRequests: (n, response) => faults.failNext(n, response),
  };

  const deps = {
    get authorityHost() {
      return authorityHost;
    },
    v1IssuerBase,
    keys,
    consent,
    redirectUris,
    stats,
    faults,
  };
  const server = await listenHttps(opts.certs, createEntraHandler(deps, api), {
    port: opts.port ?? DEFAULT_ENTRA_PORT,
    name: 'Entra ID stand-in',
    portVariable: 'ENTRA_PORT',
  });
  authorityHost = server.url;

  return { ...api, url: server.url, close: () => server.close() };
}
