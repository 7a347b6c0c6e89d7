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
import { type Attachment, type CloudAdapter, MessageFactory } from 'botbuilder';
import type { ChannelTarget } from './types';

export interface SendResult {
  activityId?: string;
}

/** Sends `card` as a new post in the target channel; throws what the Connector threw. */
export type ChannelSender = (target: ChannelTarget, card: Attachment) => Promise<SendResult>;

export function channelSender(adapter: CloudAdapter, botAppId: string, audience: string): ChannelSender {
  return async (target, card) => {
    let activityId: string | undefined;
    // An error thrown inside the proactive turn would go to adapter.onTurnError and be swallowed
    // there; the worker must see it to retry, prune or dead-letter.
    let failure: unknown;
    await adapter.continueConversationAsync(
      botAppId,
      {
        channelId: 'msteams',
        serviceUrl: target.serviceUrl,
        conversation: { id: target.channelId, isGroup: true, conversationType: 'channel', tenantId: target.tenantId, name: target.channelName },
      },
      audience,
      async (context) => {
        try {
          activityId = (await context.sendActivity(MessageFactory.attachment(card)))?.id;
        } catch (err) {
          failure = err;
        }
      },
    );
    if (failure !== undefined) throw failure;
    return { activityId };
  };
}

/** What to do about a failed send. */
export type SendVerdict =
  /** Teams says the bot can never post there (removed, channel gone): stop sending there. */
  | { kind: 'prune'; status: number; code: string; reason: string }
  /** Worth trying again later; `retryAfterMs` when Teams said when. */
  | { kind: 'retry'; status?: number; code: string; reason: string; retryAfterMs?: number }
  /** Will not succeed by retrying (bad request, card too big). */
  | { kind: 'fail'; status: number; code: string; reason: string };

/**
 * Teams' "Status codes from bot conversational APIs": 403 BotNotInConversationRoster / 404
 * ConversationNotFound mean the bot is gone from there; 412, 429, 502, 503, 504 are transient
 * ("retry", 429 "with Retry-After"); 500 ServiceError is retried too. Network failures are transient.
 */
export function classifySendError(err: unknown): SendVerdict {
  const e = err as {
    statusCode?: number;
    code?: string;
    message?: string;
    body?: unknown;
    response?: { status?: number; headers?: unknown; bodyAsText?: string; parsedBody?: unknown };
  };
  const status = e?.statusCode ?? e?.response?.status;
  const body = (e?.body ?? e?.response?.parsedBody ?? safeJson(e?.response?.bodyAsText)) as { error?: { code?: string; message?: string } } | undefined;
  const code = body?.error?.code ?? (typeof e?.code === 'string' ? e.code : undefined) ?? (status ? `HTTP${status}` : 'NetworkError');
  const message = body?.error?.message ?? e?.message ?? String(err);
  const reason = `${status ?? 'no answer'} ${code}: ${message}`.slice(0, 300);
  if (status === undefined) return { kind: 'retry', code, reason };
  if (status === 403 || status === 404) return { kind: 'prune', status, code, reason };
  if (status === 412 || status === 429 || status >= 500) {
    return { kind: 'retry', status, code, reason, retryAfterMs: retryAfterMs(e?.response?.headers) };
  }
  return { kind: 'fail', status, code, reason };
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(headers: unknown, now: number = Date.now()): number | undefined {
  const raw = headerValue(headers, 'retry-after');
  if (!raw) return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  const h = headers as { get?: (n: string) => string | null | undefined } & Record<string, unknown>;
  if (typeof h.get === 'function') return h.get(name) ?? undefined;
  const found = Object.entries(h).find(([k]) => k.toLowerCase() === name);
  return typeof found?.[1] === 'string' ? found[1] : undefined;
}

function safeJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
