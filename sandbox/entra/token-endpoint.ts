/**
 * `POST /{tenant}/oauth2/v2.0/token`: form parsing, client authentication, grant dispatch, and
 * Entra's error envelope for every failure.
 *
 * Client authentication accepts the secret in the body (client_secret_post, what MSAL sends) or
 * in HTTP Basic (client_secret_basic), the two secret methods the discovery document lists.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../http';
import { findApp, type RegisteredApp } from './apps';
import { clientCredentials } from './client-credentials';
import { AADSTS, EntraError, errorBody, requestIds } from './errors';
import type { KeySet } from './keys';
import { onBehalfOf } from './obo';
import type { ConsentStore, FaultQueue, RedirectUriStore, TokenStats } from './state';
import { type ResolvedTenant, concreteDirectory, resolveTenant } from './tenants';

export interface TokenEndpointDeps {
  authorityHost: string;
  /** The cloud's v1 issuer host (V1_ISSUER_BASES); public when absent. */
  v1IssuerBase?: string;
  keys: KeySet;
  consent: ConsentStore;
  redirectUris: RedirectUriStore;
  stats: TokenStats;
  faults: FaultQueue;
}

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Grants Entra supports but the sandbox never issues anything redeemable for. */
const UNREDEEMABLE_GRANTS = new Set([
  'authorization_code',
  'refresh_token',
  'password',
  'device_code',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:saml1_1-bearer',
  'urn:ietf:params:oauth:grant-type:saml2-bearer',
]);

const NO_STORE = { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' };

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const text = await readBody(req);
  // A body that is not form-encoded reads as no parameters at all, as it does for Entra.
  return /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '') ? new URLSearchParams(text) : new URLSearchParams();
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

function authenticateClient(form: URLSearchParams, authorization: string | undefined, tenant: ResolvedTenant): RegisteredApp {
  const basic = basicCredentials(authorization);
  const clientId = form.get('client_id') ?? basic?.id;
  if (!clientId) throw AADSTS.missingParameter('client_id');
  const directory = concreteDirectory(tenant);
  const directoryLabel = directory ? (directory.organizational ? directory.name : directory.id) : tenant.segment;
  const app = findApp(clientId);
  if (!app || (directory && !app.tenantIds.includes(directory.id))) throw AADSTS.appNotFound(clientId, directoryLabel);

  const secret = form.get('client_secret') ?? basic?.secret;
  if (secret === undefined) {
    if (form.get('client_assertion')) throw AADSTS.clientAssertionKeyNotFound();
    throw AADSTS.missingClientSecret();
  }
  if (secret !== app.secret) throw AADSTS.invalidClientSecret(app.clientId);
  return app;
}

async function issue(req: IncomingMessage, tenantSegment: string, deps: TokenEndpointDeps): Promise<Record<string, unknown>> {
  if (req.method !== 'POST') throw AADSTS.postOnly(req.method ?? 'GET');
  const tenant = resolveTenant(tenantSegment);
  if (!tenant) throw AADSTS.tenantNotFound(tenantSegment, false);
  const form = await readForm(req);
  const grant = form.get('grant_type');
  if (!grant) throw AADSTS.missingParameter('grant_type');
  if (grant !== JWT_BEARER && grant !== 'client_credentials' && !UNREDEEMABLE_GRANTS.has(grant)) {
    throw AADSTS.unsupportedGrant(grant);
  }
  const app = authenticateClient(form, req.headers.authorization, tenant);
  if (grant === JWT_BEARER) return onBehalfOf({ form, tenant, app }, deps);
  if (grant === 'client_credentials') return clientCredentials({ form, tenant, app }, deps);
  throw AADSTS.grantNotRedeemable();
}

export async function handleTokenRequest(req: IncomingMessage, res: ServerResponse, tenantSegment: string, deps: TokenEndpointDeps): Promise<void> {
  const ids = requestIds(req.headers['client-request-id']);
  const echo: Record<string, string> = {
    'x-ms-request-id': ids.traceId,
    ...(typeof req.headers['client-request-id'] === 'string' ? { 'client-request-id': req.headers['client-request-id'] } : {}),
  };

  const injected = deps.faults.take();
  if (injected) {
    await readBody(req).catch(() => '');
    const body = injected.body as { error?: unknown; error_codes?: unknown } | undefined;
    if (body && typeof body.error === 'string') {
      const code = Array.isArray(body.error_codes) && typeof body.error_codes[0] === 'number' ? body.error_codes[0] : undefined;
      deps.stats.tokenError(body.error, code);
    } else if (injected.status >= 400) {
      deps.stats.tokenError(`http_${injected.status}`);
    }
    sendJson(res, injected.status, injected.body, { ...NO_STORE, ...echo, ...(injected.headers ?? {}) });
    return;
  }

  try {
    const body = await issue(req, tenantSegment, deps);
    sendJson(res, 200, body, { ...NO_STORE, ...echo });
  } catch (err) {
    if (!(err instanceof EntraError)) throw err;
    deps.stats.tokenError(err.error, err.code);
    sendJson(res, err.status, errorBody(err, ids, deps.authorityHost), { ...NO_STORE, ...echo });
  }
}
