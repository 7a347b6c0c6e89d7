/**
 * Per-user on-behalf-of credentials.
 *
 * The bot keeps no long-lived tokens: it holds, per user, one OnBehalfOfCredential built from
 * that user's validated SSO token until the token expires. Reusing the instance matters: MSAL's
 * cache lives inside it, so a user's ten Graph calls cost one OBO round trip.
 */
import { systemClock } from '../clock';
import {
  type AccessToken,
  type GetTokenOptions,
  OnBehalfOfCredential,
  type MultiTenantTokenCredentialOptions,
  type OnBehalfOfCredentialSecretOptions,
  type TokenCredential,
} from '@azure/identity';
import { Lru } from '../state/lru';
import type { ValidatedSsoToken } from './validate';

export interface OboOptions {
  clientId: string;
  clientSecret: string;
  authorityHost: string;
}

interface Entry {
  credential: TokenCredential;
  token: string;
  expiresAt: number;
  sso: ValidatedSsoToken;
}

/** Refuse to hand out a credential whose assertion expires within this margin. */
const EXPIRY_MARGIN_MS = 60_000;

export const isMicrosoftAuthority = (host: string): boolean =>
  /(^|\.)(login\.microsoftonline\.(com|us)|login\.chinacloudapi\.cn|login\.partner\.microsoftonline\.cn)$/i.test(new URL(host).hostname);

export const userKey = (u: { tid: string; oid: string }): string => `${u.tid}:${u.oid}`;

/**
 * Users whose credentials are held at once. Beyond it the least recently active user's goes:
 * they are asked for SSO again (silent in Teams), which costs one OBO round trip, not a failure.
 */
export const MAX_USERS = 10_000;
const SWEEP_EVERY_MS = 60_000;

export class UserCredentials {
  private readonly entries: Lru<string, Entry>;
  private nextSweepAt = 0;

  constructor(
    private readonly options: OboOptions,
    private readonly now: () => number = systemClock,
    maxUsers = MAX_USERS,
  ) {
    this.entries = new Lru(maxUsers);
  }

  /** Stores (or keeps) the credential for a freshly validated SSO token and returns it. */
  remember(sso: ValidatedSsoToken): TokenCredential {
    const key = userKey(sso.user);
    const existing = this.entries.get(key);
    if (existing && existing.token === sso.token) return existing.credential;
    // disableInstanceDiscovery is honoured at run time but missing from the OBO option types.
    const options: OnBehalfOfCredentialSecretOptions & MultiTenantTokenCredentialOptions & { disableInstanceDiscovery: boolean } = {
      // OBO always runs against the SSO token's own tenant.
      tenantId: sso.user.tid,
      clientId: this.options.clientId,
      clientSecret: this.options.clientSecret,
      userAssertionToken: sso.token,
      authorityHost: this.options.authorityHost,
      // Instance discovery only knows Microsoft's clouds; elsewhere it retries for ~6 s, then fails.
      disableInstanceDiscovery: !isMicrosoftAuthority(this.options.authorityHost),
    };
    const credential = new SharedRequestCredential(new OnBehalfOfCredential(options));
    this.sweep();
    this.entries.set(key, { credential, token: sso.token, expiresAt: sso.expiresAt, sso });
    return credential;
  }

  /** The user's credential while their SSO token is still valid; undefined means "ask Teams for SSO". */
  get(user: { tid: string; oid: string }): TokenCredential | undefined {
    const key = userKey(user);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt - EXPIRY_MARGIN_MS <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.credential;
  }

  forget(user: { tid: string; oid: string }): boolean {
    return this.entries.delete(userKey(user));
  }

  /** The validated SSO token behind the user's credential (for `diag`), while it is still valid. */
  validated(user: { tid: string; oid: string }): ValidatedSsoToken | undefined {
    return this.get(user) ? this.entries.get(userKey(user))?.sso : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  /** How many users' credentials are held at most. */
  get maxUsers(): number {
    return this.entries.maxEntries;
  }

  /**
   * Drops expired entries: at most once a minute (a scan of every user per sign-in would be
   * quadratic), and whenever the map is full, so the bound pushes out no one still signed in
   * while an expired entry remains.
   */
  private sweep(): void {
    const now = this.now();
    if (now < this.nextSweepAt && this.entries.size < this.entries.maxEntries) return;
    this.nextSweepAt = now + SWEEP_EVERY_MS;
    this.entries.prune((entry) => entry.expiresAt <= now);
  }
}

/**
 * MSAL's cache only helps once a token is in it: concurrent first calls (Graph requests fired
 * together, two invokes at once) would each run their own OBO exchange. Callers asking for the
 * same scopes while a request is in flight share it.
 */
export class SharedRequestCredential implements TokenCredential {
  private readonly inFlight = new Map<string, Promise<AccessToken | null>>();

  constructor(private readonly inner: TokenCredential) {}

  getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
    const key = `${[scopes].flat().sort().join(' ')}|${options.tenantId ?? ''}|${options.claims ?? ''}`;
    let request = this.inFlight.get(key);
    if (!request) {
      // One caller's abort must not fail the others waiting on the shared request.
      const { abortSignal: _abortSignal, ...shared } = options;
      request = this.inner.getToken(scopes, shared).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, request);
    }
    return request;
  }
}
