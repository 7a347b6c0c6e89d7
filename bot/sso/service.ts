/**
 * Teams SSO, both documented paths, on top of token validation and per-user OBO credentials.
 *
 * - Message level (personal and group chats): an OAuthCard with tokenExchangeResource; Teams
 *   answers with `signin/tokenExchange`.
 * - Card level (Universal Actions, every scope, the only one in channels): an
 *   `adaptiveCard/action` without a credential is answered 401 loginRequest; Teams re-sends it
 *   with `value.authentication`.
 * Either way the token is validated, then exchanged on-behalf-of right away, so a consent
 * problem surfaces while Teams can still fall back to its sign-in button (412).
 */
import type { TokenCredential } from '@azure/identity';
import { CardFactory, type AdaptiveCardInvokeResponse, type Attachment } from 'botbuilder';
import { BotError } from '../errors';
import { toBotError } from '../graph/uploads';
import type { UserCredentials } from './credentials';
import type { SsoTokenValidator, ValidatedSsoToken } from './validate';

/** Teams echoes this back; we run no Bot Framework token service connection. */
export const SSO_CONNECTION_NAME = 'AutopilotUploadsSso';

export interface SsoOptions {
  appIdUri: string;
  clientId: string;
  authorityHost: string;
  graphScope: string;
}

export class SsoService {
  constructor(
    private readonly validator: SsoTokenValidator,
    private readonly credentials: UserCredentials,
    private readonly options: SsoOptions,
  ) {}

  credentialFor(user: { oid: string; tid: string }): TokenCredential | undefined {
    return this.credentials.get(user);
  }

  /**
   * Validates an SSO token and performs the OBO exchange now. Throws a BotError:
   * sso_token_invalid, personal_account, tenant_not_allowed, consent_required, sign_in_failed, unavailable.
   */
  async accept(token: unknown, expectedUser?: { oid?: string }): Promise<{ sso: ValidatedSsoToken; credential: TokenCredential }> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) {
      throw new BotError('sso_token_invalid', 'The sign-in token from Teams was rejected: it is missing or malformed.');
    }
    const sso = await this.validator.validate(token);
    if (expectedUser?.oid && expectedUser.oid !== sso.user.oid) {
      // A token for someone other than the person acting: never bind it to this turn.
      throw new BotError('sso_token_invalid', 'The sign-in token from Teams was rejected: it belongs to a different user.');
    }
    const credential = this.credentials.remember(sso);
    try {
      await credential.getToken(this.options.graphScope);
    } catch (err) {
      this.credentials.forget(sso.user);
      throw toBotError(err);
    }
    return { sso, credential };
  }

  forget(user: { oid: string; tid: string }): boolean {
    return this.credentials.forget(user);
  }

  /** The validated SSO token behind the user's credential, for `diag` (tenant, scopes, expiry; never shown or logged). */
  signedIn(user: { oid: string; tid: string }): ValidatedSsoToken | undefined {
    return this.credentials.validated(user);
  }

  /** Message-level SSO prompt: Teams exchanges silently; the button is the fallback. */
  oauthCard(exchangeId: string, tid: string): Attachment {
    return CardFactory.oauthCard(
      SSO_CONNECTION_NAME,
      'Sign in',
      'Sign in so the bot can read and change Autopilot uploads as you.',
      this.consentUrl(tid),
      { id: exchangeId, uri: this.options.appIdUri, providerId: '' },
    );
  }

  /** Card-level SSO: answer an Action.Execute invoke with 401 so Teams fetches the token. */
  loginRequest(exchangeId: string, tid: string): AdaptiveCardInvokeResponse {
    return {
      statusCode: 401,
      type: 'application/vnd.microsoft.activity.loginRequest',
      value: {
        text: 'Sign in to continue',
        connectionName: SSO_CONNECTION_NAME,
        tokenExchangeResource: { id: exchangeId, uri: this.options.appIdUri, providerId: '' },
        buttons: [{ type: 'signin', title: 'Sign in', value: this.consentUrl(tid) }],
      },
    } as unknown as AdaptiveCardInvokeResponse;
  }

  /** What Teams needs to fall back to its sign-in button after a failed card-level exchange. */
  preconditionFailed(message: string): AdaptiveCardInvokeResponse {
    return {
      statusCode: 412,
      type: 'application/vnd.microsoft.error.preconditionFailed',
      value: { code: '412', message },
    } as unknown as AdaptiveCardInvokeResponse;
  }

  /**
   * The sign-in button's target when silent SSO cannot work (consent missing): the tenant's
   * admin-consent page for this app — the bot's users are Intune administrators.
   */
  private consentUrl(tid: string): string {
    const url = new URL(`${this.options.authorityHost}/${encodeURIComponent(tid || 'organizations')}/adminconsent`);
    url.searchParams.set('client_id', this.options.clientId);
    return url.toString();
  }
}
