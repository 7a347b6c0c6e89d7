/**
 * Invokes the bridge sends on the person's behalf (token exchange, automatic refresh), shaped
 * like the Playground's own activities in the same conversation, from the Teams user `user`.
 */
import crypto from 'node:crypto';
import type { SandboxUser } from '../directory';
import type { Activity } from '../teams/world';

export function invokeFrom(
  template: Activity,
  user: SandboxUser,
  conversationId: string,
  name: string,
  value: unknown,
  opts: { replyToId?: string; serviceUrl: string },
): Activity {
  const now = new Date().toISOString();
  const channelData: Activity = { ...(template.channelData ?? {}) };
  delete channelData.settings;
  // Teams marks invokes sent from a card (adaptiveCard/action) as coming from a message.
  if (name === 'adaptiveCard/action') channelData.source = { name: 'message' };
  else delete channelData.source;
  return {
    type: 'invoke',
    name,
    value,
    // Teams gives non-message activities `f:` + a GUID.
    id: `f:${crypto.randomUUID()}`,
    timestamp: now,
    localTimestamp: now,
    channelId: template.channelId ?? 'msteams',
    serviceUrl: opts.serviceUrl,
    from: { id: user.teamsId, name: user.name, aadObjectId: user.oid },
    conversation: { ...(template.conversation ?? {}), id: conversationId },
    recipient: template.recipient,
    channelData,
    entities: (template.entities ?? []).filter((e: Activity) => e?.type === 'clientInfo'),
    locale: template.locale ?? 'en-US',
    ...(opts.replyToId ? { replyToId: opts.replyToId } : {}),
  };
}
