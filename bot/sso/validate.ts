/**
 * Validates the SSO token Teams hands the bot before anything is done with it.
 *
 * Order matters: claims that decide whether we talk to the network at all (tenant) are read
 * unverified first and only ever used to refuse; everything that grants access is checked on
 * the verified token.
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { TEAMS_CLIENT_APP_IDS } from '../config';
import { BotError } from '../errors';
import type { UserIdentity } from '../model';
import { GUID } from '../guid';

export const PERSONAL_ACCOUNT_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

export interface SsoValidatorOptions {
  authorityHost: string;
  clientId: string;
  appIdUri: string;
  allowedTenants: string[];
  /** Apps whose SSO tokens are accepted (`azp` in v2, `appid` in v1): the Teams clients by default. */
  clientAppIds?: readonly string[];
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
  /** The v2 issuer (v2 discovery) and the v1 issuer (v1 tokens, Teams' default). */
  issuers: string[];
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

const PUBLIC_AUTHORITY_HOST = 'login.microsoftonline.com';

/**
 * The issuer of a v1 token, by authority host. The public cloud's is fixed (its v1 discovery
 * document says so). Every other host — the sovereign clouds and any stand-in — is asked, through
 * the tenant's v1 discovery document (`{authority}/{tid}/.well-known/openid-configuration`):
 * published values disagree for US Government (Microsoft Q&A 1190472 and botbuilder's ASE
 * validation give https://sts.windows.net/{tid}/, botbuilder's ValidGovernmentTokenIssuerUrlTemplateV1
 * https://login.microsoftonline.us/{tid}/), while China's login.chinacloudapi.cn issues
 * https://sts.chinacloudapi.cn/{tid}/; the discovery document is the authority's own word.
 */
export function fixedV1Issuer(authorityHost: string, tid: string): string | undefined {
  return new URL(authorityHost).hostname.toLowerCase() === PUBLIC_AUTHORITY_HOST ? `https://sts.windows.net/${tid}/` : undefined;
}

export class SsoTokenValidator {
  private readonly tenants = new Map<string, Promise<TenantKeys>>();

  constructor(private readonly options: SsoValidatorOptions) {}

  /**
   * `expectedTenant`: the tenant of the activity the token arrived with; a token of any other
   * tenant is refused before any network call.
   */
  async validate(token: string, expectedTenant?: string): Promise<ValidatedSsoToken> {
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
    if (expectedTenant !== undefined && expectedTenant.toLowerCase() !== tid) throw tenantMismatch();

    const keys = await this.keysFor(tid);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys.jwks, {
        algorithms: ['RS256'],
        // v2 tokens carry the discovery issuer; v1 tokens (Teams' default) the cloud's v1 issuer.
        issuer: keys.issuers,
        audience: [this.options.appIdUri, this.options.clientId],
        clockTolerance: this.options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp', 'oid', 'tid'],
      }));
    } catch (err) {
      throw invalid(describeJoseFailure(err));
    }
    const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
    if (!scopes.includes('access_as_user')) throw invalid('it does not carry the access_as_user scope');
    // Who asked for it: a genuine Teams SSO token is issued to a Teams client (azp in v2, appid in v1).
    const client = payload.ver === '2.0' ? payload.azp : payload.appid;
    const clients = this.options.clientAppIds ?? TEAMS_CLIENT_APP_IDS;
    if (typeof client !== 'string' || !clients.includes(client.toLowerCase())) {
      throw invalid(`it was issued to an app (${payload.ver === '2.0' ? 'azp' : 'appid'}) that is not a Teams client this bot accepts`);
    }

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
    const base = `${this.options.authorityHost}/${tid}`;
    const fixedV1 = fixedV1Issuer(this.options.authorityHost, tid);
    const [v2, v1] = await Promise.all([
      discoveryDocument(`${base}/v2.0/.well-known/openid-configuration`),
      fixedV1 ? Promise.resolve({ issuer: fixedV1 }) : discoveryDocument(`${base}/.well-known/openid-configuration`),
    ]);
    if (!v2.issuer || !v2.jwks_uri || !v1.issuer) throw new BotError('unavailable', 'Microsoft Entra ID returned an unusable discovery document.');
    return { issuers: [v2.issuer, v1.issuer], jwks: createRemoteJWKSet(new URL(v2.jwks_uri), { timeoutDuration: 5000 }) };
  }
}

async function discoveryDocument(url: string): Promise<{ issuer?: string; jwks_uri?: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as { issuer?: string; jwks_uri?: string };
  } catch (err) {
    throw new BotError('unavailable', 'Microsoft Entra ID could not be reached to check your sign-in.', {
      serviceCode: err instanceof Error ? err.message : undefined,
    });
  }
}

export function tenantMismatch(): BotError {
  return new BotError('sso_token_invalid', 'The sign-in token from Teams was rejected: it was issued in another organization than this conversation\'s.');
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
