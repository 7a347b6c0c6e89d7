/** Identifiers shaped like the ones Teams hands out. */
import crypto from 'node:crypto';

let lastMessageId = 0;

/** Teams message ids are the post time in epoch milliseconds ("1759944781430"); ours stay unique. */
export function newMessageId(): string {
  lastMessageId = Math.max(Date.now(), lastMessageId + 1);
  return String(lastMessageId);
}

/** A personal chat (bot ↔ one user): `a:` followed by an opaque token. */
export function newPersonalChatId(): string {
  return `a:1${crypto.randomBytes(90).toString('base64url')}`;
}

/** A group chat thread. */
export function newGroupChatId(): string {
  return `19:${crypto.randomBytes(16).toString('hex')}@thread.v2`;
}

/** A channel thread; a team's id is its General channel's id, which has this shape with an opaque token. */
export function newChannelId(): string {
  return `19:${crypto.randomBytes(16).toString('hex')}@thread.tacv2`;
}

export function newTeamId(): string {
  return `19:${crypto.randomBytes(33).toString('base64url')}@thread.tacv2`;
}

/** Ids Teams gives activities that are not messages (events, invokes): `f:` + a GUID. */
export function newEventId(): string {
  return `f:${crypto.randomUUID()}`;
}

/** The `;messageid=` suffix Teams adds to a channel conversation id to name the thread. */
export function threadConversationId(channelId: string, rootMessageId: string): string {
  return `${channelId};messageid=${rootMessageId}`;
}

export function baseConversationId(conversationId: string): string {
  return conversationId.split(';')[0];
}

export function threadRootOf(conversationId: string): string | undefined {
  return /;messageid=(\d+)/.exec(conversationId)?.[1];
}
