/**
 * What changes while the stand-in runs: users' consent, call counters, injected faults.
 */
import { USERS, type SandboxUser, type UserKey } from '../directory';

export interface InjectedResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface EntraStats {
  oboCalls: number;
  oboByUser: Record<string, number>;
  clientCredentialCalls: number;
  tokenErrors: Array<{ error: string; code?: number }>;
}

/** Delegated Graph scopes each user has consented to for the SSO app, keyed by object id. */
export class ConsentStore {
  private readonly byOid = new Map<string, string[]>();

  constructor(users: readonly SandboxUser[] = Object.values(USERS)) {
    for (const u of users) this.byOid.set(u.oid, [...u.consented]);
  }

  get(oid: string): string[] {
    return [...(this.byOid.get(oid) ?? [])];
  }

  set(user: UserKey | SandboxUser, scopes: string[]): void {
    const u = typeof user === 'string' ? USERS[user] : user;
    if (!u) throw new Error(`unknown sandbox user ${String(user)}`);
    this.byOid.set(u.oid, [...scopes]);
  }
}

export class TokenStats {
  private data: EntraStats = TokenStats.empty();

  private static empty(): EntraStats {
    return { oboCalls: 0, oboByUser: {}, clientCredentialCalls: 0, tokenErrors: [] };
  }

  oboSucceeded(userKey: string): void {
    this.data.oboCalls += 1;
    this.data.oboByUser[userKey] = (this.data.oboByUser[userKey] ?? 0) + 1;
  }

  clientCredentialsSucceeded(): void {
    this.data.clientCredentialCalls += 1;
  }

  tokenError(error: string, code?: number): void {
    this.data.tokenErrors.push(code === undefined ? { error } : { error, code });
  }

  snapshot(): EntraStats {
    return structuredClone(this.data);
  }

  reset(): void {
    this.data = TokenStats.empty();
  }
}

/** "The next n token-endpoint requests answer this." */
export class FaultQueue {
  private remaining = 0;
  private response?: InjectedResponse;

  failNext(n: number, response: InjectedResponse): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`failNextTokenRequests: n must be a non-negative integer, got ${n}`);
    this.remaining = n;
    this.response = response;
  }

  /** The injected answer for this request, if one is pending. */
  take(): InjectedResponse | undefined {
    if (this.remaining <= 0 || !this.response) return undefined;
    this.remaining -= 1;
    return this.response;
  }
}

/** Each app registration's redirect URIs, changeable at runtime (tests remove or replace them). */
export class RedirectUriStore {
  private readonly byClient = new Map<string, string[]>();

  constructor(apps: ReadonlyArray<{ clientId: string; redirectUris: readonly string[] }>) {
    for (const a of apps) this.byClient.set(a.clientId, [...a.redirectUris]);
  }

  get(clientId: string): string[] {
    return [...(this.byClient.get(clientId.toLowerCase()) ?? [])];
  }

  set(clientId: string, uris: string[]): void {
    this.byClient.set(clientId.toLowerCase(), [...uris]);
  }
}
