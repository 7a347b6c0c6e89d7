/**
 * The token-signing keys and the JWKS Entra publishes for them.
 *
 * Real Entra keys are RSA 2048 with a self-signed certificate in `x5c`; `x5t` is the base64url
 * SHA-1 thumbprint of that certificate and `kid` equals `x5t`. One key set serves every tenant.
 * Two keys are published (the active one and the next one, as Entra publishes ahead of a
 * rotation); a third, "unknown" key is never published so tests can forge signatures.
 */
import crypto, { type KeyObject } from 'node:crypto';
import forge from 'node-forge';

export interface PublicJwk {
  kty: 'RSA';
  use: 'sig';
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
  issuer?: string;
}

export interface SigningKey {
  kid: string;
  x5t: string;
  /** Uppercase hex SHA-1 thumbprint, the form Entra quotes in AADSTS50013. */
  thumbprintHex: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

export interface KeySet {
  /** Signs every token the stand-in issues. */
  active: SigningKey;
  /** What the JWKS endpoints publish. */
  published: SigningKey[];
  /** Never published: `signWithUnknownKey`. */
  unknown: SigningKey;
}

function selfSignedCertificate(publicKey: KeyObject, privateKey: KeyObject, serial: string): Buffer {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000);
  // Entra's signing certificates are self-signed with this subject.
  const name = [{ name: 'commonName', value: 'accounts.accesscontrol.windows.net' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: 'subjectKeyIdentifier' }]);
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  cert.sign(forgeKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

function createSigningKey(serial: string): SigningKey {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = selfSignedCertificate(publicKey, privateKey, serial);
  const sha1 = crypto.createHash('sha1').update(der).digest();
  const x5t = sha1.toString('base64url');
  const { n, e } = publicKey.export({ format: 'jwk' });
  return {
    kid: x5t,
    x5t,
    thumbprintHex: sha1.toString('hex').toUpperCase(),
    privateKey,
    publicKey,
    jwk: { kty: 'RSA', use: 'sig', kid: x5t, x5t, n: n as string, e: e as string, x5c: [der.toString('base64')] },
  };
}

export function createKeySet(): KeySet {
  const active = createSigningKey('01');
  const next = createSigningKey('02');
  return { active, published: [active, next], unknown: createSigningKey('03') };
}

/**
 * The JWKS document. The v2 endpoint adds an `issuer` to each key (the tenant's v2 issuer, or the
 * `{tenantid}` template for common/organizations); the v1 endpoint does not.
 */
export function jwksDocument(keys: KeySet, issuer?: string): { keys: PublicJwk[] } {
  return { keys: keys.published.map((k) => ({ ...k.jwk, ...(issuer ? { issuer } : {}) })) };
}

export function findPublishedKey(keys: KeySet, kid: string | undefined): SigningKey | undefined {
  return kid ? keys.published.find((k) => k.kid === kid) : undefined;
}
