/**
 * The sign-in pages the bot serves on its own domain (one of the manifest's validDomains), for
 * the sign-in button Teams shows when silent SSO fails (consent missing):
 *
 *   GET /auth/start?state=…   → 302 to the tenant's admin consent page (Entra), never anywhere else
 *   GET /auth/end?…           Entra's redirect_uri: tells Teams the outcome through
 *                             microsoftTeams.authentication.notifySuccess / notifyFailure, after
 *                             which Teams sends `signin/verifyState` (msteams-docs
 *                             bots/how-to/authentication/auth-flow-bot.md)
 *   GET /auth/teams-js        @microsoft/teams-js from node_modules: no CDN
 *
 * The end page also carries its result as `<script type="application/json" id="teams-result">`:
 * the same value it hands to notifySuccess, readable without running the page (the sandbox's
 * Teams stand-in plays the Teams host from it).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Logger } from '../log';
import type { SignInStates } from './state';

export interface SignInRoute {
  method: 'GET';
  path: string;
  handler(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface SignInPagesDeps {
  /** PUBLIC_URL: the bot's own base URL; `<publicUrl>/auth/end` is the redirect_uri Entra must have registered. */
  publicUrl: string;
  authorityHost: string;
  clientId: string;
  /** The permission the admin consents to (v2 admin consent takes explicit scopes). */
  consentScope: string;
  states: SignInStates;
  log: Logger;
  /** The teams-js bundle; default: @microsoft/teams-js/dist/umd/MicrosoftTeams.min.js. */
  teamsJsPath?: string;
}

export const START_PATH = '/auth/start';
export const END_PATH = '/auth/end';
export const TEAMS_JS_PATH = '/auth/teams-js';
export const CONSENT_SCOPE = 'https://graph.microsoft.com/DeviceManagementServiceConfig.ReadWrite.All';

/** Where Teams and the Microsoft 365 hosts may frame the pages (and post messages from). */
export const TEAMS_HOSTS = [
  'https://teams.microsoft.com',
  'https://*.teams.microsoft.com',
  'https://teams.cloud.microsoft',
  'https://*.cloud.microsoft',
  'https://*.office.com',
  'https://outlook.office.com',
  'https://outlook.office365.com',
  'https://*.office365.com',
  'https://*.microsoft365.com',
  'https://teams.live.com',
];

/** What the end page reports: to Teams through notifySuccess/notifyFailure, and in #teams-result. */
export type SignInResult = { outcome: 'success'; result: string } | { outcome: 'failure'; reason: string };

