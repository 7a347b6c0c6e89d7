/**
 * Raw HTTP helpers for the Entra stand-in tests: what a client without MSAL would send, so the
 * exact bodies and headers can be asserted.
 */
import crypto from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { SSO_APP } from '../../sandbox/directory';

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function getJson(url: string): Promise<RawAnswer> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** POSTs a form to a tenant's v2 token endpoint, with a fresh client-request-id as MSAL sends. */
export async function postToken(
  authorityHost: string,
  tenant: string,
  form: Record<string, string>,
  clientRequestId: string = crypto.randomUUID(),
): Promise<RawAnswer & { clientRequestId: string }> {
  const res = await fetch(`${authorityHost}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8', 'client-request-id': clientRequestId },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown>, clientRequestId };
}

/** The OBO form MSAL sends (scopes plus the OIDC scopes it always adds). */
export function oboForm(assertion: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: SSO_APP.clientId,
    client_secret: SSO_APP.clientSecret,
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    requested_token_use: 'on_behalf_of',
    assertion,
    scope: 'https://graph.microsoft.com/.default openid profile offline_access',
    client_info: '1',
    ...overrides,
  };
}

/** Verifies a token against the stand-in's published JWKS, as a relying party would. */
export async function verifyWithJwks(authorityHost: string, tenant: string, token: string): Promise<JWTPayload> {
  const jwks = (await getJson(`${authorityHost}/${tenant}/discovery/v2.0/keys`)).body as unknown as JSONWebKeySet;
  return (await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['RS256'] })).payload;
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Entra's `timestamp`: 2017-05-01 22:43:20Z */
export const ENTRA_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/;
