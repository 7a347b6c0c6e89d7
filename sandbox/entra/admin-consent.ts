/**
 * The admin consent endpoint, `/{tenant}/adminconsent?client_id=…[&redirect_uri=…]` — where the
 * bot's sign-in button sends someone whose on-behalf-of exchange failed with AADSTS65001.
 *
 * Real Entra signs in an administrator and shows the app's requested permissions; accepting
 * grants them tenant-wide (every user of the tenant then gets the delegated scopes), and the
 * browser goes to `redirect_uri` with `admin_consent=True&tenant=…`, or stays on a confirmation
 * page. The sandbox has no sign-in page: whoever opens the link acts as the tenant's admin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SSO_APP, USERS } from '../directory';
import type { ConsentStore } from './state';
import { resolveTenant } from './tenants';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto"><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
  res.end(html);
}

export function handleAdminConsent(req: IncomingMessage, res: ServerResponse, tenantSegment: string, consent: ConsentStore): void {
  const url = new URL(req.url ?? '/', 'https://stand-in');
  const clientId = url.searchParams.get('client_id') ?? '';
  const tenant = resolveTenant(tenantSegment);
  if (!tenant || tenant.kind !== 'directory') {
    return page(res, 400, 'Sign in to your account', `<p>AADSTS90002: Tenant '${escapeHtml(tenantSegment)}' not found.</p>`);
  }
  if (clientId.toLowerCase() !== SSO_APP.clientId) {
    return page(res, 400, 'Sign in to your account', `<p>AADSTS700016: Application with identifier '${escapeHtml(clientId)}' was not found in the directory '${escapeHtml(tenant.directory.id)}'.</p>`);
  }
  const permissions = SSO_APP.graphPermissions.map((p) => `<li>Microsoft Graph: <code>${escapeHtml(p)}</code> (delegated)</li>`).join('');
  if (req.method === 'GET') {
    return page(res, 200, 'Permissions requested',
      `<p>The app <b>Autopilot Uploads</b> (${escapeHtml(SSO_APP.clientId)}) asks for these permissions for every user of ${escapeHtml(tenant.directory.id)}:</p>` +
      `<ul>${permissions}</ul><form method="post"><button type="submit" id="accept">Accept</button></form>`);
  }
  if (req.method !== 'POST') return page(res, 405, 'Method not allowed', '');

  // Tenant-wide: every user of the tenant now gets the app's delegated scopes.
  for (const user of Object.values(USERS)) {
    if (user.tid !== tenant.directory.id) continue;
    consent.set(user, [...new Set([...consent.get(user.oid), ...SSO_APP.graphPermissions])]);
  }
  const redirect = url.searchParams.get('redirect_uri');
  if (redirect && /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(redirect)) {
    const to = new URL(redirect);
    to.searchParams.set('admin_consent', 'True');
    to.searchParams.set('tenant', tenant.directory.id);
    res.writeHead(302, { Location: to.toString(), 'Content-Length': '0' });
    res.end();
    return;
  }
  page(res, 200, 'Permissions granted', '<p>Admin consent is recorded for your organization. Go back to Teams and send your command again.</p>');
}
