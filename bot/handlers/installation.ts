/**
 * Where the bot lives: Teams tells it through `installationUpdate` (app added/removed) and
 * `conversationUpdate` (bot added/removed from a team's roster, channels created/renamed/deleted,
 * team renamed/deleted/restored). Both install events arrive for one install; the registry makes
 * them idempotent, so the welcome is posted once.
 */
import type { ChannelInfo, TeamInfo, TurnContext } from 'botbuilder';
import { noticeCard } from '../../cards';
import { GENERAL, type TeamRef } from '../notifications';
import type { Services } from '../services';
import { tenantOf } from '../teams/activity';
import { setOutcome } from '../teams/outcome';
import { sendCard } from './respond';

interface TeamsChannelData {
  team?: { id?: string; name?: string };
  channel?: { id?: string; name?: string };
}

/** The team an activity happened in, or undefined outside teams (personal and group chats). */
export function teamOf(context: TurnContext, team?: TeamInfo): TeamRef | undefined {
  const a = context.activity;
  const data = (a.channelData ?? {}) as TeamsChannelData;
  const teamId = team?.id ?? data.team?.id;
  const tenantId = tenantOf(a);
  if (!teamId || !tenantId || !a.serviceUrl) return undefined;
  return { teamId, tenantId, serviceUrl: a.serviceUrl, name: team?.name ?? data.team?.name };
}

export function welcomeCard() {
  return noticeCard({
    title: `I'll post upload status changes in ${GENERAL}`,
    message:
      `Whenever an Autopilot upload's status changes — through me in any chat, or reported by another system — a card appears in the ${GENERAL} channel. ` +
      'To follow changes in another channel, @mention me there with "subscribe"; to stop them in a channel, @mention me there with "unsubscribe". ' +
      '"subscriptions" lists the channels that follow changes.',
    tone: 'default',
  });
}

/** The app or the bot was added to a team: record it, subscribe General, welcome once. */
export async function handleBotInstalled(context: TurnContext, services: Services): Promise<void> {
  const team = teamOf(context);
  if (!team) {
    setOutcome(context, 'installed:not-a-team');
    return;
  }
  const { newlyInstalled } = await services.notifications.registry.install(team, context.activity.from?.name);
  services.log.info({ teamId: team.teamId, tenantId: team.tenantId, newlyInstalled }, 'bot installed in a team');
  if (newlyInstalled) {
    // The welcome is a courtesy: a refused post must not undo the install.
    await sendCard(context, welcomeCard()).catch((err) => services.log.warn({ err, teamId: team.teamId }, 'welcome message could not be posted'));
  }
  setOutcome(context, newlyInstalled ? 'installed' : 'installed:already');
}

export async function handleBotRemoved(context: TurnContext, services: Services): Promise<void> {
  const team = teamOf(context);
  if (!team) {
    setOutcome(context, 'removed:not-a-team');
    return;
  }
  await services.notifications.registry.uninstall(team);
  services.log.info({ teamId: team.teamId }, 'bot removed from a team; its channels no longer get notifications');
  setOutcome(context, 'removed');
}

export async function handleChannelEvent(
  context: TurnContext,
  services: Services,
  event: 'created' | 'renamed' | 'deleted' | 'restored',
  channel: ChannelInfo,
  teamInfo: TeamInfo,
): Promise<void> {
  const team = teamOf(context, teamInfo);
  if (!team || !channel.id) return;
  const registry = services.notifications.registry;
  if (event === 'deleted') await registry.deleteChannel(team, channel.id, channel.name);
  else await registry.nameChannel(team, channel.id, channel.name ?? 'a channel');
  services.log.info({ teamId: team.teamId, channelId: channel.id, event }, 'team channel changed');
  setOutcome(context, `channel-${event}`);
}

export async function handleTeamEvent(
  context: TurnContext,
  services: Services,
  event: 'renamed' | 'deleted' | 'restored' | 'hardDeleted',
  teamInfo: TeamInfo,
): Promise<void> {
  const team = teamOf(context, teamInfo);
  if (!team) return;
  const registry = services.notifications.registry;
  switch (event) {
    case 'renamed':
      if (teamInfo.name) await registry.renameTeam({ ...team, name: teamInfo.name });
      break;
    case 'deleted':
      await registry.setTeamDeleted(team, true);
      break;
    case 'restored':
      await registry.setTeamDeleted(team, false);
      break;
    case 'hardDeleted':
      await registry.uninstall(team);
      break;
  }
  services.log.info({ teamId: team.teamId, event }, 'team changed');
  setOutcome(context, `team-${event}`);
}
