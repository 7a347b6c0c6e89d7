/**
 * Posting one notification card to one team channel, outside any turn, and reading Teams'
 * answer into what the worker must do next.
 *
 * A message sent to a channel's conversation id (no `;messageid=`) starts a new post in that
 * channel (msteams-docs, "Send proactive messages": the conversation reference of the channel).
 * With CloudAdapter that is `continueConversationAsync` + `sendActivity`; TeamsInfo.
 * sendMessageToTeamsChannel does not work with CloudAdapter. The per-conversation send limits
 * apply to it, and Teams' errors (403 not in roster, 404 conversation gone) name the channel.
 */
import { type Attachment, type CloudAdapter, MessageFactory, type TurnContext } from 'botbuilder';
import { systemClock } from '../clock';
import { parseRetryAfter, retryAfterHeader } from '../retryAfter';
import type { ChannelTarget } from './types';

export interface SendResult {
  activityId?: string;
  /** HTTP requests the send took (1 unless the connector pipeline retried on its own). */
  httpAttempts: number;
}

/** Sends `card` as a new post in the target channel; throws a SendFailure wrapping what the Connector threw. */
export type ChannelSender = (target: ChannelTarget, card: Attachment) => Promise<SendResult>;

/** A failed send, with how many HTTP requests it took (they count against the job's attempt budget). */
export class SendFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly httpAttempts: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'SendFailure';
  }
}

interface PipelineLike {
  addPolicy(policy: { name: string; sendRequest(request: unknown, next: (request: unknown) => Promise<unknown>): Promise<unknown> }, options?: { afterPhase?: string }): void;
  removePolicy(options: { phase?: string; name?: string }): unknown;
}

/**
 * botbuilder's ConnectorClient runs @azure/core-rest-pipeline's defaultRetryPolicy: three more
 * tries on 408, every 5xx but 501/505 (500 included, which Teams says not to retry) and 429.
 * For notification sends the worker owns retries (Teams' table, Retry-After, the job's budget),
 * so the turn's client drops that policy; a counter below the retry phase sees every request
 * that still goes out, so if a botbuilder upgrade brings retries back they are still counted.
 */
export function takeOverRetries(context: TurnContext, adapter: CloudAdapter): { attempts(): number; retriesRemoved: boolean } {
  let attempts = 0;
  const connector = context.turnState.get(adapter.ConnectorClientKey) as { client?: { pipeline?: PipelineLike } } | undefined;
  const pipeline = connector?.client?.pipeline;
  let retriesRemoved = false;
  if (pipeline && typeof pipeline.addPolicy === 'function' && typeof pipeline.removePolicy === 'function') {
    pipeline.removePolicy({ phase: 'Retry' });
    retriesRemoved = true;
    pipeline.addPolicy(
      {
        name: 'notificationAttemptCounter',
        sendRequest: (request, next) => {
          attempts += 1;
          return next(request);
        },
      },
      { afterPhase: 'Retry' },
    );
  }
  // Without a pipeline to watch, assume the one request we asked for.
  return { attempts: () => (pipeline ? attempts : 1), retriesRemoved };
}

export function channelSender(adapter: CloudAdapter, botAppId: string, audience: string): ChannelSender {
  return async (target, card) => {
    let activityId: string | undefined;
    // An error thrown inside the proactive turn would go to adapter.onTurnError and be swallowed
    // there; the worker must see it to retry, prune, suspend or dead-letter.
    let failure: unknown;
    let counted: ReturnType<typeof takeOverRetries> | undefined;
    await adapter.continueConversationAsync(
      botAppId,
      {
        channelId: 'msteams',
        serviceUrl: target.serviceUrl,
        conversation: { id: target.channelId, isGroup: true, conversationType: 'channel', tenantId: target.tenantId, name: target.channelName },
      },
      audience,
      async (context) => {
        counted = takeOverRetries(context, adapter);
        try {
          activityId = (await context.sendActivity(MessageFactory.attachment(card)))?.id;
        } catch (err) {
          failure = err;
        }
      },
    );
    const httpAttempts = Math.max(1, counted?.attempts() ?? 1);
    if (failure !== undefined) throw new SendFailure(failure, httpAttempts);
    return { activityId, httpAttempts };
  };
}

/** Teams' GCC host, named by its InvalidBotApiHost answer ("For GCC tenants, call https://smba.infra.gcc.teams.microsoft.com."). */
export const GCC_SERVICE_URL = 'https://smba.infra.gcc.teams.microsoft.com/';

