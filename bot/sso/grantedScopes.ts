/**
 * Which Graph scopes Entra grants the bot for a user, as the token endpoint itself reports them
 * (the OBO response's `scope`, which MSAL returns as `scopes`). @azure/identity's AccessToken does
 * not expose scopes, and the Graph access token is opaque to clients: never decode it.
 *
 * One extra on-behalf-of exchange, skipping MSAL's cache so the answer is Entra's of now; used by
 * `diag` only.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { isMicrosoftAuthority } from './credentials';

export interface GrantedScopesOptions {
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  /** The SSO token's tenant: OBO runs there. */
  tenantId: string;
  /** The user's validated SSO token. */
  assertion: string;
  /** e.g. https://graph.microsoft.com/.default */
  scope: string;
}

export async function grantedScopes(opts: GrantedScopesOptions): Promise<string[]> {
  const authority = new URL(opts.authorityHost);
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      authority: `${authority.origin}/${encodeURIComponent(opts.tenantId)}`,
      // Instance discovery only knows Microsoft's clouds.
      ...(isMicrosoftAuthority(opts.authorityHost) ? {} : { knownAuthorities: [authority.host] }),
    },
  });
  const result = await app.acquireTokenOnBehalfOf({ oboAssertion: opts.assertion, scopes: [opts.scope], skipCache: true });
  return result?.scopes ?? [];
}
