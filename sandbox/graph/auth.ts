/**
 * Bearer-token checks Graph makes before any workload sees the request.
 *
 * Graph accepts v1 access tokens issued by `https://sts.windows.net/{tid}/` for the Graph resource
 * (`https://graph.microsoft.com`, with or without the trailing slash, or its app id), signed with a
 * key from Entra's JWKS. Failure messages are Graph's own (InvalidAuthenticationToken):
 * "Access token is empty.", "Lifetime validation failed, the token is expired.",
 * "Access token validation failure. Invalid audience.", "Signature is invalid." (wazuh/wazuh-documentation#7620),
 * "IDX14100: JWT is not well formed, there are no dots (.). …" (MaikuB/flutter_appauth#575).
 */
import https from 'node:https';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from '../directory';

export interface Caller {
  oid?: string;
  tid: string;
  appId?: string;
  upn?: string;
  /** Delegated scopes (`scp`); empty for app-only tokens. */
  scopes: string[];
  /** An application token (no `scp`): Graph's permission tables say "Application: Not supported." */
  appOnly: boolean;
}

export type AuthResult = { ok: true; caller: Caller } | { ok: false; kind: 'invalid'; message: string } | { ok: false; kind: 'keys'; message: string };

const ACCEPTED_AUDIENCES = new Set([GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, GRAPH_APP_ID]);

const MESSAGES = {
  empty: 'Access token is empty.',
  noDots:
    "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. " +
    "(JWS): 'EncodedHeader.EncodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey." +
    "EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
  unparsable: 'CompactToken parsing failed with error code: 80049217',
  signature: 'Signature is invalid.',
  expired: 'Lifetime validation failed, the token is expired.',
  notYetValid: 'Access token has expired or is not yet valid.',
  audience: 'Access token validation failure. Invalid audience.',
  issuer: 'Access token validation failure. Invalid issuer.',
} as const;

const invalid = (message: string): AuthResult => ({ ok: false, kind: 'invalid', message });

export class TokenVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  /** `ca` lets the verifier trust the sandbox Entra even in a process started without NODE_EXTRA_CA_CERTS. */
  constructor(entraUrl: string, ca: string) {
    this.keys = createRemoteJWKSet(new URL(`${entraUrl.replace(/\/$/, '')}/common/discovery/v2.0/keys`), {
      agent: new https.Agent({ ca }),
    });
  }

  async verify(authorization: string | undefined): Promise<AuthResult> {
    const match = /^Bearer\s+(.*)$/i.exec(authorization?.trim() ?? '');
    const token = match?.[1]?.trim() ?? '';
    if (!token) return invalid(MESSAGES.empty);
    if (!token.includes('.')) return invalid(MESSAGES.noDots);
    try {
      decodeProtectedHeader(token);
    } catch {
      return invalid(MESSAGES.unparsable);
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { algorithms: ['RS256'] }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) return invalid(MESSAGES.expired);
      if (err instanceof errors.JWTClaimValidationFailed) return invalid(MESSAGES.notYetValid);
      if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
        return invalid(MESSAGES.signature);
      }
      if (err instanceof errors.JOSEError && !(err instanceof errors.JWKSTimeout) && !(err instanceof errors.JWKSInvalid)) {
        return invalid(MESSAGES.unparsable);
      }
      return { ok: false, kind: 'keys', message: `could not load Entra's signing keys: ${String(err)}` };
    }
    return checkClaims(payload);
  }
}

function checkClaims(payload: JWTPayload): AuthResult {
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.some((aud) => aud !== undefined && ACCEPTED_AUDIENCES.has(aud))) return invalid(MESSAGES.audience);
  const tid = typeof payload.tid === 'string' ? payload.tid : undefined;
  if (!tid || payload.iss !== `https://sts.windows.net/${tid}/`) return invalid(MESSAGES.issuer);

  const scp = typeof payload.scp === 'string' ? payload.scp : '';
  const text = (name: string): string | undefined => (typeof payload[name] === 'string' ? (payload[name] as string) : undefined);
  return {
    ok: true,
    caller: {
      oid: text('oid'),
      tid,
      appId: text('appid') ?? text('azp'),
      upn: text('upn'),
      scopes: scp.split(' ').filter(Boolean),
      appOnly: scp === '',
    },
  };
}
