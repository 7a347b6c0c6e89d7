/**
 * POST /api/notify: changes made outside Teams (an automation, another tool) announced to the
 * channels that follow changes.
 *
 *   Authorization: Bearer <NOTIFY_API_KEY>
 *   Content-Type: application/json
 *   {"uploadId": "<GUID>", "status": "complete", "previousStatus"?: "pending", "actor"?: "Intune sync", "note"?: "…", "tenantId"?: "<GUID>"}
 *   → 202 {"deliveryId": "<GUID>"}
 *
 * The key is checked before the body is read, in constant time, then its rate; each key serves one
 * tenant, and the announcement goes to that tenant only. Every refusal names what was wrong without
 * echoing secrets. The route exists only when a notify key is configured.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'restify';
import { type Clock, systemClock } from '../clock';
import type { NotifyKey } from '../config';
import type { Logger } from '../log';
import { UPLOAD_STATUSES, type UploadStatus } from '../model';
import type { Notifications } from '../notifications';
import { BodyAborted, readJson } from './body';
import { HttpError, isHttpError } from './errors';
import { SlidingWindowLimiter } from './rateLimit';
import { refuse as answerRefusal } from './reply';
import { GUID } from '../guid';

/** The body is a handful of short fields; anything near this size is not a notification. */
export const NOTIFY_MAX_BODY_BYTES = 8 * 1024;
export const ACTOR_MAX_CHARS = 256;
export const NOTE_MAX_CHARS = 500;

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const FIELDS = new Set(['uploadId', 'status', 'previousStatus', 'actor', 'note', 'tenantId']);

export interface NotifyRequest {
  uploadId: string;
  status: UploadStatus;
  previousStatus?: UploadStatus;
  actor?: string;
  note?: string;
  /** When given, it must be the tenant of the key that presents it. */
  tenantId?: string;
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
  if (b.tenantId !== undefined && (typeof b.tenantId !== 'string' || !GUID.test(b.tenantId.trim()))) return bad('tenantId', 'tenantId must be a tenant id, a GUID.');
  const tenantId = typeof b.tenantId === 'string' ? b.tenantId.trim().toLowerCase() : undefined;
  return {
    ok: true,
    value: { uploadId: b.uploadId.trim().toLowerCase(), status: b.status, previousStatus: b.previousStatus as UploadStatus | undefined, actor, note, tenantId },
  };
}

export interface NotifyDeps {
  keys: NotifyKey[];
  notifications: Notifications;
  log: Logger;
  /** Requests each key may make per minute (config.notify.perKeyPerMinute). */
  perKeyPerMinute: number;
  /** The bot's one clock (services.clock): the rate window and the announcement's time; tests move it instead of waiting a minute. */
  clock?: Clock;
}

/** The key the request presented, if any: every key is compared, so timing does not tell which matched. */
export function presentedKey(header: string | undefined, keys: NotifyKey[]): NotifyKey | undefined {
  let found: NotifyKey | undefined;
  for (const k of keys) if (bearerMatches(header, k.key)) found = k;
  return found;
}

export function notifyHandler({ keys, notifications, log, perKeyPerMinute, clock = systemClock }: NotifyDeps) {
  const limiter = new SlidingWindowLimiter(perKeyPerMinute, 60_000, clock);
  return async (req: Request, res: Response): Promise<void> => {
    const refuse = (err: HttpError) => {
      log.info({ route: '/api/notify', status: err.status, code: err.code, ...err.extra }, 'notify refused');
      answerRefusal(req, res, err);
    };
    const key = presentedKey(req.headers.authorization, keys);
    if (!key) {
      refuse(new HttpError('Unauthorized', 'Send Authorization: Bearer <NOTIFY_API_KEY>.', {}, { 'WWW-Authenticate': 'Bearer' }));
      return;
    }
    const admitted = limiter.take(key.tenantId);
    if (!admitted.ok) {
      refuse(
        new HttpError('RateLimited', `At most ${perKeyPerMinute} notifications per minute per key; retry after ${admitted.retryAfterSeconds} s.`,
          { retryAfterSeconds: admitted.retryAfterSeconds }, { 'Retry-After': String(admitted.retryAfterSeconds) }),
      );
      return;
    }
    let body: unknown;
    try {
      body = await readJson(req, { limit: NOTIFY_MAX_BODY_BYTES });
    } catch (err) {
      if (err instanceof BodyAborted) return;
      if (!isHttpError(err)) throw err;
      refuse(err.code === 'InvalidJson' ? new HttpError('InvalidJson', err.message, { field: 'body' }) : err);
      return;
    }
    const checked = validateNotifyBody(body);
    if (!checked.ok) {
      refuse(new HttpError('InvalidField', checked.message, { field: checked.field }));
      return;
    }
    const n = checked.value;
    if (n.tenantId !== undefined && n.tenantId !== key.tenantId) {
      refuse(new HttpError('TenantNotOfKey', 'tenantId is not the tenant this key serves: each key announces into its own tenant only.', { field: 'tenantId' }));
      return;
    }
    const deliveryId = await notifications.announce({
      tenantId: key.tenantId,
      uploadId: n.uploadId,
      status: n.status,
      previousStatus: n.previousStatus,
      by: n.actor ?? 'a system outside Teams',
      at: clock(),
      where: 'outside Teams',
      note: n.note,
      source: 'api',
    });
    res.send(202, { deliveryId });
  };
}
