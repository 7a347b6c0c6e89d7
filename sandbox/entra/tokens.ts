/**
 * The tokens Entra issues, claim for claim (Microsoft identity platform "Access token claims
 * reference" and "ID token claims reference"): the SSO token Teams hands the bot, the Graph token
 * the OBO grant returns, app-only tokens (client credentials) and the v2 id token.
 *
 * Entra backdates `iat`/`nbf` by five minutes to absorb clock skew; v1 tokens carry `x5t` and
 * `kid` in the header, v2 tokens only `kid`.
 */
import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import { MSA_TENANT_ID, SSO_APP, TEAMS_CLIENT_IDS, GRAPH_RESOURCE, type SandboxUser } from '../directory';
import type { RegisteredApp } from './apps';
import { servicePrincipalId } from './apps';
import { v2Issuer } from './discovery';
import type { SigningKey } from './keys';
import { directoryById, v1Issuer } from './tenants';

export type Claims = Record<string, unknown>;

/** Teams desktop/mobile: the client the SSO token is issued to. */
export const TEAMS_CLIENT_ID = TEAMS_CLIENT_IDS[0];
export const BACKDATE_SECONDS = 300;
/** Entra's default access-token lifetime as `expires_in` reports it. */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3599;

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

const randomId = (bytes: number): string => crypto.randomBytes(bytes).toString('base64url');

/** `sub` is pairwise: stable per user and app, different across apps. */
function pairwiseSub(oid: string, clientId: string): string {
  return crypto.createHash('sha256').update(`${oid}:${clientId}`).digest('base64url');
}

function nameParts(name: string): { given_name: string; family_name: string } {
  const [given, ...rest] = name.split(' ');
  return { given_name: given, family_name: rest.join(' ') };
}

const isPersonal = (user: SandboxUser): boolean => user.tid === MSA_TENANT_ID;

/** Timing claims: `iat`/`nbf` backdated, `exp` relative to now. */
function timing(expiresInSeconds: number, notBeforeOffsetSeconds = -BACKDATE_SECONDS): { iat: number; nbf: number; exp: number } {
  const now = nowSeconds();
  const exp = now + expiresInSeconds;
  let nbf = now + notBeforeOffsetSeconds;
  // An already-expired token still needs nbf < exp to look like something Entra once issued.
  if (nbf >= exp) nbf = exp - 3600;
  return { iat: nbf, nbf, exp };
}

export async function signJwt(claims: Claims, key: SigningKey, version: '1.0' | '2.0'): Promise<string> {
  const header = version === '1.0' ? { typ: 'JWT', alg: 'RS256', x5t: key.x5t, kid: key.kid } : { typ: 'JWT', alg: 'RS256', kid: key.kid };
  return new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey);
}

/** Applies test overrides: a `null` value removes the claim. */
export function withExtraClaims(claims: Claims, extra: Record<string, unknown> | undefined): Claims {
  const out: Claims = { ...claims, ...(extra ?? {}) };
  for (const [k, v] of Object.entries(out)) if (v === null) delete out[k];
  return out;
}

export interface SsoTokenOptions {
  version?: '1.0' | '2.0';
  audience?: string;
  expiresInSeconds?: number;
  notBeforeOffsetSeconds?: number;
  tid?: string;
  issuer?: string;
  signWithUnknownKey?: boolean;
  extraClaims?: Record<string, unknown>;
}

/**
 * The token Teams obtains for the SSO app's `access_as_user` scope. A v1 token's `aud` is the
 * app ID URI; a v2 token's `aud` is always the client id. Personal Microsoft accounts only get v2
 * tokens (v1 cannot represent them), so that is their default.
 */
