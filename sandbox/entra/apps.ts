/**
 * The app registrations the token endpoint authenticates: the SSO/OBO app and the bot.
 *
 * Both are multi-tenant work-or-school apps (signInAudience AzureADMultipleOrgs): they have a
 * service principal in the sandbox's organisational directories and none in the personal
 * Microsoft account directory, which is what makes Entra answer AADSTS700016 there.
 */
import crypto from 'node:crypto';
import { BOT_APP, SSO_APP } from '../directory';
import { BOT_FRAMEWORK_TENANT_ID, DIRECTORIES, type Directory } from './tenants';

export interface RegisteredApp {
  clientId: string;
  secret: string;
  displayName: string;
  /** Values an assertion's `aud` may carry when this app redeems it on-behalf-of (client id and app ID URIs). */
  audiences: string[];
  /** Delegated Graph permissions in the registration: what `.default` can yield. */
  graphPermissions: readonly string[];
  /** Directories holding a service principal for this app. */
  tenantIds: readonly string[];
  /** Authentication › redirect URIs: where authorize and admin consent may send the browser. */
  redirectUris: readonly string[];
}

const organisational = (d: Directory): boolean => d.organizational && d.id !== BOT_FRAMEWORK_TENANT_ID;

export const SSO_APP_REGISTRATION: RegisteredApp = {
  clientId: SSO_APP.clientId,
  secret: SSO_APP.clientSecret,
  displayName: 'Autopilot Uploads bot SSO',
  audiences: [SSO_APP.clientId, SSO_APP.appIdUri],
  graphPermissions: SSO_APP.graphPermissions,
  tenantIds: DIRECTORIES.filter(organisational).map((d) => d.id),
  redirectUris: SSO_APP.redirectUris,
};

export const BOT_APP_REGISTRATION: RegisteredApp = {
  clientId: BOT_APP.id,
  secret: BOT_APP.password,
  displayName: 'Autopilot Uploads bot',
  audiences: [BOT_APP.id],
  graphPermissions: [],
  redirectUris: [],
  tenantIds: [BOT_FRAMEWORK_TENANT_ID, ...DIRECTORIES.filter(organisational).map((d) => d.id)],
};

export const REGISTERED_APPS: readonly RegisteredApp[] = [SSO_APP_REGISTRATION, BOT_APP_REGISTRATION];

export function findApp(clientId: string): RegisteredApp | undefined {
  return REGISTERED_APPS.find((a) => a.clientId === clientId.toLowerCase());
}

/** A stable object id for an app's service principal in a tenant (the `oid` of its app-only tokens). */
export function servicePrincipalId(clientId: string, tid: string): string {
  const h = crypto.createHash('sha256').update(`sp:${clientId}:${tid}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether `requested` is one of `registered`: exact (scheme, host, port, path, query), except that
 * a loopback URI matches on any port (RFC 8252 §7.3, as Entra does for localhost).
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  let want: URL;
  try {
    want = new URL(requested);
  } catch {
    return false;
  }
  return registered.some((r) => {
    if (r === requested) return true;
    const have = new URL(r);
    if (!LOOPBACK.has(have.hostname) || have.hostname !== want.hostname || have.protocol !== want.protocol) return false;
    return have.pathname === want.pathname && have.search === want.search && (have.port === '' || have.port === want.port);
  });
}
