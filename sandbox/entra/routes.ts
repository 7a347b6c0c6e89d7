/**
 * Maps login.microsoftonline.com's URL layout onto the stand-in's handlers:
 *
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration   v2 discovery
 *   GET  /{tenant}/.well-known/openid-configuration        v1 discovery
 *   GET  /{tenant}/discovery/v2.0/keys                     JWKS (keys carry `issuer`)
 *   GET  /{tenant}/discovery/keys                          JWKS (v1)
 *   POST /{tenant}/oauth2/v2.0/token                       token endpoint
 *   GET|POST /{tenant}/adminconsent?client_id=…            admin consent (see admin-consent.ts)
 *   GET|POST /{tenant}/v2.0/adminconsent?client_id&scope&redirect_uri&state   v2 admin consent
 *   *    /_sandbox/entra/...                               test control (see control.ts)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Handler } from '../http';
import { sendJson } from '../http';
import { handleAdminConsent } from './admin-consent';
import { CONTROL_PREFIX, handleControl, type EntraControlApi } from './control';
import { openIdConfigurationV1, openIdConfigurationV2, v2IssuerFor } from './discovery';
import { AADSTS, errorBody, requestIds } from './errors';
import { jwksDocument } from './keys';
import { handleTokenRequest, type TokenEndpointDeps } from './token-endpoint';
import { resolveTenant, type ResolvedTenant } from './tenants';

// Discovery documents and keys may be cached by relying parties, as Entra allows.
const CACHEABLE = { 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' };

type TenantGet = (tenant: ResolvedTenant) => unknown;

export function createEntraHandler(deps: TokenEndpointDeps, control: EntraControlApi): Handler {
  // Read late: the host is known only once the server listens.
  const tenantDocuments: Record<string, TenantGet> = {
    'v2.0/.well-known/openid-configuration': (t) => openIdConfigurationV2(deps.authorityHost, t),
    '.well-known/openid-configuration': (t) => openIdConfigurationV1(deps.authorityHost, t, deps.v1IssuerBase),
    'discovery/v2.0/keys': (t) => jwksDocument(deps.keys, v2IssuerFor(deps.authorityHost, t)),
    'discovery/keys': () => jwksDocument(deps.keys),
  };

  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'https://stand-in').pathname;
    if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) {
      return handleControl(req, res, path.slice(CONTROL_PREFIX.length + 1).split('/'), control);
    }
    const [, tenantSegment = '', ...rest] = path.split('/');
    const route = rest.join('/');

    if (route === 'oauth2/v2.0/token') return handleTokenRequest(req, res, decodeURIComponent(tenantSegment), deps);
    if (route === 'adminconsent' || route === 'v2.0/adminconsent') {
      return handleAdminConsent(req, res, decodeURIComponent(tenantSegment), { consent: deps.consent, redirectUris: deps.redirectUris, v2: route !== 'adminconsent' });
    }

    const document = tenantDocuments[route];
    if (document && req.method === 'GET') {
      const tenant = resolveTenant(decodeURIComponent(tenantSegment));
      if (!tenant) {
        const ids = requestIds(req.headers['client-request-id']);
        return sendJson(res, 400, errorBody(AADSTS.tenantNotFound(decodeURIComponent(tenantSegment), true), ids, deps.authorityHost), {
          'x-ms-request-id': ids.traceId,
        });
      }
      return sendJson(res, 200, document(tenant), CACHEABLE);
    }
    return sendJson(res, 404, { error: 'not_found', error_description: `The Entra stand-in serves no ${req.method} ${path}.` });
  };
}
