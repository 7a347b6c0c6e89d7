/**
 * Entra's error responses, in the shape login.microsoftonline.com sends them.
 *
 * Shape: MicrosoftDocs "Microsoft identity platform and OAuth 2.0 On-Behalf-Of flow", "Error
 * response example" (../shared/fixtures/teams/entra-error-interaction-required.json):
 * `error`, `error_description` ("AADSTSnnn: text\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …"),
 * `error_codes`, `timestamp`, `trace_id`, `correlation_id`, plus `error_uri` and, where Entra adds
 * them, `suberror` and `claims`. Message texts are the ones Entra returns, as quoted in public
 * issue threads (cited per code below).
 */
import crypto from 'node:crypto';

export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
  claims?: string;
}

export class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly text: string,
    readonly extra: { suberror?: string; claims?: string } = {},
  ) {
    super(`AADSTS${code}: ${text}`);
  }
}

/** Entra's timestamp format: `2017-05-01 22:43:20Z`. */
export function entraTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export interface RequestIds {
  traceId: string;
  /** Entra echoes the client's `client-request-id` as the correlation id. */
  correlationId: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function requestIds(clientRequestId: string | string[] | undefined): RequestIds {
  const echoed = typeof clientRequestId === 'string' && GUID.test(clientRequestId) ? clientRequestId : undefined;
  return { traceId: crypto.randomUUID(), correlationId: echoed ?? crypto.randomUUID() };
}

export function errorBody(err: EntraError, ids: RequestIds, authorityHost: string, now = new Date()): EntraErrorBody {
  const timestamp = entraTimestamp(now);
  return {
    error: err.error,
    error_description:
      `AADSTS${err.code}: ${err.text}\r\nTrace ID: ${ids.traceId}\r\nCorrelation ID: ${ids.correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: ids.traceId,
    correlation_id: ids.correlationId,
    error_uri: `${authorityHost}/error?code=${err.code}`,
    ...(err.extra.suberror ? { suberror: err.extra.suberror } : {}),
    ...(err.extra.claims ? { claims: err.extra.claims } : {}),
  };
}

/** The AADSTS errors the stand-in answers, by what went wrong. */
export const AADSTS = {
  /** Discovery answers `invalid_tenant`, the token endpoint `invalid_request` (both seen in SDK recordings). */
  tenantNotFound: (tenant: string, onDiscovery: boolean) =>
    new EntraError(400, onDiscovery ? 'invalid_tenant' : 'invalid_request', 90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
      'Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.'),

  missingParameter: (name: string) =>
    new EntraError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),

  postOnly: (method: string) =>
    new EntraError(400, 'invalid_request', 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${method} request.`),

  unsupportedGrant: (grant: string) =>
    new EntraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`),

  /** The sandbox never issues authorization codes, device codes or usable refresh tokens. */
  grantNotRedeemable: () =>
    new EntraError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'),

  /** Entra answers 400 `unauthorized_client` for an unknown app (not 401). */
  appNotFound: (clientId: string, directory: string) =>
    new EntraError(400, 'unauthorized_client', 700016,
      `Application with identifier '${clientId}' was not found in the directory '${directory}'. This can happen if the ` +
      'application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ' +
      'You may have sent your authentication request to the wrong tenant.'),

  missingClientSecret: () =>
    new EntraError(401, 'invalid_client', 7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),

  invalidClientSecret: (clientId: string) =>
    new EntraError(401, 'invalid_client', 7000215,
      'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, ' +
      `not the client secret ID, for a secret added to app '${clientId}'.`),

  /** The sandbox apps have no certificate credentials, so any client assertion fails. */
  clientAssertionKeyNotFound: () =>
    new EntraError(401, 'invalid_client', 700027,
      'Client assertion failed signature validation. [Reason - The key was not found.]'),

  malformedAssertion: () => new EntraError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.'),

  signatureKeyNotFound: (thumbprint: string) =>
    new EntraError(400, 'invalid_grant', 50013,
      `Assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}']`),

  signatureMismatch: () =>
    new EntraError(400, 'invalid_grant', 50013,
      'Assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]'),

  /** Not quoted anywhere public for an untrusted issuer; Entra reports it under the same 50013 family. */
  untrustedIssuer: (issuer: string) =>
    new EntraError(400, 'invalid_grant', 50013, `Assertion failed signature validation. [Reason - The issuer '${issuer}' is not trusted.]`),

  assertionTimeRange: (now: Date, exp: Date) =>
    new EntraError(400, 'invalid_grant', 500133,
      'Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user ' +
      `assertion, or request a new token. Current time: ${now.toISOString()}, expiry time of assertion ${exp.toISOString()}.`),

  /** AzureAD/microsoft-authentication-library-for-java#38 quotes this text verbatim. */
  assertionAudience: (audience: string, app: { clientId: string; displayName: string; expected: string }) =>
    new EntraError(400, 'invalid_grant', 500131,
      `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${audience}' ` +
      `and the expected audience is '${app.expected}' or one of the Application Uris of this application with App ID ` +
      `'${app.clientId}'(${app.displayName}). The downstream client must request a token for the expected audience (the ` +
      'application that made the OBO request) and this application should use that token as the assertion.'),

  userNotInTenant: (upn: string, issuer: string, tenantName: string, app: { clientId: string; displayName: string }) =>
    new EntraError(400, 'invalid_grant', 50020,
      `User account '${upn}' from identity provider '${issuer}' does not exist in tenant '${tenantName}' and cannot access ` +
      `the application '${app.clientId}'(${app.displayName}) in that tenant. The account needs to be added as an external ` +
      'user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.'),

  userNotFound: (tid: string) =>
    new EntraError(400, 'invalid_grant', 50034,
      `The user account {EUII Hidden} does not exist in the ${tid} directory. To sign into this application, the account must be added to the directory.`),

  personalAccount: (upn: string) =>
    new EntraError(400, 'invalid_grant', 500200,
      `User account '${upn}' is a personal Microsoft account. Personal Microsoft accounts are not supported for this ` +
      'application unless explicitly invited to an organization. Try signing out and signing back in with an organizational account.'),

  /** microsoftgraph/microsoft-graph-docs-contrib#3462 shows the whole body, with suberror consent_required. */
  consentRequired: (app: { clientId: string; displayName: string }) =>
    new EntraError(400, 'invalid_grant', 65001,
      `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. ` +
      'Send an interactive authorization request for this user and resource.',
      { suberror: 'consent_required' }),

  invalidScope: (scope: string, why = 'is not valid') =>
    new EntraError(400, 'invalid_scope', 70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} ${why}.`),

  multipleResources: (scope: string) =>
    new EntraError(400, 'invalid_scope', 28000,
      `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`),

  clientCredentialsScope: (scope: string) =>
    new EntraError(400, 'invalid_scope', 1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default ` +
      'suffixed to the resource identifier (application ID URI).'),

  resourceNotFound: (resource: string, tenantName: string) =>
    new EntraError(400, 'invalid_resource', 500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenantName}. This can happen if the ` +
      'application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ' +
      'You might have sent your authentication request to the wrong tenant.'),

  noTenantInformation: () =>
    new EntraError(400, 'invalid_request', 50059,
      'No tenant-identifying information found in either the request or implied by any provided credentials.'),
} as const;
