/**
 * A local certificate authority and one server certificate for 127.0.0.1 / localhost.
 *
 * The stand-ins speak HTTPS because the real services do and because @azure/identity refuses
 * an http authority. Node reads NODE_EXTRA_CA_CERTS once, at process start, so the files must
 * exist before any process that trusts them starts: the launcher and `npm test` run
 * `node dist/sandbox/certs.js` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

export interface SandboxCerts {
  dir: string;
  caPath: string;
  ca: string;
  cert: string;
  key: string;
}


/** The repo's `.sandbox/certs`, whether running from sources or from `dist/`. */
export function certDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.join(dir, '.sandbox', 'certs');
}

function makeCert(
  subject: forge.pki.CertificateField[],
  issuer: forge.pki.CertificateField[],
  publicKey: forge.pki.PublicKey,
  signingKey: forge.pki.rsa.PrivateKey,
  extensions: object[],
  serial: string,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 825 * 24 * 3600 * 1000);
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  cert.setExtensions(extensions);
  cert.sign(signingKey, forge.md.sha256.create());
  return cert;
}

function generate(dir: string): void {
  const caKeys = forge.pki.rsa.generateKeyPair(2048);
  const caName = [{ name: 'commonName', value: 'Autopilot bot sandbox CA (local only)' }];
  const caCert = makeCert(caName, caName, caKeys.publicKey, caKeys.privateKey, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ], '01');

  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = makeCert([{ name: 'commonName', value: 'localhost' }], caName, keys.publicKey, caKeys.privateKey, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ], '02');

  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'server-key.pem'), forge.pki.privateKeyToPem(keys.privateKey), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'server-cert.pem'), forge.pki.certificateToPem(cert));
  // Written last: its presence means the set is complete.
  fs.writeFileSync(path.join(dir, 'ca.pem'), forge.pki.certificateToPem(caCert));
}

/** Returns the sandbox certificates, generating them on first use. */
export function ensureCerts(dir: string = certDir()): SandboxCerts {
  const caPath = path.join(dir, 'ca.pem');
  if (!fs.existsSync(caPath)) generate(dir);
  return {
    dir,
    caPath,
    ca: fs.readFileSync(caPath, 'utf8'),
    cert: fs.readFileSync(path.join(dir, 'server-cert.pem'), 'utf8'),
    key: fs.readFileSync(path.join(dir, 'server-key.pem'), 'utf8'),
  };
}

if (require.main === module) {
  const { caPath } = ensureCerts();
  process.stdout.write(`${caPath}\n`);
}