/** What to do about a failed send. */
export type SendVerdict =
  /** The bot is not in that conversation any more (roster, conversation gone): stop sending there until it is installed again. */
  | { kind: 'prune'; status: number; code: string; reason: string }
  /** Blocked for now (admin disabled the bot, a user blocked it, writes blocked): keep the target, send nothing until someone there talks to the bot. */
  | { kind: 'suspend'; status: number; code: string; reason: string }
  /** Worth trying again later; `retryAfterMs` when Teams said when; `serviceUrl` when Teams named another host. */
  | { kind: 'retry'; status?: number; code: string; reason: string; retryAfterMs?: number; serviceUrl?: string }
  /** Will not succeed by retrying (bad request, card too big, 500, an unlisted refusal). */
  | { kind: 'fail'; status: number; code: string; reason: string };

const SUSPEND_CODES = new Set(['BotDisabledByAdmin', 'ConversationBlockedByUser', 'MessageWritesBlocked']);
const RETRY_STATUSES = new Set([412, 429, 502, 503, 504]);
/** Longer asks are read as this: the job comes back and Teams can say again. */
export const MAX_SEND_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Teams' "Status codes from bot conversational APIs" and its retry guidance
 * (test/fixtures/real-cloud/SOURCE.md): prune on 403 BotNotInConversationRoster and 404
 * ConversationNotFound; suspend on 403 BotDisabledByAdmin, ConversationBlockedByUser and
 * MessageWritesBlocked (whose body is `{errorCode: 209, message: "<JSON with subCode>"}`); retry
 * 412, 429, 502, 503, 504 and 403 InvalidBotApiHost (at the GCC host); "avoid retrying status
 * codes that aren't specified" — 500 and every other 4xx fail at once. No answer at all (a
 * network failure) is retried.
 */
export function classifySendError(err: unknown, currentServiceUrl?: string, now: number = systemClock()): SendVerdict {
  const e = (err instanceof SendFailure ? err.cause : err) as {
    statusCode?: number;
    code?: string;
    message?: string;
    body?: unknown;
    details?: unknown;
    response?: { status?: number; headers?: unknown; bodyAsText?: string; parsedBody?: unknown };
  };
  const status = e?.statusCode ?? e?.response?.status;
  const body = (safeJson(e?.response?.bodyAsText) ?? e?.body ?? e?.response?.parsedBody ?? e?.details) as
    | { error?: { code?: string; message?: string }; errorCode?: unknown; message?: unknown }
    | undefined;
  const subCode = writesBlockedSubCode(body) ?? writesBlockedSubCode({ message: e?.message });
  const restCode = typeof e?.code === 'string' && !/^(REST_ERROR|PARSE_ERROR|ERR_)/.test(e.code) ? e.code : undefined;
  const code = body?.error?.code ?? subCode ?? restCode ?? (status ? `HTTP${status}` : typeof e?.code === 'string' ? e.code : 'NetworkError');
  const message = body?.error?.message ?? (subCode ? 'Thread is blocked from message writes.' : undefined) ?? e?.message ?? String(err);
  const reason = `${status ?? 'no answer'} ${code}: ${message}`.slice(0, 300);
  if (status === undefined) return { kind: 'retry', code, reason };
  if ((status === 403 && code === 'BotNotInConversationRoster') || (status === 404 && code === 'ConversationNotFound')) {
    return { kind: 'prune', status, code, reason };
  }
  if (status === 403 && SUSPEND_CODES.has(code)) return { kind: 'suspend', status, code, reason };
  if (status === 403 && code === 'InvalidBotApiHost') {
    // Retried once, at the host Teams names; the same answer from that host is final.
    const atGcc = currentServiceUrl !== undefined && new URL(currentServiceUrl).host === new URL(GCC_SERVICE_URL).host;
    return atGcc ? { kind: 'fail', status, code, reason } : { kind: 'retry', status, code, reason, serviceUrl: GCC_SERVICE_URL };
  }
  if (RETRY_STATUSES.has(status)) return { kind: 'retry', status, code, reason, retryAfterMs: retryAfterMs(e?.response?.headers, now) };
  return { kind: 'fail', status, code, reason };
}

/** `MessageWritesBlocked` when the body is the blocked-thread shape (`errorCode: 209`, or its subCode inside `message`). */
function writesBlockedSubCode(body: { errorCode?: unknown; message?: unknown } | undefined): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const inner = typeof body.message === 'string' ? (safeJson(body.message) as { subCode?: unknown } | undefined) : undefined;
  if (inner && typeof inner === 'object' && inner.subCode === 'MessageWritesBlocked') return 'MessageWritesBlocked';
  return body.errorCode === 209 ? 'MessageWritesBlocked' : undefined;
}

/** Teams' Retry-After (seconds or HTTP-date), bounded: a job never waits longer than this for it. */
export function retryAfterMs(headers: unknown, now: number): number | undefined {
  return parseRetryAfter(retryAfterHeader(headers), now, MAX_SEND_RETRY_AFTER_MS);
}

function safeJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
