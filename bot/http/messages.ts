/**
 * POST /api/messages: the facade in front of CloudAdapter. botbuilder keeps every check it makes
 * (the channel token: signature, issuer, audience, serviceurl, endorsements), but its answers are
 * not the client's: it gives 500 for a forged signature with a known key id and writes internal
 * error messages into bodies. Here a request that ran no turn is a 401 with a fixed body, a body
 * that is not an activity a 400, and a real failure after a turn started a bare 500 with a reference.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { CloudAdapter } from 'botbuilder';
import type { Request, Response } from 'restify';
import { type Clock, systemClock } from '../clock';
import { scrub, type Logger } from '../log';
import type { TurnRunner } from '../teams/bot';
import { BodyAborted, readJson } from './body';
import { HttpError, isHttpError } from './errors';
import { refuse, sendJson } from './reply';

/** Teams messages are at most ~100 KB including cards; leave room, refuse the rest. */
export const MAX_BODY_BYTES = 256 * 1024;

type Activity = Record<string, unknown> & { type: string };

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The identities an activity names, when present, are objects whose ids are strings (Bot Framework
 * schema): a number or an object where an id belongs is the client's mistake, refused here rather
 * than met by every handler (found by the fuzz suite: an object `aadObjectId` made turns throw).
 */
function accountsAreWellFormed(activity: Record<string, unknown>): boolean {
  const ids = (v: unknown, keys: string[]): boolean => v === undefined || (isObject(v) && keys.every((k) => v[k] === undefined || typeof v[k] === 'string'));
  // Every activity Teams sends names its conversation (replies and the turn log need it).
  return isObject(activity.conversation) && ids(activity.from, ['id', 'name', 'aadObjectId']) && ids(activity.recipient, ['id', 'name', 'aadObjectId']) && ids(activity.conversation, ['id', 'tenantId', 'conversationType']);
}

/**
 * The Bot Framework schema's string fields that botbuilder and the router read as strings (an
 * invoke's `name` picks its route): an object there cannot even be printed, so a turn would throw.
 */
const STRING_FIELDS = ['id', 'name', 'text', 'replyToId', 'locale', 'channelId', 'serviceUrl', 'textFormat', 'inputHint', 'action'] as const;

/** An activity is a JSON object with a non-empty string `type` and well-formed accounts; anything else is the client's mistake. */
export function asActivity(body: unknown): Activity {
  if (!isObject(body) || text(body.type) === undefined) {
    throw new HttpError('NotAnActivity', 'The body must be a JSON activity: an object with a string "type".');
  }
  if (!accountsAreWellFormed(body)) {
    throw new HttpError('NotAnActivity', 'The activity needs a conversation, and its from, recipient and conversation must be objects with string ids.');
  }
  const wrong = STRING_FIELDS.find((k) => body[k] !== undefined && body[k] !== null && typeof body[k] !== 'string');
  if (wrong) throw new HttpError('NotAnActivity', `The activity's "${wrong}" must be a string.`);
  return body as Activity;
}

/**
 * Teams names the tenant in `x-ms-tenant-id`; when it does, the activity must claim the same tenant
 * (in `channelData.tenant.id` and `conversation.tenantId`, whichever it carries), or the request is
 * not one Teams made.
 */
export function checkTenantHeader(headers: IncomingHttpHeaders, activity: Activity): void {
  const raw = headers['x-ms-tenant-id'];
  const header = text(Array.isArray(raw) ? raw.join(',') : raw)?.toLowerCase();
  if (header === undefined) return;
  const channelData = activity.channelData as { tenant?: { id?: unknown } } | undefined;
  const conversation = activity.conversation as { tenantId?: unknown } | undefined;
  const claimed = [text(channelData?.tenant?.id), text(conversation?.tenantId)].filter((t): t is string => t !== undefined);
  if (claimed.length === 0 || claimed.some((t) => t.toLowerCase() !== header)) {
    throw new HttpError('TenantMismatch', 'The x-ms-tenant-id header does not match the tenant of the activity.');
  }
}

/** What botbuilder answered, held until we know whether a turn ran (botbuilder's Response shape). */
class HeldResponse {
  statusCode = 200;
  body: unknown;
  readonly headers: Record<string, string> = {};
  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  header(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
  send(body: unknown): this {
    this.body = body;
    return this;
  }
  end(): void {}
}

export interface MessagesDeps {
  adapter: CloudAdapter;
  bot: TurnRunner;
  log: Logger;
  /** The bot's one clock (services.clock), for the refusal's duration. */
  clock?: Clock;
}

export function messagesHandler({ adapter, bot, log, clock = systemClock }: MessagesDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const started = clock();
    const refused = (status: number, fields: Record<string, unknown> = {}) =>
      // Turns log themselves; this covers requests answered before one started.
      log.info({ route: '/api/messages', status, durationMs: clock() - started, ...fields }, 'request refused before a turn');

    let activity: Activity;
    try {
      activity = asActivity(await readJson(req, { limit: MAX_BODY_BYTES }));
      checkTenantHeader(req.headers, activity);
    } catch (err) {
      if (err instanceof BodyAborted) return refused(0, { code: 'Aborted' });
      if (!isHttpError(err)) throw err;
      refused(err.status, { code: err.code });
      return refuse(req, res, err);
    }

    let turnRan = false;
    const held = new HeldResponse();
    let thrown: unknown;
    try {
      await adapter.process({ method: 'POST', headers: req.headers, body: activity } as never, held as never, async (context) => {
        turnRan = true;
        await bot.run(context);
      });
    } catch (err) {
      thrown = err;
    }

    if (!turnRan && (thrown !== undefined || held.statusCode >= 400)) {
      // botbuilder's reason stays in the log (scrubbed, short); the client learns only that it was refused.
      const reason = scrub(String((thrown as Error | undefined)?.message ?? held.body ?? '')).slice(0, 200);
      refused(401, { code: 'Unauthorized', botbuilderStatus: thrown === undefined ? held.statusCode : undefined, reason });
      return sendJson(
        res,
        401,
        new HttpError('Unauthorized', 'The request is not signed by the Bot Connector for this bot.').body(),
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    if (thrown !== undefined || held.statusCode >= 500) {
      const correlationId = randomUUID();
      log.error({ err: thrown, botbuilderStatus: held.statusCode, correlationId, activityType: activity.type }, 'request failed after its turn started');
      return sendJson(res, 500, new HttpError('InternalError', 'Internal error', { correlationId }).body());
    }
    // The turn's own answer (an invoke response, or plain 200), exactly as botbuilder would send it.
    for (const [name, value] of Object.entries(held.headers)) res.header(name, value);
    res.status(held.statusCode);
    if (held.body) res.send(held.body);
    res.end();
  };
}