export function signinRoutes(deps: SignInPagesDeps): SignInRoute[] {
  let teamsJs: Buffer | undefined;
  const endUrl = `${deps.publicUrl}${END_PATH}`;

  const start = (req: IncomingMessage, res: ServerResponse): void => {
    const query = queryOf(req);
    const opened = deps.states.open(query.get('state'), 'start');
    if (!opened.ok) {
      deps.log.info({ route: START_PATH, reason: opened.reason }, 'sign-in start refused');
      return page(res, 400, 'Sign-in link not valid', '<p>This sign-in link is not valid or has expired. Go back to Teams and send your command again.</p>');
    }
    // Only ever the configured authority, the state's own tenant and our own end page: nothing from the query but the sealed state.
    const consent = new URL(`${deps.authorityHost}/${encodeURIComponent(opened.state.tid)}/v2.0/adminconsent`);
    consent.searchParams.set('client_id', deps.clientId);
    consent.searchParams.set('scope', deps.consentScope);
    consent.searchParams.set('redirect_uri', endUrl);
    consent.searchParams.set('state', query.get('state')!);
    res.writeHead(302, { ...securityHeaders(), Location: consent.toString(), 'Content-Length': '0' });
    res.end();
  };

  const end = (req: IncomingMessage, res: ServerResponse): void => {
    const query = queryOf(req);
    const result = endResult(query, deps.states);
    deps.log.info({ route: END_PATH, outcome: result.outcome, ...(result.outcome === 'failure' ? { reason: result.reason.slice(0, 200) } : {}) }, 'sign-in end');
    const nonce = randomBytes(16).toString('base64');
    const title = result.outcome === 'success' ? 'Signed in' : 'Sign-in did not complete';
    const text = result.outcome === 'success' ? 'Permissions granted. You can close this window and return to Teams.' : `Sign-in did not complete: ${result.reason}`;
    const body =
      `<p id="message">${escapeHtml(text)}</p>` +
      `<script type="application/json" id="teams-result">${jsonForScript(result)}</script>` +
      `<script type="application/json" id="teams-origins">${jsonForScript(TEAMS_HOSTS)}</script>` +
      `<script nonce="${nonce}" src="${TEAMS_JS_PATH}"></script>` +
      `<script nonce="${nonce}">${END_PAGE_SCRIPT}</script>`;
    page(res, 200, title, body, nonce);
  };

  const script = (_req: IncomingMessage, res: ServerResponse): void => {
    try {
      teamsJs ??= fs.readFileSync(deps.teamsJsPath ?? teamsJsBundlePath());
    } catch (err) {
      deps.log.error({ err }, 'teams-js bundle not found');
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Internal error');
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/javascript; charset=utf-8',
      'Content-Length': teamsJs.length,
      'Cache-Control': 'public, max-age=86400',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(teamsJs);
  };

  return [
    { method: 'GET', path: START_PATH, handler: start },
    { method: 'GET', path: END_PATH, handler: end },
    { method: 'GET', path: TEAMS_JS_PATH, handler: script },
  ];
}

/** Entra's answer on the redirect: `admin_consent=True&tenant&state` or `error&error_description&state`. */
export function endResult(query: URLSearchParams, states: SignInStates): SignInResult {
  const opened = states.open(query.get('state'), 'start');
  if (!opened.ok) return { outcome: 'failure', reason: `invalid_state (${opened.reason})` };
  const error = query.get('error');
  if (error) {
    const description = (query.get('error_description') ?? '').split(/\r?\n/)[0]!.slice(0, 300);
    return { outcome: 'failure', reason: description ? `${error}: ${description}` : error };
  }
  if (query.get('admin_consent')?.toLowerCase() !== 'true') return { outcome: 'failure', reason: 'consent_not_granted' };
  const tenant = (query.get('tenant') ?? '').toLowerCase();
  if (tenant !== opened.state.tid) return { outcome: 'failure', reason: 'tenant_mismatch' };
  return { outcome: 'success', result: states.seal('done', opened.state) };
}

/**
 * Runs in the page: no inline handlers, only this nonce'd block. app.initialize gets the Teams
 * origins so teams-js need not fetch its list (the CSP's connect-src 'none' stops that fetch).
 */
const END_PAGE_SCRIPT = `(function () {
  var result = JSON.parse(document.getElementById('teams-result').textContent);
  var origins = JSON.parse(document.getElementById('teams-origins').textContent);
  var teams = window.microsoftTeams;
  if (!teams) return;
  teams.app.initialize(origins).then(function () {
    if (result.outcome === 'success') teams.authentication.notifySuccess(result.result);
    else teams.authentication.notifyFailure(result.reason);
  }, function () { /* not inside Teams: the message on the page is all there is */ });
})();`;

function teamsJsBundlePath(): string {
  // The package's main entry lives in dist/; the UMD bundle is beside it.
  const main = require.resolve('@microsoft/teams-js');
  let dir = path.dirname(main);
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'umd', 'MicrosoftTeams.min.js');
}

function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://bot.invalid').searchParams;
}

export function contentSecurityPolicy(nonce?: string): string {
  const scripts = nonce ? `'self' 'nonce-${nonce}'` : `'none'`;
  const styles = nonce ? `'nonce-${nonce}'` : `'none'`;
  return [
    `default-src 'none'`,
    `script-src ${scripts}`,
    `style-src ${styles}`,
    `img-src 'self'`,
    `connect-src 'none'`,
    `base-uri 'none'`,
    `form-action 'none'`,
    `frame-ancestors 'self' ${TEAMS_HOSTS.join(' ')}`,
  ].join('; ');
}

function securityHeaders(nonce?: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(nonce),
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  };
}

function page(res: ServerResponse, status: number, title: string, body: string, nonce = randomBytes(16).toString('base64')): void {
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<style nonce="${nonce}">body{font-family:sans-serif;max-width:40em;margin:3em auto}</style></head>` +
    `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  res.writeHead(status, { ...securityHeaders(nonce), 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
  res.end(html);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON inside a <script> block: `<` escaped so no value can close the element. */
const jsonForScript = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
