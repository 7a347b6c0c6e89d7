/**
 * The on-behalf-of grant (Microsoft identity platform "OAuth 2.0 On-Behalf-Of flow"):
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `requested_token_use=on_behalf_of`,
 * `assertion` = the user's token for the calling app, `scope` = what the app wants downstream.
 *
 * Checked in the order Entra reports failures: a readable JWT, a signature by one of Entra's
 * published keys, a trusted issuer, the time window, an audience that is the calling app, the
 * tenant rules, the user, then consent for the requested scopes.
 */
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { GRAPH_RESOURCE, BOT_FRAMEWORK_RESOURCE, findUser, type SandboxUser } from '../directory';
import type { RegisteredApp } from './apps';
import { v2Issuer } from './discovery';
import { AADSTS } from './errors';
import { findPublishedKey, type KeySet } from './keys';
import { DEFAULT_SCOPE, parseScopes } from './scopes';
import type { ConsentStore, TokenStats } from './state';
import { type ResolvedTenant, directoryById, v1Issuer } from './tenants';
import {
  ACCESS_TOKEN_LIFETIME_SECONDS,
  clientInfo,
  delegatedGraphClaims,
  idTokenClaims,
  nowSeconds,
  opaqueRefreshToken,
  signJwt,
} from './tokens';

export interface OboDeps {
  authorityHost: string;
  v1IssuerBase?: string;
  keys: KeySet;
  consent: ConsentStore;
  stats: TokenStats;
}

export interface OboRequest {
  form: URLSearchParams;
  tenant: ResolvedTenant;
  app: RegisteredApp;
}

const sameText = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Reads and verifies the assertion; returns its claims. */
async function verifyAssertion(assertion: string, app: RegisteredApp, deps: OboDeps): Promise<JWTPayload> {
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    throw AADSTS.malformedAssertion();
  }
  const key = findPublishedKey(deps.keys, header.kid);
  if (!key) throw AADSTS.signatureKeyNotFound(thumbprintHex(header.x5t ?? header.kid ?? ''));
  try {
    await compactVerify(assertion, key.publicKey, { algorithms: ['RS256'] });
  } catch {
    throw AADSTS.signatureMismatch();
  }

  const tid = typeof claims.tid === 'string' ? claims.tid : '';
  const iss = String(claims.iss ?? '');
  if (!tid || (iss !== v1Issuer(tid, deps.v1IssuerBase) && iss !== v2Issuer(deps.authorityHost, tid))) throw AADSTS.untrustedIssuer(iss);

  if (typeof claims.exp !== 'number') throw AADSTS.malformedAssertion();
  const now = nowSeconds();
  if (claims.exp <= now || (typeof claims.nbf === 'number' && claims.nbf > now)) {
    throw AADSTS.assertionTimeRange(new Date(now * 1000), new Date(claims.exp * 1000));
  }

  const audiences = Array.isArray(claims.aud) ? claims.aud : [String(claims.aud ?? '')];
  if (!audiences.some((a) => app.audiences.some((expected) => sameText(a, expected)))) {
    throw AADSTS.assertionAudience(audiences.join(' '), { clientId: app.clientId, displayName: app.displayName, expected: app.clientId });
  }
  return claims;
}

/** Entra quotes the thumbprint of the key the client used in hex. */
function thumbprintHex(x5t: string): string {
  try {
    return Buffer.from(x5t, 'base64url').toString('hex').toUpperCase();
  } catch {
    return x5t;
  }
}

/** Tenant rules: the authority must be the user's tenant, or an alias that admits the user. */
function checkTenant(claims: JWTPayload, tenant: ResolvedTenant, app: RegisteredApp): SandboxUser {
  const tid = String(claims.tid);
  const upn = String(claims.upn ?? claims.preferred_username ?? claims.unique_name ?? claims.oid ?? '');
  const home = directoryById(tid);
  if (!home) throw AADSTS.tenantNotFound(tid, false);
  if (tenant.kind === 'directory' && tenant.directory.id !== home.id) {
    throw AADSTS.userNotInTenant(upn, String(claims.iss), tenant.directory.name, app);
  }
  // The sandbox apps are work-or-school only (AzureADMultipleOrgs).
  if (!home.organizational) throw AADSTS.personalAccount(upn);

  const user = findUser({ oid: String(claims.oid ?? '') });
  if (!user || user.tid !== home.id) throw AADSTS.userNotFound(home.id);
  return user;
}

