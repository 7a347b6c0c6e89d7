/**
 * Graph's error bodies, word for word where public material shows them.
 *
 * Every error is `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
 * with `Content-Type: application/json`. Two layers answer:
 * - the Graph gateway (auth, unknown segments, unreadable JSON) with plain messages;
 * - Intune behind it, whose 403/404/500 messages are a JSON document serialised into the `message`
 *   string (`{"_version": 3, "Message": "… - Operation ID … - Activity ID … - Url: https://fef…", …}`,
 *   seen in e.g. jseerden/IntuneBackupAndRestore#55 and microsoft/Intune-ACSC-Windows-Hardening-Guidelines#14),
 *   and whose OData model errors use code `ModelValidationFailure` with the message repeated in
 *   `innerError.message` (microsoft/Intune-PowerShell-SDK#98, MSEndpointMgr/IntuneWin32App#136).
 */
import type { GraphResponse, RequestContext } from './response';
import { PLAIN_JSON } from './response';

/** innerError.date: UTC, seconds precision, no zone suffix ("2024-07-07T21:59:24"). */
export const innerErrorDate = (now: Date): string => now.toISOString().slice(0, 19);

export function graphError(
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
  opts: { headers?: Record<string, string>; innerMessage?: string } = {},
): GraphResponse {
  return {
    status,
    headers: { 'Content-Type': PLAIN_JSON, 'Cache-Control': 'no-cache', ...opts.headers },
    body: {
      error: {
        code,
        message,
        innerError: {
          ...(opts.innerMessage !== undefined ? { message: opts.innerMessage } : {}),
          date: innerErrorDate(ctx.now),
          'request-id': ctx.requestId,
          'client-request-id': ctx.clientRequestId,
        },
      },
    },
  };
}

// ---- gateway ---------------------------------------------------------------------------------

/**
 * 401s carry Graph's WWW-Authenticate challenge (seen on real 401s, e.g. microsofthackathons/tdi#24).
 * Messages in use: "Access token is empty.", "Lifetime validation failed, the token is expired.",
 * "Access token validation failure. Invalid audience.", "Signature is invalid.", "IDX14100: …".
 */
export function invalidToken(ctx: RequestContext, message: string): GraphResponse {
  return graphError(ctx, 401, 'InvalidAuthenticationToken', message, {
    headers: {
      'WWW-Authenticate':
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", ' +
        'client_id="00000003-0000-0000-c000-000000000000"',
    },
  });
}

/** An unknown path segment under a valid version: 400, e.g. "Resource not found for the segment 'managedAppPolicies'." */
export const segmentNotFound = (ctx: RequestContext, segment: string): GraphResponse =>
  graphError(ctx, 400, 'BadRequest', `Resource not found for the segment '${segment}'.`);

/** A first segment that is not a version: 404 "Invalid version: devicemanagement" (jseerden/IntuneBackupAndRestore#82). */
export const invalidVersion = (ctx: RequestContext, segment: string): GraphResponse =>
  graphError(ctx, 404, 'ResourceNotFound', `Invalid version: ${segment}`);

