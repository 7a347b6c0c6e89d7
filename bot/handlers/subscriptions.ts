/**
 * `subscribe`, `unsubscribe`, `subscriptions` — typed in a team channel with an @mention (Teams
 * only delivers channel messages that mention the bot). Anywhere else they get a clear answer.
 */
import { type TurnContext, TeamsInfo } from 'botbuilder';
import { noticeCard, type NoticeFact } from '../../cards';
import type { Command } from '../commands/parse';
import { GENERAL, type TeamRecord } from '../notifications';
import type { Services } from '../services';
import { setOutcome } from '../teams/outcome';
import { teamOf } from './installation';
import { sendCard } from './respond';

export type SubscriptionCommand = Extract<Command, { kind: 'subscribe' | 'unsubscribe' | 'subscriptions' }>;

export async function handleSubscriptionCommand(context: TurnContext, services: Services, command: SubscriptionCommand): Promise<void> {
  const a = context.activity;
  const team = teamOf(context);
  const channelId = (a.channelData as { channel?: { id?: string } } | undefined)?.channel?.id ?? a.conversation?.id?.split(';')[0];
  if (a.conversation?.conversationType !== 'channel' || !team || !channelId) {
    await sendCard(context, noticeCard({
      title: 'Only in a team channel',
      message: `"${command.kind}" works in a team channel: add me to the team, then @mention me there with "${command.kind}". Notifications go to channels, not to chats.`,
      tone: 'warning',
    }));
    setOutcome(context, `${command.kind}:not-a-channel`);
    return;
  }
  const registry = services.notifications.registry;
  const who = a.from?.name || 'someone';

  if (command.kind === 'subscribe') {
    const name = await channelName(context, services, team.teamId, channelId);
    const changed = await registry.subscribe(team, channelId, name, who);
    await sendCard(context, noticeCard({
      title: changed ? 'This channel now follows upload changes' : 'This channel already follows upload changes',
      message: 'A card appears here whenever an Autopilot upload\'s status changes. @mention me with "unsubscribe" to stop.',
      tone: changed ? 'good' : 'default',
    }));
    setOutcome(context, changed ? 'subscribed' : 'subscribed:already');
    return;
  }
  if (command.kind === 'unsubscribe') {
    const changed = await registry.unsubscribe(team, channelId);
    await sendCard(context, noticeCard({
      title: changed ? 'This channel no longer follows upload changes' : 'This channel was not following upload changes',
      message: '@mention me with "subscribe" to follow them again, or "subscriptions" to see which channels do.',
      tone: 'default',
    }));
    setOutcome(context, changed ? 'unsubscribed' : 'unsubscribed:not-subscribed');
    return;
  }
  const found = await registry.team(team.teamId);
  // A record is only ever shown in the tenant it belongs to.
  const record = found && found.tenantId.toLowerCase() === team.tenantId.toLowerCase() ? found : undefined;
  await sendCard(context, subscriptionsCard(record));
  setOutcome(context, 'subscriptions-listed');
}

/** The channel's name as Teams lists it (General has none "to allow for localization"). */
async function channelName(context: TurnContext, services: Services, teamId: string, channelId: string): Promise<string> {
  if (channelId === teamId) return GENERAL;
  const known = (await services.notifications.registry.team(teamId))?.channels[channelId]?.name;
  if (known) return known;
  try {
    const channels = await TeamsInfo.getTeamChannels(context, teamId);
    return channels.find((c) => c.id === channelId)?.name ?? 'a channel';
  } catch (err) {
    services.log.debug({ err, teamId }, 'could not list the team\'s channels for a name');
    return 'a channel';
  }
}

const when = (at: number) => new Date(at).toISOString().replace(/\.\d+Z$/, 'Z');

export function subscriptionsCard(record: TeamRecord | undefined) {
  const following = Object.values(record?.channels ?? {}).filter((c) => c.subscribed).sort((x, y) => x.name.localeCompare(y.name));
  const facts: NoticeFact[] = following.map((c) => ({
    title: c.suspended ? `Paused: ${c.name}` : c.name,
    value: c.suspended
      ? `since ${when(c.suspended.at)} — ${c.suspended.reason}. Resumes when someone here talks to me.`
      : c.by ? `since ${when(c.since ?? 0)}, by ${c.by}` : 'following',
  }));
  for (const p of [...(record?.pruned ?? [])].reverse()) facts.push({ title: `Removed: ${p.channelName}`, value: `${when(p.at)} — ${p.reason}` });
  for (const d of [...(record?.deadLetters ?? [])].reverse()) {
    facts.push({ title: `Not delivered: ${d.channelName}`, value: `${when(d.at)} — upload ${d.uploadId}: ${d.reason}` });
  }
  const message = following.length === 0
    ? 'No channel of this team follows upload changes. @mention me with "subscribe" in a channel to start.'
    : `${following.length} channel${following.length === 1 ? '' : 's'} of this team follow${following.length === 1 ? 's' : ''} upload changes.`;
  return noticeCard({ title: 'Channels that follow upload changes', message, tone: 'default', facts });
}
