/**
 * Shared setup for the notification suites: the whole product (stand-ins + the real bot) with
 * a fast-polling outbox, and readers for what the bot posted to channels.
 */
import { AppCredentials } from 'botframework-connector';
import { USERS } from '../../../sandbox/directory';
import type { SentRecord, TeamHandle, TeamsStandIn } from '../../../sandbox/teams';
import type { Card } from '../../../sandbox/teams';
import { startWorld, type World, type WorldOptions } from '../../support/world';

export { SEED } from '../../../sandbox/graph';
export { USERS };

/** Quick polling and short timeouts so a test sees retries and redeliveries within seconds. */
export const FAST_WORKER = { pollIntervalMs: 50, visibilitySeconds: 5, maxLocalWaitMs: 2000, backoffBaseMs: 200 } as const;

/**
 * botframework-connector caches the bot's outbound token process-wide; each world has its own
 * Entra keys, so a token from an earlier world would be refused (401) by the next world's channel.
 */
export function forgetBotTokens(): void {
  (AppCredentials as unknown as { cache: Map<string, unknown> }).cache.clear();
}

export async function startNotificationWorld(opts: WorldOptions = {}): Promise<World> {
  forgetBotTokens();
  return startWorld({ ...opts, notifications: { ...opts.notifications, worker: { ...FAST_WORKER, ...opts.notifications?.worker } } });
}

/**
 * Notification cards the bot posted (as new channel posts). botbuilder's proactive
 * continueConversationAsync + sendActivity goes out as replyToActivity with a fresh continuation
 * id, which Teams (and the stand-in) turn into a new post.
 */
export function notificationPosts(teams: TeamsStandIn, channelId?: string): SentRecord[] {
  return teams
    .sent(channelId)
    .filter((s) => s.operation !== 'updateActivity' && s.operation !== 'deleteActivity' && cardOf(s.activity)?.body?.some(isNotificationTitle));
}

const isNotificationTitle = (el: unknown) => (el as { text?: string }).text === 'Upload status changed';

export function cardOf(activity: unknown): (Card & { body?: unknown[] }) | undefined {
  const a = activity as { attachments?: Array<{ contentType: string; content: Card }> } | undefined;
  return a?.attachments?.find((x) => x.contentType === 'application/vnd.adaptive.card' || x.contentType === 'application/vnd.microsoft.card.adaptive')?.content as
    | (Card & { body?: unknown[] })
    | undefined;
}

/** Every string a person reads on a card (TextBlock / TextRun text, fact values, button titles), joined. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (typeof n.text === 'string') out.push(n.text);
    if (typeof n.title === 'string') out.push(n.title);
    for (const [k, v] of Object.entries(n)) if (k !== 'text' && k !== 'title' && typeof v === 'object') walk(v);
  };
  walk(card);
  // Zero-width spaces let long words wrap on narrow screens; a reader does not see them.
  return out.join(' ').replace(/\u200b/g, '');
}

/** Base channel id of a sent record (`<channel>;messageid=…` → `<channel>`). */
export const channelOf = (s: SentRecord): string => s.conversationId.split(';')[0];

/** Counts notification posts per channel. */
export function postsPerChannel(teams: TeamsStandIn): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of notificationPosts(teams)) counts.set(channelOf(s), (counts.get(channelOf(s)) ?? 0) + 1);
  return counts;
}

/** Makes `count` channels in `team` (silently, as existing channels) and subscribes them in the bot's registry. */
export async function subscribeChannels(world: World, team: TeamHandle, count: number, prefix = 'ch'): Promise<string[]> {
  const registry = world.bot.services.notifications.registry;
  const ref = { teamId: team.id, tenantId: USERS_TENANT, serviceUrl: world.teams.serviceUrl, name: team.name };
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const channel = team.channel(`${prefix}-${String(i).padStart(4, '0')}`);
    await registry.subscribe(ref, channel.id, channel.name, 'Test setup');
    ids.push(channel.id);
  }
  return ids;
}

const USERS_TENANT = USERS.alex.tid;
/** The tenant the bot allows by default (AAD_APP_TENANT_ID): Contoso. */
export const CONTOSO = USERS_TENANT;

/** Polls until `condition` holds, for synchronisation only (never to assert speed). */
export async function until(condition: () => boolean | Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
