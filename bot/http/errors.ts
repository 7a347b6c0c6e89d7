/**
 * Every HTTP refusal the bot answers, coded in one place: the status belongs to the code, so a
 * route cannot answer "PayloadTooLarge" with a 400, and bodies never carry internal messages.
 */

export const HTTP_ERROR_STATUS = {
  /** The body is not valid JSON (or empty). */
  InvalidJson: 400,
  /** The body is not UTF-8. */
  InvalidUtf8: 400,
  /** JSON nested deeper than the reader allows. */
  JsonTooDeep: 400,
  /** A gzip/deflate body that is corrupt or truncated. */
  InvalidContentEncoding: 400,
  /** /api/messages: the JSON is not an activity (an object with a string `type`). */
  NotAnActivity: 400,
  /** /api/messages: the `x-ms-tenant-id` header names another tenant than the activity. */
  TenantMismatch: 400,
  /** /api/notify: a field of the body is wrong (the body names which). */
  InvalidField: 400,
  /** No or wrong credentials (a channel token, a notify key). */
  Unauthorized: 401,
  /** /api/notify: the body names a tenant the presented key does not serve. */
  TenantNotOfKey: 403,
  NotFound: 404,
  PayloadTooLarge: 413,
  /** Not `application/json` (charset utf-8 or none). */
  UnsupportedMediaType: 415,
  /** A `Content-Encoding` other than identity, gzip or deflate (or several stacked). */
  UnsupportedContentEncoding: 415,
  RateLimited: 429,
  InternalError: 500,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERROR_STATUS;

export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: HttpErrorCode,
    /** Safe to show the client: says what was wrong, never how the bot is built. */
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = HTTP_ERROR_STATUS[code];
  }

  /** The JSON body every route answers a refusal with. */
  body(): { error: Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

export const isHttpError = (err: unknown): err is HttpError => err instanceof HttpError;
