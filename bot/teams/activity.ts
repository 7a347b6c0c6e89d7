/** What the bot needs to know about who is acting and where, read from a Teams activity. */
import type { Activity } from 'botbuilder';
import type { ChatScope, Requester } from '../state/changes';

/**
 * The tenant an activity comes from, lower-case: Teams puts it in `channelData.tenant.id` and
 * `conversation.tenantId`. Undefined when neither is there, or when they disagree (Teams sends
 * both the same; a disagreement is not an activity to act on).
 */
export function tenantOf(activity: Activity): string | undefined {
  const fromData = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  const fromConversation = activity.conversation?.tenantId;
  const ids = [fromData, fromConversation].filter((t): t is string => typeof t === 'string' && t.length > 0).map((t) => t.toLowerCase());
  if (ids.length === 0 || ids.some((t) => t !== ids[0])) return undefined;
  return ids[0];
}

/** Is the activity's tenant one the bot serves? (Pure; the router refuses everything else.) */
export function tenantAllowed(activity: Activity, allowedTenants: readonly string[]): { tenantId?: string; allowed: boolean } {
  const tenantId = tenantOf(activity);
  return { tenantId, allowed: tenantId !== undefined && allowedTenants.includes(tenantId) };
}

/** The team an activity happened in (channel messages, invokes from channel cards, team events). */
export function teamIdOf(activity: Activity): string | undefined {
  const id = (activity.channelData as { team?: { id?: unknown } } | undefined)?.team?.id;
  return typeof id === 'string' && id ? id : undefined;
}

/** The acting user, or undefined when Teams did not identify them (no AAD object id). */
export function actorOf(activity: Activity): Requester | undefined {
  const oid = activity.from?.aadObjectId;
  const tid = tenantOf(activity);
  if (!oid || !tid) return undefined;
  return { oid: oid.toLowerCase(), tid, name: activity.from.name || 'Someone', mri: activity.from.id };
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