export function ssoTokenClaims(user: SandboxUser, opts: SsoTokenOptions, authorityHost: string, v1IssuerBase?: string): { claims: Claims; version: '1.0' | '2.0' } {
  const version = opts.version ?? (isPersonal(user) ? '2.0' : '1.0');
  const tid = opts.tid ?? user.tid;
  const t = timing(opts.expiresInSeconds ?? 3600, opts.notBeforeOffsetSeconds);
  const common = { aio: randomId(48), oid: user.oid, rh: `0.A${randomId(40)}.`, scp: 'access_as_user', sub: pairwiseSub(user.oid, SSO_APP.clientId), tid, uti: randomId(16) };
  const claims: Claims =
    version === '1.0'
      ? {
          aud: opts.audience ?? SSO_APP.appIdUri,
          iss: opts.issuer ?? v1Issuer(tid, v1IssuerBase),
          ...t,
          acr: '1',
          aio: common.aio,
          amr: ['pwd'],
          appid: TEAMS_CLIENT_ID,
          appidacr: '0',
          ...nameParts(user.name),
          ...(isPersonal(user) ? { email: user.upn, idp: 'live.com' } : {}),
          ipaddr: '127.0.0.1',
          name: user.name,
          oid: user.oid,
          rh: common.rh,
          scp: common.scp,
          sub: common.sub,
          tid,
          unique_name: isPersonal(user) ? `live.com#${user.upn}` : user.upn,
          ...(isPersonal(user) ? {} : { upn: user.upn }),
          uti: common.uti,
          ver: '1.0',
        }
      : {
          aud: opts.audience ?? SSO_APP.clientId,
          iss: opts.issuer ?? v2Issuer(authorityHost, tid),
          ...t,
          aio: common.aio,
          azp: TEAMS_CLIENT_ID,
          azpacr: '0',
          name: user.name,
          oid: user.oid,
          preferred_username: user.upn,
          rh: common.rh,
          scp: common.scp,
          sub: common.sub,
          tid,
          uti: common.uti,
          ver: '2.0',
        };
  return { claims: withExtraClaims(claims, opts.extraClaims), version };
}

const GRAPH_PREFIX = /^(https:\/\/graph\.microsoft\.com\/|00000003-0000-0000-c000-000000000000\/)/i;

/** Scope names as `scp`/`roles` carry them: without the resource prefix. */
export const bareScope = (scope: string): string => scope.replace(GRAPH_PREFIX, '');

/** A delegated Graph token (v1 shape, as Graph's tokens are) for `user`, issued to `app`. */
export function delegatedGraphClaims(input: {
  user: SandboxUser;
  app: RegisteredApp;
  scp: string[];
  expiresInSeconds: number;
  audience?: string;
  v1IssuerBase?: string;
}): Claims {
  const { user, app } = input;
  const tid = user.tid;
  return {
    aud: input.audience ?? GRAPH_RESOURCE,
    iss: v1Issuer(tid, input.v1IssuerBase),
    ...timing(input.expiresInSeconds),
    acct: 0,
    acr: '1',
    aio: randomId(48),
    amr: ['pwd'],
    app_displayname: app.displayName,
    appid: app.clientId,
    appidacr: '1',
    ...nameParts(user.name),
    idtyp: 'user',
    ipaddr: '127.0.0.1',
    name: user.name,
    oid: user.oid,
    rh: `0.A${randomId(40)}.`,
    scp: input.scp.map(bareScope).join(' '),
    sub: pairwiseSub(user.oid, GRAPH_RESOURCE),
    tenant_region_scope: directoryById(tid)?.region ?? undefined,
    tid,
    unique_name: user.upn,
    upn: user.upn,
    uti: randomId(16),
    ver: '1.0',
  };
}

/** An app-only token (client credentials): `idtyp` app, no `scp`, `roles` only when granted. */
export function appOnlyClaims(input: { app: RegisteredApp; tid: string; audience: string; roles?: string[]; expiresInSeconds: number; v1IssuerBase?: string }): Claims {
  const oid = servicePrincipalId(input.app.clientId, input.tid);
  const roles = (input.roles ?? []).map(bareScope);
  return {
    aud: input.audience,
    iss: v1Issuer(input.tid, input.v1IssuerBase),
    ...timing(input.expiresInSeconds),
    aio: randomId(48),
    app_displayname: input.app.displayName,
    appid: input.app.clientId,
    appidacr: '1',
    idp: v1Issuer(input.tid, input.v1IssuerBase),
    idtyp: 'app',
    oid,
    rh: `0.A${randomId(40)}.`,
    ...(roles.length ? { roles } : {}),
    sub: oid,
    tid: input.tid,
    uti: randomId(16),
    ver: '1.0',
  };
}

/** The v2 id token returned alongside an access token when `openid` was requested. */
export function idTokenClaims(user: SandboxUser, app: RegisteredApp, authorityHost: string): Claims {
  return {
    aud: app.clientId,
    iss: v2Issuer(authorityHost, user.tid),
    ...timing(3600),
    name: user.name,
    oid: user.oid,
    preferred_username: user.upn,
    rh: `0.A${randomId(40)}.`,
    sub: pairwiseSub(user.oid, app.clientId),
    tid: user.tid,
    uti: randomId(16),
    ver: '2.0',
  };
}

/** `client_info`: base64url JSON of the user's home object id and tenant id (MSAL derives the account key from it). */
export function clientInfo(user: SandboxUser): string {
  return Buffer.from(JSON.stringify({ uid: user.oid, utid: user.tid })).toString('base64url');
}

export function opaqueRefreshToken(): string {
  return `1.A${randomId(180)}`;
}
