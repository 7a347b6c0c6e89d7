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
import { CardFactory, type Attachment } from 'botbuilder';
import type { LoginRequestResource } from '../teams/invokeResponses';
import { BotError } from '../errors';
import { toBotError } from '../graph/uploads';
import { OBO_TIMEOUT_MS, withTimeout } from '../timeouts';
import { START_PATH } from '../signin/pages';
import type { SignInStates } from '../signin/state';
import type { UserCredentials } from './credentials';
import { tenantMismatch, type SsoTokenValidator, type ValidatedSsoToken } from './validate';

/** Teams echoes this back; we run no Bot Framework token service connection. */
export const SSO_CONNECTION_NAME = 'AutopilotUploadsSso';

export interface SsoOptions {
  appIdUri: string;
  clientId: string;
  authorityHost: string;
  graphScope: string;
  /** PUBLIC_URL and the state sealer: the sign-in button opens the bot's own start page. */
  signIn: { publicUrl: string; states: SignInStates };
}

/** Who the sign-in is for: the state binds the button to this person. */
export interface SignInUser {
  oid: string;
  tid: string;
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
   * `expected.tid` is the tenant of the activity the token came with: a token of another tenant is refused.
   */
  async accept(token: unknown, expected: { oid?: string; tid: string }): Promise<{ sso: ValidatedSsoToken; credential: TokenCredential }> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) {
      throw new BotError('sso_token_invalid', 'The sign-in token from Teams was rejected: it is missing or malformed.');
    }
    const sso = await this.validator.validate(token, expected.tid);
    if (sso.user.tid !== expected.tid.toLowerCase()) throw tenantMismatch();
    if (expected.oid && expected.oid !== sso.user.oid) {
      // A token for someone other than the person acting: never bind it to this turn.
      throw new BotError('sso_token_invalid', 'The sign-in token from Teams was rejected: it belongs to a different user.');
    }
    const credential = this.credentials.remember(sso);
    try {
      // Entra that does not answer must not hold the invoke: the signal aborts MSAL's request where
      // it is honoured, the race frees this turn either way (as BotError 'timeout').
      await withTimeout(credential.getToken(this.options.graphScope, { abortSignal: AbortSignal.timeout(OBO_TIMEOUT_MS) }), OBO_TIMEOUT_MS, 'Microsoft Entra ID (on-behalf-of sign-in)');
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
  oauthCard(exchangeId: string, user: SignInUser): Attachment {
    return CardFactory.oauthCard(
      SSO_CONNECTION_NAME,
      'Sign in',
      'Sign in so the bot can read and change Autopilot uploads as you.',
      this.signInUrl(exchangeId, user),
      { id: exchangeId, uri: this.options.appIdUri, providerId: '' },
    );
  }

  /** Card-level SSO: what the 401 loginRequest answer names (teams/invokeResponses.ts builds it). */
  loginResource(exchangeId: string, user: SignInUser): LoginRequestResource {
    return {
      connectionName: SSO_CONNECTION_NAME,
      tokenExchangeResource: { id: exchangeId, uri: this.options.appIdUri, providerId: '' },
      signInUrl: this.signInUrl(exchangeId, user),
    };
  }

  /**
   * The sign-in button's target when silent SSO cannot work (consent missing): the bot's own start
   * page, which sends the person on to the tenant's admin consent page (the bot's users are Intune
   * administrators) and back to the end page, which tells Teams — only then does Teams send
   * signin/verifyState. The state binds the sign-in to this person and this exchange.
   */
  signInUrl(exchangeId: string, user: SignInUser): string {
    const url = new URL(`${this.options.signIn.publicUrl}${START_PATH}`);
    url.searchParams.set('state', this.options.signIn.states.seal('start', { tid: user.tid, oid: user.oid, exchangeId }));
    return url.toString();
  }
}
