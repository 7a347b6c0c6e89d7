/**
 * Retry-After (RFC 9110 §10.2.3), read the same way for Graph and for the Bot Connector: either
 * delay-seconds or an HTTP-date, relative to an injected "now" so the reading is testable, and
 * bounded so that a hostile or broken header cannot park work for days.
 */

/** Longest wait a Retry-After may ask for unless the caller bounds it tighter. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Milliseconds to wait, or undefined when the value is absent or unreadable. Seconds may carry a
 * fraction (the Graph client's RetryHandler accepts one, and its sleep is what uploads.ts predicts);
 * a date in the past means "now" (0). Only a value with letters is read as a date: `Date.parse`
 * would otherwise take "-5" or "2026" for a year.
 */
export function parseRetryAfter(value: string | null | undefined, now: number, maxMs: number = MAX_RETRY_AFTER_MS): number | undefined {
  if (typeof value !== 'string') return undefined;
  const raw = value.trim();
  if (!raw) return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(raw)) ms = Number(raw) * 1000;
  else if (/[a-z]/i.test(raw)) {
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  } else return undefined;
  if (!Number.isFinite(ms)) return maxMs;
  return Math.min(Math.max(0, Math.round(ms)), maxMs);
}

/** The header's value from a Fetch `Headers`, core-rest-pipeline's `HttpHeaders` or a plain record (any case). */
export function retryAfterHeader(headers: unknown): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => string | null | undefined } & Record<string, unknown>;
  if (typeof h.get === 'function') return h.get('retry-after') ?? undefined;
  const found = Object.entries(h).find(([k]) => k.toLowerCase() === 'retry-after');
  return typeof found?.[1] === 'string' ? found[1] : undefined;
}
