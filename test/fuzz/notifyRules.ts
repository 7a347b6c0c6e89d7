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

/** The README: application/json only, with no charset or charset=utf-8 (a missing Content-Type is a 415 too). */
function isJsonType(t: string): boolean {
  const [type, ...params] = t.split(';');
  if (type!.trim().toLowerCase() !== 'application/json') return false;
  return params.every((p) => {
    const [name = '', value = ''] = p.split('=').map((x) => x.trim().replace(/^"(.*)"$/, '$1').toLowerCase());
    return name !== 'charset' || value === 'utf-8' || value === 'utf8';
  });
}

/** Nesting depth of JSON text (arrays and objects), counted outside strings. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}

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
  if (contentType === undefined || !isJsonType(contentType)) refusals.push(415);
  if (bytes > NOTIFY_LIMIT_BYTES) refusals.push(413);
  let parsed: unknown;
  let ok = false;
  try {
    parsed = JSON.parse(text);
    ok = notifyBodyValid(parsed);
  } catch {
    ok = false;
  }
  if (!ok || jsonDepth(text) > 64) refusals.push(400);
  return refusals.length ? refusals : [202];
}