/** Graph scopes to grant, or the error Entra gives. */
function grantGraphScopes(names: string[], rawScope: string, user: SandboxUser, app: RegisteredApp, consent: ConsentStore): string[] {
  const consented = consent.get(user.oid);
  const wantsDefault = names.some((n) => n === DEFAULT_SCOPE);
  if (wantsDefault && names.length > 1) throw AADSTS.invalidScope(rawScope, 'is not valid. static scope limit exceeded');
  let granted: string[];
  if (wantsDefault) {
    // `.default` = everything consented among the permissions the registration requests.
    granted = app.graphPermissions.filter((p) => consented.some((c) => sameText(c, p)));
  } else {
    if (!names.every((n) => consented.some((c) => sameText(c, n)))) throw AADSTS.consentRequired(app);
    // Entra puts every consented scope for the resource in the token, not only the requested ones.
    granted = consented;
  }
  if (granted.length === 0) throw AADSTS.consentRequired(app);
  return granted;
}

export async function onBehalfOf(req: OboRequest, deps: OboDeps): Promise<Record<string, unknown>> {
  const { form, tenant, app } = req;
  if (form.get('requested_token_use') !== 'on_behalf_of') throw AADSTS.missingParameter('requested_token_use');
  const assertion = form.get('assertion');
  if (!assertion) throw AADSTS.missingParameter('assertion');
  const rawScope = form.get('scope');
  if (!rawScope) throw AADSTS.missingParameter('scope');

  const claims = await verifyAssertion(assertion, app, deps);
  const user = checkTenant(claims, tenant, app);

  const scopes = parseScopes(rawScope);
  if (!scopes.resource) throw AADSTS.invalidScope(rawScope);
  if (scopes.resource !== GRAPH_RESOURCE) {
    const known = [BOT_FRAMEWORK_RESOURCE, ...app.audiences].some((r) => sameText(r, scopes.resource ?? ''));
    throw known ? AADSTS.consentRequired(app) : AADSTS.resourceNotFound(scopes.resource, directoryById(user.tid)?.name ?? user.tid);
  }
  const granted = grantGraphScopes(scopes.names, rawScope, user, app, deps.consent);

  const oidcInToken = ['openid', 'profile', 'email'].filter((s) => scopes.oidc.has(s));
  const accessToken = await signJwt(
    delegatedGraphClaims({ user, app, scp: [...granted, ...oidcInToken], expiresInSeconds: ACCESS_TOKEN_LIFETIME_SECONDS, v1IssuerBase: deps.v1IssuerBase }),
    deps.keys.active,
    '1.0',
  );
  // Real responses read e.g. "profile openid email https://graph.microsoft.com/X https://graph.microsoft.com/.default":
  // the echoed `.default` is what lets MSAL find the token in its cache next time.
  const responseScope = [
    ...['profile', 'openid', 'email'].filter((s) => scopes.oidc.has(s)),
    ...granted.map((g) => `${GRAPH_RESOURCE}/${g}`),
    ...(scopes.names.includes(DEFAULT_SCOPE) ? [`${GRAPH_RESOURCE}/${DEFAULT_SCOPE}`] : []),
  ].join(' ');

  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: responseScope,
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    ext_expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    access_token: accessToken,
  };
  if (scopes.oidc.has('offline_access')) body.refresh_token = opaqueRefreshToken();
  if (scopes.oidc.has('openid')) body.id_token = await signJwt(idTokenClaims(user, app, deps.authorityHost), deps.keys.active, '2.0');
  if (form.get('client_info') === '1') body.client_info = clientInfo(user);

  deps.stats.oboSucceeded(user.key);
  return body;
}