/** Malformed JSON, or a body without a JSON Content-Type (microsoftgraph/microsoft-graph-docs-contrib#6337). */
export const unreadableJson = (ctx: RequestContext): GraphResponse =>
  graphError(ctx, 400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');

export const emptyPayload = (ctx: RequestContext): GraphResponse =>
  graphError(ctx, 400, 'BadRequest', 'Empty Payload. JSON content expected.');

/**
 * 429, body as the throttling page's sample (fixtures/teams/graph-error-429.json) plus the
 * client-request-id every current innerError carries.
 */
export function tooManyRequests(ctx: RequestContext, retryAfterSeconds: number): GraphResponse {
  return {
    status: 429,
    headers: { 'Content-Type': PLAIN_JSON, 'Retry-After': String(retryAfterSeconds), 'Cache-Control': 'no-cache' },
    body: {
      error: {
        code: 'TooManyRequests',
        innerError: {
          code: '429',
          date: innerErrorDate(ctx.now),
          message: 'Please retry after',
          'request-id': ctx.requestId,
          status: '429',
          'client-request-id': ctx.clientRequestId,
        },
        message: 'Please retry again later.',
      },
    },
  };
}

/**
 * Intune's own 429 (fixtures/real-cloud/intune-429-no-retry-after.json): code TooManyRequests,
 * Intune's JSON document inside `message`, and often no Retry-After header (`retryAfterSeconds`
 * undefined). Intune's request limits are per app per tenant (throttle.ts).
 */
export function intuneTooManyRequests(ctx: RequestContext, odataPath: string, retryAfterSeconds: number | undefined): GraphResponse {
  const response = intuneError(ctx, 429, 'TooManyRequests', 'An error has occurred', odataPath);
  if (retryAfterSeconds !== undefined) response.headers['Retry-After'] = String(retryAfterSeconds);
  return response;
}

export const serviceUnavailable = (ctx: RequestContext): GraphResponse =>
  graphError(ctx, 503, 'serviceNotAvailable', 'The service is temporarily unavailable. Please retry the request later.');

export const gatewayTimeout = (ctx: RequestContext): GraphResponse =>
  graphError(ctx, 504, 'UnknownError', 'The gateway did not receive a timely response from the upstream service.');

// ---- Intune ----------------------------------------------------------------------------------

/** Where Intune's enrollment front end says it is (the `Url:` part of its messages). */
const INTUNE_FE = 'https://fef.msub05.manage.microsoft.com/DeviceEnrollmentFE_2311/StatelessDeviceEnrollmentFEService';
const INTUNE_API_VERSION = '5023-10-14';

/** `/deviceManagement/x('id')/y` → Intune's absolute, percent-encoded URL as its messages print it. */
export function intuneUrl(odataPath: string): string {
  const encoded = odataPath.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/'/g, '%27');
  return `${INTUNE_FE}${encoded}?api-version=${INTUNE_API_VERSION}`;
}

/** Intune's route path, as its "No method match route template" message prints it. */
export const intuneRoutePath = (odataPath: string): string =>
  `/DeviceEnrollmentFE_2311/StatelessDeviceEnrollmentFEService${odataPath}`;

/** Intune's message format: a JSON document (CRLF, two-space indent) inside the message string. */
export function intuneMessage(ctx: RequestContext, text: string, odataPath: string): string {
  const doc = {
    _version: 3,
    Message:
      `${text} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - ` +
      `Activity ID: ${ctx.clientRequestId} - Url: ${intuneUrl(odataPath)}`,
    CustomApiErrorPhrase: '',
    RetryAfter: null,
    ErrorSourceService: '',
    HttpHeaders: '{}',
  };
  return JSON.stringify(doc, null, 2).replace(/\n/g, '\r\n');
}

export function intuneError(ctx: RequestContext, status: number, code: string, text: string, odataPath: string): GraphResponse {
  return graphError(ctx, status, code, intuneMessage(ctx, text, odataPath));
}

/** Missing delegated scope, or an app-only token. */
export const intuneForbidden = (ctx: RequestContext, scopes: readonly string[], odataPath: string): GraphResponse =>
  intuneError(
    ctx,
    403,
    'Forbidden',
    `Application is not authorized to perform this operation. Application must have one of the following scopes: ${scopes.join(', ')}`,
    odataPath,
  );

/** Unknown id (code ResourceNotFound, generic text: nicolonsky/ModernWorkplaceConcierge#73). */
export const intuneNotFound = (ctx: RequestContext, odataPath: string): GraphResponse =>
  intuneError(ctx, 404, 'ResourceNotFound', 'An error has occurred', odataPath);

export const intuneInternalError = (ctx: RequestContext, odataPath: string): GraphResponse =>
  intuneError(ctx, 500, 'InternalServerError', 'An internal server error has occurred', odataPath);

/** OData deserialisation and model errors. */
export const modelValidation = (ctx: RequestContext, message: string): GraphResponse =>
  graphError(ctx, 400, 'ModelValidationFailure', message, { innerMessage: message });

/**
 * A verb the resource does not support (400, microsoftgraph/microsoft-graph-docs-contrib#98 and #7499):
 * "No OData route exists that match template ~/singleton/navigation with http verb POST for request /DeviceEnrollmentFE…".
 */
export const noMethodRoute = (ctx: RequestContext, template: string, method: string, odataPath: string): GraphResponse =>
  graphError(
    ctx,
    400,
    'No method match route template',
    `No OData route exists that match template ${template} with http verb ${method} for request ${intuneRoutePath(odataPath)}.`,
  );
