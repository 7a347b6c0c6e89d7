/**
 * The admin consent endpoints, `/{tenant}/adminconsent?client_id=…[&redirect_uri=…]` and v2's
 * `/{tenant}/v2.0/adminconsent?client_id&scope&redirect_uri&state` — where the bot's start page
 * sends someone whose on-behalf-of exchange failed with AADSTS65001.
 *
 * Real Entra signs in an administrator and shows the app's requested permissions; accepting
 * grants them tenant-wide (every user of the tenant then gets the delegated scopes), and the
 * browser goes to `redirect_uri` with `admin_consent=True&tenant=…[&scope=…]&state=…`; declining
 * sends `error=access_denied&error_description=AADSTS65004…&state=…`. The redirect_uri must be one
 * the app registration lists: none registered → AADSTS500113, another → AADSTS50011 (its error
 * page, no redirect). Without redirect_uri Entra uses the registration's first one.
 * The sandbox has no sign-in page: whoever opens the link acts as the tenant's admin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SSO_APP, USERS } from '../directory';
import { readBody } from '../http';
import { redirectUriMatches } from './apps';
import type { ConsentStore, RedirectUriStore } from './state';
import { resolveTenant } from './tenants';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const AADSTS500113 = 'AADSTS500113: No reply address is registered for the application.';
export const aadsts50011 = (uri: string, clientId: string) =>
  `AADSTS50011: The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. ` +
  'Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. ' +
  'Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.';
export const AADSTS65004 = 'AADSTS65004: User declined to consent to access the app.';

export interface AdminConsentDeps {
  consent: ConsentStore;
  redirectUris: RedirectUriStore;
  /** The v2 endpoint (explicit scopes; `scope` is echoed on success). */
  v2: boolean;
}

const signInError = (res: ServerResponse, message: string) =>
  page(res, 400, 'Sign in', `<p>Sorry, but we’re having trouble signing you in.</p><p id="error">${escapeHtml(message)}</p>`);

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto"><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
  res.end(html);
}

export async function handleAdminConsent(req: IncomingMessage, res: ServerResponse, tenantSegment: string, deps: AdminConsentDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://stand-in');
  const clientId = url.searchParams.get('client_id') ?? '';
  const tenant = resolveTenant(tenantSegment);
  if (!tenant || tenant.kind !== 'directory') {
    return signInError(res, `AADSTS90002: Tenant '${tenantSegment}' not found.`);
  }
  if (clientId.toLowerCase() !== SSO_APP.clientId) {
    return signInError(res, `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant.directory.id}'.`);
  }
  const registered = deps.redirectUris.get(clientId);
  if (registered.length === 0) return signInError(res, AADSTS500113);
  const requested = url.searchParams.get('redirect_uri');
  if (requested !== null && !redirectUriMatches(registered, requested)) return signInError(res, aadsts50011(requested, SSO_APP.clientId));
  const redirectTo = requested ?? registered[0]!;
  const state = url.searchParams.get('state');
  const scope = url.searchParams.get('scope');

  const permissions = SSO_APP.graphPermissions.map((p) => `<li>Microsoft Graph: <code>${escapeHtml(p)}</code> (delegated)</li>`).join('');
  if (req.method === 'GET') {
    return page(res, 200, 'Permissions requested',
      `<p>The app <b>Autopilot Uploads</b> (${escapeHtml(SSO_APP.clientId)}) asks for these permissions for every user of ${escapeHtml(tenant.directory.id)}:</p>` +
      `<ul>${permissions}</ul><form method="post" id="consent">` +
      '<button type="submit" name="decision" value="accept" id="accept">Accept</button> ' +
      '<button type="submit" name="decision" value="decline" id="decline">Cancel</button></form>');
  }
  if (req.method !== 'POST') return page(res, 405, 'Method not allowed', '');

  const decision = new URLSearchParams(await readBody(req, 4096).catch(() => '')).get('decision') ?? 'accept';
  const to = new URL(redirectTo);
  if (decision === 'decline') {
    to.searchParams.set('error', 'access_denied');
    to.searchParams.set('error_description', AADSTS65004);
  } else {
    // Tenant-wide: every user of the tenant now gets the app's delegated scopes.
    for (const user of Object.values(USERS)) {
      if (user.tid !== tenant.directory.id) continue;
      deps.consent.set(user, [...new Set([...deps.consent.get(user.oid), ...SSO_APP.graphPermissions])]);
    }
    to.searchParams.set('admin_consent', 'True');
    to.searchParams.set('tenant', tenant.directory.id);
    if (deps.v2 && scope) to.searchParams.set('scope', scope);
  }
  if (state !== null) to.searchParams.set('state', state);
  res.writeHead(302, { Location: to.toString(), 'Content-Length': '0' });
  res.end();
}
