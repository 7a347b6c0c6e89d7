/**
 * POST /api/notify: changes made outside Teams (an automation, another tool) announced to the
 * channels that follow changes.
 *
 *   Authorization: Bearer <NOTIFY_API_KEY>
 *   {"uploadId": "<GUID>", "status": "complete", "previousStatus"?: "pending", "actor"?: "Intune sync", "note"?: "…"}
 *   → 202 {"deliveryId": "<GUID>"}
 *
 * The key is checked before the body is read, in constant time; every refusal names what was
 * wrong without echoing secrets. The route exists only when NOTIFY_API_KEY is set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'restify';
import type { NotifyKey } from '../config';
import type { Logger } from '../log';
import { UPLOAD_STATUSES, type UploadStatus } from '../model';
import type { Notifications } from '../notifications';

/** The body is a handful of short fields; anything near this size is not a notification. */
export const NOTIFY_MAX_BODY_BYTES = 8 * 1024;
export const ACTOR_MAX_CHARS = 256;
export const NOTE_MAX_CHARS = 500;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const FIELDS = new Set(['uploadId', 'status', 'previousStatus', 'actor', 'note']);

export interface NotifyRequest {
  uploadId: string;
  status: UploadStatus;
  previousStatus?: UploadStatus;
  actor?: string;
  note?: string;
}

export type NotifyValidation = { ok: true; value: NotifyRequest } | { ok: false; field: string; message: string };

/** Compares `Authorization` with `Bearer <key>` in time independent of where they differ (and of their lengths). */
export function bearerMatches(header: string | undefined, key: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const presented = createHash('sha256').update(match?.[1] ?? '').digest();
  const expected = createHash('sha256').update(key).digest();
  return timingSafeEqual(presented, expected) && match !== null;
}

export function validateNotifyBody(body: unknown): NotifyValidation {
  const bad = (field: string, message: string): NotifyValidation => ({ ok: false, field, message });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('body', 'The body must be a JSON object.');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).find((k) => !FIELDS.has(k));
  if (unknown !== undefined) return bad(unknown, `"${unknown.slice(0, 40)}" is not a field of a notification (allowed: ${[...FIELDS].join(', ')}).`);
  if (typeof b.uploadId !== 'string' || !GUID.test(b.uploadId.trim())) return bad('uploadId', 'uploadId must be the upload\'s id, a GUID.');
  const isStatus = (v: unknown): v is UploadStatus => typeof v === 'string' && (UPLOAD_STATUSES as readonly string[]).includes(v);
  if (!isStatus(b.status)) return bad('status', `status must be one of ${UPLOAD_STATUSES.join(', ')}.`);
  if (b.previousStatus !== undefined && !isStatus(b.previousStatus)) return bad('previousStatus', `previousStatus must be one of ${UPLOAD_STATUSES.join(', ')}.`);
  const text = (field: 'actor' | 'note', max: number): string | undefined | NotifyValidation => {
    const v = b[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '' || v.length > max || CONTROL.test(v)) {
      return bad(field, `${field} must be non-empty text of at most ${max} characters, without control characters.`);
    }
    return v.trim();
  };
  const actor = text('actor', ACTOR_MAX_CHARS);
  if (typeof actor === 'object') return actor;
  const note = text('note', NOTE_MAX_CHARS);
  if (typeof note === 'object') return note;
  return {
    ok: true,
    value: { uploadId: b.uploadId.trim().toLowerCase(), status: b.status, previousStatus: b.previousStatus as UploadStatus | undefined, actor, note },
  };
}

class TooLarge extends Error {}

/** Reads at most `limit` bytes; refuses early on a declared Content-Length over it. */
function readLimited(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new TooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface NotifyDeps {
  keys: NotifyKey[];
  notifications: Notifications;
  log: Logger;
}

/** The key the request presented, if any: every key is compared, so timing does not tell which matched. */
export function presentedKey(header: string | undefined, keys: NotifyKey[]): NotifyKey | undefined {
  let found: NotifyKey | undefined;
  for (const k of keys) if (bearerMatches(header, k.key)) found = k;
  return found;
}

export function notifyHandler({ keys, notifications, log }: NotifyDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const refuse = (status: number, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
      log.info({ route: '/api/notify', status, code, ...extra }, 'notify refused');
      res.send(status, { error: { code, message, ...extra } }, headers);
    };
    const key = presentedKey(req.headers.authorization, keys);
    if (!key) {
      req.resume();
      refuse(401, 'Unauthorized', 'Send Authorization: Bearer <NOTIFY_API_KEY>.', {}, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/(.+\+)?json\b/i.test(type)) {
      req.resume();
      refuse(415, 'UnsupportedMediaType', 'The body must be application/json.');
      return;
    }
    let text: string;
    try {
      text = await readLimited(req, NOTIFY_MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof TooLarge) {
        refuse(413, 'PayloadTooLarge', `The body must be at most ${NOTIFY_MAX_BODY_BYTES} bytes.`);
        return;
      }
      throw err;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      refuse(400, 'InvalidJson', 'The body is not valid JSON.', { field: 'body' });
      return;
    }
    const checked = validateNotifyBody(body);
    if (!checked.ok) {
      refuse(400, 'InvalidField', checked.message, { field: checked.field });
      return;
    }
    const n = checked.value;
    const deliveryId = await notifications.announce({
      tenantId: key.tenantId,
      uploadId: n.uploadId,
      status: n.status,
      previousStatus: n.previousStatus,
      by: n.actor ?? 'a system outside Teams',
      at: Date.now(),
      where: 'outside Teams',
      note: n.note,
      source: 'api',
    });
    res.send(202, { deliveryId });
  };
}
