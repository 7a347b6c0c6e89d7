/**
 * What POST /api/notify must answer, written from its contract (README "POST /api/notify" and the
 * rules validateNotifyBody documents) rather than by calling the bot's own validator, so the fuzz
 * compares two readings of the contract instead of the code with itself.
 */
const STATUSES = ['noUpload', 'pending', 'complete', 'error'];
const FIELDS = new Set(['uploadId', 'status', 'previousStatus', 'actor', 'note']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** C0 controls other than tab, LF and CR, and DEL. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
export const NOTIFY_LIMIT_BYTES = 8 * 1024;
const LIMITS = { actor: 256, note: 500 } as const;

/** JSON media types: application/json and application/<anything>+json, with parameters. */
const isJsonType = (t: string) => /^application\/([^\s;/]+\+)?json\s*(;.*)?$/i.test(t);

export function notifyBodyValid(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  if (Object.keys(b).some((k) => !FIELDS.has(k))) return false;
  if (typeof b.uploadId !== 'string' || !GUID.test(b.uploadId.trim())) return false;
  if (typeof b.status !== 'string' || !STATUSES.includes(b.status)) return false;
  if (b.previousStatus !== undefined && (typeof b.previousStatus !== 'string' || !STATUSES.includes(b.previousStatus))) return false;
  for (const field of ['actor', 'note'] as const) {
    const v = b[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.trim() === '' || v.length > LIMITS[field] || CONTROL.test(v)) return false;
  }
  return true;
}

/**
 * The statuses the bot may answer: 202 for a valid notification; otherwise any refusal that
 * applies (415 type, 413 size, 400 JSON or field) — the contract does not fix their order.
 */
export function expectedNotifyStatuses(text: string, bytes: number, contentType: string | undefined): number[] {
  const refusals: number[] = [];
  if (contentType !== undefined && !isJsonType(contentType)) refusals.push(415);
  if (bytes > NOTIFY_LIMIT_BYTES) refusals.push(413);
  let parsed: unknown;
  let ok = false;
  try {
    parsed = JSON.parse(text);
    ok = notifyBodyValid(parsed);
  } catch {
    ok = false;
  }
  if (!ok) refusals.push(400);
  return refusals.length ? refusals : [202];
}
