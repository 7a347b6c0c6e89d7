/**
 * Checks the bearer token the bot puts on its Connector calls, as the Bot Connector does
 * ("Authenticate requests from your bot to the Bot Connector service"): an Entra ID token for
 * resource https://api.botframework.com, signed by an Entra key, issued to the bot's app id,
 * not expired. Anything else is 401.
 */
import { createLocalJWKSet, jwtVerify, errors as joseErrors, type JSONWebKeySet, type JWTPayload } from 'jose';
import { httpCall } from './httpClient';

export const BOT_FRAMEWORK_AUDIENCE = 'https://api.botframework.com';

const V1_ISSUER = /^https:\/\/sts\.windows\.net\/[0-9a-f-]{36}\/$/;
const V2_ISSUER = /^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0$/;

export class BotTokenRejected extends Error {}

export class BotTokenValidator {
  private keys?: ReturnType<typeof createLocalJWKSet>;
  private fetchedAt = 0;

  constructor(
    private readonly jwksUrl: string,
    private readonly botAppId: string,
    private readonly ca?: string,
  ) {}

  /** Returns the token's claims, or throws BotTokenRejected saying why. */
  async validate(authorization: string | undefined): Promise<JWTPayload> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw new BotTokenRejected('no bearer token');
    const token = match[1];
    let payload: JWTPayload;
    try {
      payload = (await this.verify(token)).payload;
    } catch (err) {
      if (err instanceof joseErrors.JWKSNoMatchingKey && Date.now() - this.fetchedAt > 5_000) {
        // Entra rotated (or the stand-in restarted): refetch once, as a relying party would.
        this.keys = undefined;
        try {
          payload = (await this.verify(token)).payload;
        } catch (again) {
          throw new BotTokenRejected(`signature: ${(again as Error).message}`);
        }
      } else {
        throw new BotTokenRejected(`token: ${(err as Error).message}`);
      }
    }
    const iss = String(payload.iss ?? '');
    if (!V1_ISSUER.test(iss) && !V2_ISSUER.test(iss)) throw new BotTokenRejected(`issuer ${iss} is not Entra ID`);
    const appId = (payload.appid ?? payload.azp) as string | undefined;
    if (appId !== this.botAppId) throw new BotTokenRejected(`token was issued to ${appId}, not to this bot`);
    return payload;
  }

  private async verify(token: string) {
    const keys = await this.keySet();
    return jwtVerify(token, keys, {
      algorithms: ['RS256'],
      audience: BOT_FRAMEWORK_AUDIENCE,
      clockTolerance: 300,
      requiredClaims: ['exp', 'iss', 'aud'],
    });
  }

  private async keySet(): Promise<ReturnType<typeof createLocalJWKSet>> {
    if (!this.keys) {
      const answer = await httpCall(this.jwksUrl, { ca: this.ca, timeoutMs: 10_000 });
      if (answer.status !== 200) throw new Error(`Entra JWKS answered ${answer.status}`);
      this.keys = createLocalJWKSet(answer.json as JSONWebKeySet);
      this.fetchedAt = Date.now();
    }
    return this.keys;
  }
}
