/**
 * Page tokens for "Show more" buttons: the next page's position, sealed so a card cannot be edited into reading
 * something else or someone else's view.
 *
 * Sealed, not stored: the token is `base64url(JSON payload) . base64url(HMAC-SHA256)`, the key derived with HKDF
 * from the Entra app's client secret (which every instance shares and nobody outside has), so any instance can
 * read any card's token and nothing needs cleaning up. The payload carries who may use it (oid + tid), when it
 * expires, which view it belongs to, and either Graph's own `@odata.nextLink` or an offset into a view the bot
 * computes itself (device reports, which must be read whole to put errors first). A nextLink is checked on the way
 * in and on the way out: same origin as GRAPH_BASE_URL and under the expected collection path, so even a token we
 * sealed can never send the user's Graph token anywhere else.
 */
import { systemClock } from '../clock';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export type PageKind = 'uploads' | 'devices' | 'imports' | 'import';

export interface PagePosition {
  kind: PageKind;
  /** What the view is about: a status for uploads, an upload id for devices, an import id for one import. */
  subject?: string;
  /** Graph's `@odata.nextLink` for the next page. */
  nextLink?: string;
  /** For views the bot pages itself: the first row of the next page. */
  offset?: number;
}

interface Payload extends PagePosition {
  v: 1;
  oid: string;
  tid: string;
  /** Expiry, epoch ms. */
  exp: number;
}

export type PageTokenRefusal = 'malformed' | 'signature' | 'expired' | 'wrong_user' | 'wrong_view' | 'bad_link';

export interface PageTokenOptions {
  /** Secret the key is derived from (the app's client secret). */
  secret: string;
  /** GRAPH_BASE_URL and the API version: a nextLink must point there. */
  graphBaseUrl: string;
  apiVersion: string;
  /** How long a card's Show more keeps working. */
  lifetimeMs?: number;
  now?: () => number;
}

/** The Graph collection each kind pages through (path after the version). */
const COLLECTIONS: Record<PageKind, string> = {
  uploads: '/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads',
  devices: '/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/',
  imports: '/deviceManagement/importedWindowsAutopilotDeviceIdentities',
  import: '/deviceManagement/importedWindowsAutopilotDeviceIdentities',
};

const DEFAULT_LIFETIME_MS = 60 * 60 * 1000;
/** Cards carry data through Teams; a token longer than this is not one of ours. */
const MAX_TOKEN_LENGTH = 4096;

export class PageTokens {
  private readonly key: Buffer;
  private readonly origin: string;
  private readonly versionPath: string;
  private readonly lifetimeMs: number;
  private readonly now: () => number;

  constructor(options: PageTokenOptions) {
    this.key = Buffer.from(hkdfSync('sha256', options.secret, 'autopilot-uploads-bot', 'page-token/v1', 32));
    this.origin = new URL(options.graphBaseUrl).origin;
    this.versionPath = `/${options.apiVersion}`;
    this.lifetimeMs = options.lifetimeMs ?? DEFAULT_LIFETIME_MS;
    this.now = options.now ?? systemClock;
  }

  seal(position: PagePosition, user: { oid: string; tid: string }): string {
    if (position.nextLink !== undefined && !this.linkAllowed(position.kind, position.nextLink)) {
      throw new Error('refusing to seal a nextLink outside the Graph collection');
    }
    const payload: Payload = { v: 1, ...position, oid: user.oid, tid: user.tid, exp: this.now() + this.lifetimeMs };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The position a token carries, if it is ours, unexpired, this user's, of this view and pointing at Graph. */
  open(token: unknown, user: { oid: string; tid: string }, kind: PageKind): { ok: true; position: PagePosition } | { ok: false; reason: PageTokenRefusal } {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return { ok: false, reason: 'malformed' };
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'signature' };
    let payload: Payload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (payload?.v !== 1 || typeof payload.exp !== 'number') return { ok: false, reason: 'malformed' };
    if (this.now() >= payload.exp) return { ok: false, reason: 'expired' };
    if (payload.oid !== user.oid || payload.tid !== user.tid) return { ok: false, reason: 'wrong_user' };
    if (payload.kind !== kind) return { ok: false, reason: 'wrong_view' };
    if (payload.nextLink !== undefined && !this.linkAllowed(kind, payload.nextLink)) return { ok: false, reason: 'bad_link' };
    if (payload.offset !== undefined && !(Number.isInteger(payload.offset) && payload.offset >= 0)) return { ok: false, reason: 'malformed' };
    const { kind: k, subject, nextLink, offset } = payload;
    return { ok: true, position: { kind: k, ...(subject !== undefined && { subject }), ...(nextLink !== undefined && { nextLink }), ...(offset !== undefined && { offset }) } };
  }

  /** Same origin as GRAPH_BASE_URL, https, our API version, under the kind's collection, no credentials in it. */
  linkAllowed(kind: PageKind, link: string): boolean {
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      return false;
    }
    if (url.protocol !== 'https:' || url.origin !== this.origin || url.username !== '' || url.password !== '') return false;
    const path = decodeURIComponent(url.pathname);
    if (path.includes('/../') || path.includes('/./')) return false;
    const prefix = `${this.versionPath}${COLLECTIONS[kind]}`;
    return kind === 'devices' ? path.startsWith(prefix) && path.endsWith('/deviceIdentities') : path === prefix;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
