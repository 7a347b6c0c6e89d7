/** What the bot needs to know about who is acting and where, read from a Teams activity. */
import type { Activity } from 'botbuilder';
import type { ChatScope, Requester } from '../state/changes';

/** The acting user, or undefined when Teams did not identify them (no AAD object id). */
export function actorOf(activity: Activity): Requester | undefined {
  const oid = activity.from?.aadObjectId;
  const tid = activity.conversation?.tenantId ?? (activity.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id;
  if (!oid || !tid) return undefined;
  return { oid: oid.toLowerCase(), tid: tid.toLowerCase(), name: activity.from.name || 'Someone', mri: activity.from.id };
}

export function scopeOf(activity: Activity): ChatScope {
  switch (activity.conversation?.conversationType) {
    case 'channel':
      return 'channel';
    case 'groupChat':
      return 'groupChat';
    default:
      return 'personal';
  }
}

/** Where a change was asked for, in words for people: "personal chat", "group chat", "#General". */
export function whereOf(activity: Activity): string {
  const scope = scopeOf(activity);
  if (scope === 'channel') {
    const name = (activity.channelData as { channel?: { name?: string } } | undefined)?.channel?.name;
    return name ? `channel ${name}` : 'a team channel';
  }
  return scope === 'groupChat' ? 'group chat' : 'personal chat';
}
