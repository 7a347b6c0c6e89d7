/**
 * The client credentials grant (Microsoft identity platform "OAuth 2.0 client credentials flow"),
 * as botbuilder uses it for its channel token: `scope=https://api.botframework.com/.default` at
 * tenant `botframework.com` (multi-tenant bots) or the bot's own tenant (single-tenant bots).
 *
 * The answer is what Entra sends for this grant: token_type, expires_in, ext_expires_in,
 * access_token (no scope, no refresh token). The token is app-only, v1 shape: `idtyp` app, no
 * `scp`, and no `roles` because the sandbox apps hold no application permissions.
 */
import { BOT_FRAMEWORK_RESOURCE, GRAPH_RESOURCE } from '../directory';
import type { RegisteredApp } from './apps';
import { AADSTS } from './errors';
import type { KeySet } from './keys';
import { DEFAULT_SCOPE, parseScopes } from './scopes';
import type { TokenStats } from './state';
import { type ResolvedTenant, concreteDirectory } from './tenants';
import { ACCESS_TOKEN_LIFETIME_SECONDS, appOnlyClaims, signJwt } from './tokens';

export interface ClientCredentialsDeps {
  keys: KeySet;
  stats: TokenStats;
  v1IssuerBase?: string;
}

/** Resources with a service principal in every sandbox directory. */
const APP_ONLY_RESOURCES = [BOT_FRAMEWORK_RESOURCE, GRAPH_RESOURCE];

export async function clientCredentials(
  req: { form: URLSearchParams; tenant: ResolvedTenant; app: RegisteredApp },
  deps: ClientCredentialsDeps,
): Promise<Record<string, unknown>> {
  const rawScope = req.form.get('scope');
  if (!rawScope) throw AADSTS.missingParameter('scope');
  const directory = concreteDirectory(req.tenant);
  // An app-only token needs a tenant: /common and /organizations cannot say which.
  if (!directory) throw AADSTS.noTenantInformation();

  const scopes = parseScopes(rawScope);
  if (scopes.oidc.size > 0 || scopes.names.length !== 1 || scopes.names[0] !== DEFAULT_SCOPE || !scopes.resource) {
    throw AADSTS.clientCredentialsScope(rawScope);
  }
  const resource = APP_ONLY_RESOURCES.find((r) => r.toLowerCase() === scopes.resource?.toLowerCase());
  if (!resource) throw AADSTS.resourceNotFound(scopes.resource, directory.name);

  const accessToken = await signJwt(
    appOnlyClaims({ app: req.app, tid: directory.id, audience: resource, expiresInSeconds: ACCESS_TOKEN_LIFETIME_SECONDS, v1IssuerBase: deps.v1IssuerBase }),
    deps.keys.active,
    '1.0',
  );
  deps.stats.clientCredentialsSucceeded();
  return {
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    ext_expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    access_token: accessToken,
  };
}
