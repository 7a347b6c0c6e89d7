/**
 * Validates the SSO token Teams hands the bot before anything is done with it.
 *
 * Order matters: claims that decide whether we talk to the network at all (tenant) are read
 * unverified first and only ever used to refuse; everything that grants access is checked on
 * the verified token.
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { BotError } from '../errors';
import type { UserIdentity } from '../model';

export const PERSONAL_ACCOUNT_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SsoValidatorOptions {
  authorityHost: string;
  clientId: string;
  appIdUri: string;
  allowedTenants: string[];
  /** Clock skew tolerated on exp/nbf. */
  clockToleranceSeconds?: number;
}

/** A token that passed validation: who it proves, and until when. */
export interface ValidatedSsoToken {
  token: string;
  user: UserIdentity;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
  /** The token's `scp` (delegated scopes of the bot's own API), for `diag`. */
  scopes?: string[];
}

interface TenantKeys {
  issuer: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

export class SsoTokenValidator {
  private readonly tenants = new Map<string, Promise<TenantKeys>>();

  constructor(private readonly options: SsoValidatorOptions) {}

  async validate(token: string): Promise<ValidatedSsoToken> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw invalid('it is not a JWT');
    }
    const tid = typeof unverified.tid === 'string' ? unverified.tid.toLowerCase() : '';
    if (!GUID.test(tid)) throw invalid('it names no tenant');
    if (tid === PERSONAL_ACCOUNT_TENANT) {
      throw new BotError('personal_account', 'Personal Microsoft accounts cannot manage Autopilot uploads: Microsoft Graph supports only work or school accounts for this API.');
    }
    if (!this.options.allowedTenants.includes(tid)) {
      throw new BotError('tenant_not_allowed', 'Your organization is not allowed to use this bot.', { serviceCode: tid });
    }

    const keys = await this.keysFor(tid);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys.jwks, {
        algorithms: ['RS256'],
        // v2 tokens carry the discovery issuer; v1 tokens (Teams' default) carry sts.windows.net.
        issuer: [keys.issuer, `https://sts.windows.net/${tid}/`],
        audience: [this.options.appIdUri, this.options.clientId],
        clockTolerance: this.options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp', 'oid', 'tid'],
      }));
    } catch (err) {
      throw invalid(describeJoseFailure(err));
    }
    const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
    if (!scopes.includes('access_as_user')) throw invalid('it does not carry the access_as_user scope');

    return {
      token,
      user: {
        oid: String(payload.oid),
        tid,
        upn: stringClaim(payload.upn) ?? stringClaim(payload.preferred_username),
        name: stringClaim(payload.name),
      },
      expiresAt: (payload.exp as number) * 1000,
      scopes,
    };
  }

  private keysFor(tid: string): Promise<TenantKeys> {
    let keys = this.tenants.get(tid);
    if (!keys) {
      keys = this.discover(tid);
      this.tenants.set(tid, keys);
      // A failed discovery must not poison the cache.
      keys.catch(() => this.tenants.delete(tid));
    }
    return keys;
  }

  private async discover(tid: string): Promise<TenantKeys> {
    const url = `${this.options.authorityHost}/${tid}/v2.0/.well-known/openid-configuration`;
    let doc: { issuer?: string; jwks_uri?: string };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (err) {
      throw new BotError('unavailable', 'Microsoft Entra ID could not be reached to check your sign-in.', {
        serviceCode: err instanceof Error ? err.message : undefined,
      });
    }
    if (!doc.issuer || !doc.jwks_uri) throw new BotError('unavailable', 'Microsoft Entra ID returned an unusable discovery document.');
    return { issuer: doc.issuer, jwks: createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: 5000 }) };
  }
}

function invalid(why: string): BotError {
  return new BotError('sso_token_invalid', `The sign-in token from Teams was rejected: ${why}.`);
}

function stringClaim(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

function describeJoseFailure(err: unknown): string {
  const code = (err as { code?: string }).code;
  const claim = (err as { claim?: string }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'it has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `its ${claim ?? 'claims'} claim is not what this bot expects`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'its signature does not verify';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'it uses an unexpected signing algorithm';
    default:
      return 'it could not be verified';
  }
}
