/**
 * The Bot Connector's side of connector→bot authentication: the OpenID metadata document, the
 * signing keys (with `endorsements`), and the JWT put on every activity delivered to the bot.
 *
 * Shapes follow "Authenticate requests from the Bot Connector service to your bot"
 * (bot-framework-rest-connector-authentication): metadata at /v1/.well-known/openidconfiguration,
 * issuer https://api.botframework.com, RS256, keys carrying `endorsements` (the channel ids the key
 * may sign for; botbuilder rejects an activity whose channelId the key does not endorse), and the
 * token claims iss / aud (bot app id) / serviceurl / nbf / exp (one hour).
 */
import crypto, { type KeyObject } from 'node:crypto';
import { SignJWT, exportJWK, type JWK } from 'jose';

export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

/** Channel ids the real keys endorse include these (and more); msteams is the one that matters here. */
export const ENDORSEMENTS = ['msteams', 'skype', 'webchat', 'directline', 'emulator'];

/** How an inbound activity's token is made: `valid`, or one specific defect. */
export type ChannelAuth =
  | 'valid'
  | 'none'
  | 'forged'
  | 'expired'
  | 'notYetValid'
  | 'wrongAudience'
  | 'wrongServiceUrl'
  | 'wrongIssuer'
  | 'unknownKey';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function newKey(): SigningKey {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = crypto.randomBytes(20).toString('base64url').slice(0, 27);
  return { kid, privateKey, publicKey };
}

/**
 * Keys are made once per process: botbuilder caches the keys of a metadata URL for 24 h in a
 * static map, so a second stand-in on a reused port must publish the same key or the bot would
 * not find it (and RSA key generation is slow enough to matter when every test starts a stand-in).
 */
const processKeys = new Map<string, SigningKey>();
function sharedKey(role: 'signing' | 'spare' | 'attacker'): SigningKey {
  let key = processKeys.get(role);
  if (!key) {
    key = newKey();
    processKeys.set(role, key);
  }
  return key;
}

export class ChannelSigner {
  private readonly key: SigningKey;
  /** Published but never used to sign: the real endpoint always lists more than one key. */
  private readonly spare: SigningKey;
  /** Never published: signs `forged` (with the real kid) and `unknownKey` tokens. */
  private readonly attacker: SigningKey = sharedKey('attacker');

  constructor(
    readonly baseUrl: string,
    readonly botAppId: string,
    privateKeyPem?: string,
  ) {
    if (privateKeyPem) {
      const privateKey = crypto.createPrivateKey(privateKeyPem);
      const publicKey = crypto.createPublicKey(privateKey);
      const kid = crypto.createHash('sha1').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64url');
      this.key = { kid, privateKey, publicKey };
    } else {
      this.key = sharedKey('signing');
    }
    this.spare = sharedKey('spare');
  }

  get openIdMetadataUrl(): string {
    return `${this.baseUrl}/v1/.well-known/openidconfiguration`;
  }

  get jwksUrl(): string {
    return `${this.baseUrl}/v1/.well-known/keys`;
  }

  openIdMetadata(): Record<string, unknown> {
    // Field for field the document login.botframework.com publishes.
    return {
      issuer: BOT_FRAMEWORK_ISSUER,
      authorization_endpoint: 'https://invalid.botframework.com',
      jwks_uri: this.jwksUrl,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    };
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const publish = async (k: SigningKey): Promise<JWK> => {
      const { n, e } = await exportJWK(k.publicKey);
      return { kty: 'RSA', use: 'sig', kid: k.kid, x5t: k.kid, n, e, endorsements: ENDORSEMENTS } as JWK;
    };
    return { keys: [await publish(this.key), await publish(this.spare)] };
  }

  /** The Authorization header value for delivering an activity with this serviceUrl, or undefined for `none`. */
  async authorizationFor(serviceUrl: string, auth: ChannelAuth = 'valid'): Promise<string | undefined> {
    if (auth === 'none') return undefined;
    const now = Math.floor(Date.now() / 1000);
    let nbf = now;
    let exp = now + 3600;
    let iss = BOT_FRAMEWORK_ISSUER;
    let aud = this.botAppId;
    let serviceurl = serviceUrl;
    let signer = this.key;
    let kid = this.key.kid;
    switch (auth) {
      case 'expired':
        // Beyond the five minutes of clock skew botbuilder tolerates.
        nbf = now - 7200;
        exp = now - 3600;
        break;
      case 'notYetValid':
        nbf = now + 3600;
        exp = now + 7200;
        break;
      case 'wrongAudience':
        aud = crypto.randomUUID();
        break;
      case 'wrongServiceUrl':
        serviceurl = 'https://smba.trafficmanager.net/amer/';
        break;
      case 'wrongIssuer':
        // A real Bot Framework issuer, but the US Government cloud's, not the one the bot trusts.
        iss = 'https://api.botframework.us';
        break;
      case 'forged':
        signer = this.attacker;
        break;
      case 'unknownKey':
        signer = this.attacker;
        kid = this.attacker.kid;
        break;
      case 'valid':
        break;
    }
    const token = await new SignJWT({ serviceurl, nbf, exp, iss, aud })
      .setProtectedHeader({ alg: 'RS256', kid, x5t: kid, typ: 'JWT' })
      .sign(signer.privateKey);
    return `Bearer ${token}`;
  }
}
