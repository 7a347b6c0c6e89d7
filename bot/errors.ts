/**
 * Every failure the bot knows how to explain, coded in one place (as bolt-js does), so callers
 * branch on `code` instead of parsing messages, and cards can say something specific and true.
 */

export type BotErrorCode =
  /** Graph has no upload with that id (404). */
  | 'not_found'
  /** Entra needs the user (or an admin) to consent: AADSTS65001 / interaction_required. */
  | 'consent_required'
  /** Graph refused: the user's token lacks DeviceManagementServiceConfig.ReadWrite.All (403). */
  | 'forbidden'
  /** Graph kept answering 429 after the client's own retries. */
  | 'throttled'
  /** Graph rejected the request body or parameters (400). */
  | 'invalid_request'
  /** Graph or Entra is failing (5xx) or unreachable. */
  | 'unavailable'
  /** No answer within the per-request timeout. */
  | 'timeout'
  /** The SSO token failed validation (signature, audience, issuer, expiry, scope). */
  | 'sso_token_invalid'
  /** A personal Microsoft account: Graph does not support this API for them. */
  | 'personal_account'
  /** The user's tenant is not in ALLOWED_TENANTS. */
  | 'tenant_not_allowed'
  /** Entra refused the on-behalf-of exchange for another reason (bad client secret, expired assertion…). */
  | 'sign_in_failed'
  /**
   * This Graph (host + API version) does not route the resource at all: Graph's own
   * 400 "Resource not found for the segment '…'." naming a segment the bot asked for.
   */
  | 'not_offered';

export class BotError extends Error {
  constructor(
    readonly code: BotErrorCode,
    message: string,
    readonly details: {
      /** Graph's or Entra's own error code (e.g. `ResourceNotFound`, `invalid_grant`). */
      serviceCode?: string;
      /** Graph `request-id` (or Entra trace id) to quote to Microsoft support. */
      requestId?: string;
      httpStatus?: number;
      retryAfterSeconds?: number;
      /** not_offered: the Graph API version, host and path segment Graph said it does not have. */
      apiVersion?: string;
      graphHost?: string;
      segment?: string;
      /** not_offered: the other API version at the same host, and whether the bot has seen it offer the API (undefined = never tried). */
      other?: { apiVersion: string; offered?: boolean };
    } = {},
  ) {
    super(message);
    this.name = 'BotError';
  }
}

export const isBotError = (err: unknown, code?: BotErrorCode): err is BotError =>
  err instanceof BotError && (code === undefined || err.code === code);
