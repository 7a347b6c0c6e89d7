/**
 * What the bridge remembers about the Playground's conversations: where the Playground's own
 * Connector lives (its serviceUrl), the latest activity it sent in each conversation (the shape
 * the bridge copies when it sends invokes on the person's behalf), and who sent which activity
 * (so a reply can be traced to the person it answers).
 */
import { findUser, type SandboxUser } from '../directory';
import { baseConversationId } from '../teams/ids';
import type { Activity } from '../teams/world';

export interface KnownConversation {
  /** Base conversation id (no `;messageid=`). */
  id: string;
  /** personal | groupChat | channel */
  kind: string;
  /** The Playground's Connector for this conversation, e.g. http://127.0.0.1:56150/_connector */
  playgroundServiceUrl: string;
  /** The latest activity the Playground sent here, as it sent it (before the bridge rewrote it). */
  template: Activity;
}

export class Conversations {
  private readonly byId = new Map<string, KnownConversation>();
  private readonly senders = new Map<string, SandboxUser>();
  private lastServiceUrl?: string;

  /** Records an activity the Playground sent (call before rewriting its serviceUrl). */
  remember(activity: Activity): void {
    const id = String(activity.conversation?.id ?? '');
    const serviceUrl = String(activity.serviceUrl ?? '');
    if (!id || !serviceUrl) return;
    this.lastServiceUrl = serviceUrl;
    const base = baseConversationId(id);
    this.byId.set(base, {
      id: base,
      kind: String(activity.conversation?.conversationType ?? 'personal'),
      playgroundServiceUrl: serviceUrl,
      template: activity,
    });
    const sender = this.personOf(activity);
    if (sender && activity.id) this.senders.set(String(activity.id), sender);
  }

  find(conversationId: string): KnownConversation | undefined {
    return this.byId.get(baseConversationId(conversationId));
  }

  /** The Playground's Connector: the conversation's, else the one it used last (a bot-created chat). */
  playgroundServiceUrl(conversationId?: string): string | undefined {
    return (conversationId ? this.find(conversationId)?.playgroundServiceUrl : undefined) ?? this.lastServiceUrl;
  }

  /** The sandbox directory user behind an activity's `from` (matched on the AAD object id). */
  personOf(activity: Activity): SandboxUser | undefined {
    const oid = activity.from?.aadObjectId;
    return typeof oid === 'string' ? findUser({ oid }) : undefined;
  }

  /** Who sent the activity with this id, if it came through the bridge. */
  senderOf(activityId: string | undefined): SandboxUser | undefined {
    return activityId ? this.senders.get(activityId) : undefined;
  }
}
