/**
 * The Entra ID and Graph stand-ins for integration tests, on free ports, plus the bot pieces wired
 * to them the way bot/services.ts wires them to the real services (SSO validation, per-user OBO
 * credentials, the uploads client).
 */
import type { TokenCredential } from '@azure/identity';
import { ensureCerts, type SandboxCerts } from '../../sandbox/certs';
import { SSO_APP, TENANTS, USERS, type UserKey } from '../../sandbox/directory';
import { startEntra, type EntraStandIn, type SsoTokenOptions } from '../../sandbox/entra';
import { startGraph, type GraphStandIn } from '../../sandbox/graph';
import { UserCredentials } from '../../bot/sso/credentials';
import { SsoTokenValidator, type SsoValidatorOptions } from '../../bot/sso/validate';
import { UploadsClient, type GraphOptions } from '../../bot/graph/uploads';

export interface StandIns {
  certs: SandboxCerts;
  entra: EntraStandIn;
  graph: GraphStandIn;
  close(): Promise<void>;
}

/** Starts Entra, then Graph (which reads Entra's JWKS), both on port 0. */
export async function startStandIns(): Promise<StandIns> {
  const certs = ensureCerts();
  const entra = await startEntra({ certs, port: 0 });
  let graph: GraphStandIn;
  try {
    graph = await startGraph({ certs, entraUrl: entra.url, port: 0 });
  } catch (err) {
    await entra.close();
    throw err;
  }
  return {
    certs,
    entra,
    graph,
    close: async () => {
      await graph.close();
      await entra.close();
    },
  };
}

/** The sandbox's allowed tenants (env/.env.local): Contoso only; Fabrikam exists but is not allowed. */
export const ALLOWED_TENANTS = [TENANTS.contoso.id];

/** The validator as the bot configures it, pointed at `authorityHost`. */
export function ssoValidator(authorityHost: string, overrides: Partial<SsoValidatorOptions> = {}): SsoTokenValidator {
  return new SsoTokenValidator({
    authorityHost,
    clientId: SSO_APP.clientId,
    appIdUri: SSO_APP.appIdUri,
    allowedTenants: ALLOWED_TENANTS,
    ...overrides,
  });
}

export function userCredentials(authorityHost: string, now?: () => number): UserCredentials {
  return new UserCredentials({ clientId: SSO_APP.clientId, clientSecret: SSO_APP.clientSecret, authorityHost }, now);
}

/** Generous enough for one Retry-After: 1 plus OBO; tests of the timeout pass their own. */
export const DEFAULT_GRAPH_OPTIONS: Omit<GraphOptions, 'baseUrl'> = { apiVersion: 'v1.0', timeoutMs: 10_000 };

export function uploadsClient(credential: TokenCredential, baseUrl: string, options: Partial<GraphOptions> = {}): UploadsClient {
  return new UploadsClient(credential, { ...DEFAULT_GRAPH_OPTIONS, baseUrl, ...options });
}

/**
 * What a Teams turn does before any Graph call: the user's SSO token from Entra, validated, then
 * the user's OBO credential (no token requested yet: the first Graph call does that).
 */
export async function signIn(
  s: Pick<StandIns, 'entra'>,
  credentials: UserCredentials,
  user: UserKey,
  tokenOptions?: SsoTokenOptions,
): Promise<{ credential: TokenCredential; ssoToken: string; oid: string }> {
  const ssoToken = await s.entra.mintSsoToken(user, tokenOptions);
  const sso = await ssoValidator(s.entra.url).validate(ssoToken);
  return { credential: credentials.remember(sso), ssoToken, oid: USERS[user].oid };
}

/** Polls until `condition` holds, for synchronisation only (never to assert speed). */
export async function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
