/**
 * The activities Teams sends a bot, each built from a real Teams payload (./fixtures, see its
 * README) with the ids, people and text of the sandbox put in. Only fields the template has, or
 * that today's Teams adds (conversation.tenantId, localTimezone), are set.
 */
import type { SandboxUser } from '../directory';
import { newEventId, newMessageId, threadConversationId } from './ids';
import type { Activity, Conversation, Team } from './world';

import messagePersonal from './fixtures/message-personal.json';
import messageChannelMention from './fixtures/message-channel-mention.json';
import invokeAdaptiveCardAction from './fixtures/invoke-adaptiveCard-action.json';
import messageSubmitValue from './fixtures/message-submit-value.json';
import installationUpdateAdd from './fixtures/installationUpdate-add.json';
import botAddedToTeam from './fixtures/conversationUpdate-bot-added-to-team.json';
import channelCreated from './fixtures/conversationUpdate-channel-created.json';
import channelRenamed from './fixtures/conversationUpdate-channel-renamed.json';
import channelDeleted from './fixtures/conversationUpdate-channel-deleted.json';
import teamRenamed from './fixtures/conversationUpdate-team-renamed.json';
import signinTokenExchange from './fixtures/invoke-signin-tokenExchange-sdk-fixture.json';
import signinVerifyState from './fixtures/invoke-signin-verifyState.json';

export const TEMPLATES = {
  messagePersonal,
  messageChannelMention,
  invokeAdaptiveCardAction,
  messageSubmitValue,
  installationUpdateAdd,
  botAddedToTeam,
  channelCreated,
  channelRenamed,
  channelDeleted,
  teamRenamed,
  signinTokenExchange,
  signinVerifyState,
} as const;

export interface BotAccount {
  /** `28:<app id>` */
  id: string;
  name: string;
}

/** The person's Teams client: what it reports in `clientInfo` and `locale`. */
export interface ClientInfo {
  locale: string;
  country: string;
  platform: 'Web' | 'Windows' | 'Mac' | 'iOS' | 'Android';
  timezone: string;
}

export const DEFAULT_CLIENT: ClientInfo = { locale: 'en-US', country: 'US', platform: 'Web', timezone: 'America/Los_Angeles' };

export interface Sender {
  user: SandboxUser;
  client: ClientInfo;
}

const clone = <T>(value: T): Activity => JSON.parse(JSON.stringify(value)) as Activity;

/** ISO time with the offset of `timeZone`, as Teams' localTimestamp ("2025-10-08T10:33:01.495-07:00"). */
export function localTimestamp(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  const offsetMinutes = Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const ms = String(at.getUTCMilliseconds()).padStart(3, '0');
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${ms}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const from = (user: SandboxUser) => ({ id: user.teamsId, name: user.name, aadObjectId: user.oid });

function conversationOf(conversation: Conversation, threadId?: string): Activity {
  switch (conversation.kind) {
    case 'personal':
      return { conversationType: 'personal', tenantId: conversation.tenantId, id: conversation.id };
    case 'groupChat':
      return { isGroup: true, conversationType: 'groupChat', tenantId: conversation.tenantId, id: conversation.id };
    case 'channel':
      return {
        id: threadId ? threadConversationId(conversation.id, threadId) : conversation.id,
        isGroup: true,
        conversationType: 'channel',
        tenantId: conversation.tenantId,
      };
  }
}

function channelDataOf(conversation: Conversation): Activity {
  if (conversation.kind !== 'channel') return { tenant: { id: conversation.tenantId } };
  const team = conversation.team!;
  return {
    teamsChannelId: conversation.id,
    teamsTeamId: team.id,
    channel: { id: conversation.id },
    team: { id: team.id },
    tenant: { id: conversation.tenantId },
  };
}

function clientInfoEntity(client: ClientInfo): Activity {
  return { locale: client.locale, country: client.country, platform: client.platform, timezone: client.timezone, type: 'clientInfo' };
}

/** Fills what every activity from a person carries: ids, times, who, where, client. */
function envelope(
  template: Activity,
  conversation: Conversation,
  sender: Sender,
  bot: BotAccount,
  opts: { id: string; threadId?: string },
): Activity {
  const now = new Date();
  const a = clone(template);
  a.id = opts.id;
  a.timestamp = now.toISOString();
  a.localTimestamp = localTimestamp(now, sender.client.timezone);
  a.serviceUrl = conversation.serviceUrl;
  a.channelId = 'msteams';
  a.from = from(sender.user);
  a.recipient = { id: bot.id, name: bot.name };
  a.conversation = conversationOf(conversation, opts.threadId);
  a.channelData = channelDataOf(conversation);
  a.entities = [clientInfoEntity(sender.client)];
  a.locale = sender.client.locale;
  a.localTimezone = sender.client.timezone;
  return a;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A person's message. In group chats and channels a bot only receives messages that @mention it,
 * so there the text starts with `<at>Bot</at>` and carries the mention entity, as Teams sends it.
 */
export function messageActivity(
  conversation: Conversation,
  sender: Sender,
  bot: BotAccount,
  text: string,
  opts: { id?: string; threadId?: string } = {},
): Activity {
  const id = opts.id ?? newMessageId();
  if (conversation.kind === 'personal') {
    const a = envelope(TEMPLATES.messagePersonal, conversation, sender, bot, { id });
    a.textFormat = 'plain';
    a.text = text;
    a.attachments = [{ contentType: 'text/html', content: `<p>${escapeHtml(text)}</p>` }];
    return a;
  }
  const threadId = conversation.kind === 'channel' ? (opts.threadId ?? id) : undefined;
  const a = envelope(TEMPLATES.messageChannelMention, conversation, sender, bot, { id, threadId });
  const mention = `<at>${bot.name}</at>`;
  a.text = `${mention} ${text}`;
  a.textFormat = 'plain';
  a.entities = [{ mentioned: { id: bot.id, name: bot.name }, text: mention, type: 'mention' }, ...a.entities];
  a.attachments = [
    {
      contentType: 'text/html',
      content: `<p><span itemtype="http://schema.skype.com/Mention" itemscope="" itemid="0">${escapeHtml(bot.name)}</span>&nbsp;${escapeHtml(text)}</p>`,
    },
  ];
  return a;
}

/** An `Action.Submit` press: a message with `value` and `replyToId`, no text. */
export function submitActivity(
  conversation: Conversation,
  sender: Sender,
  bot: BotAccount,
  value: unknown,
  replyToId: string,
  opts: { threadId?: string; text?: string } = {},
): Activity {
  const a = envelope(TEMPLATES.messageSubmitValue, conversation, sender, bot, { id: newEventId(), threadId: opts.threadId });
  a.channelData = { ...a.channelData, source: { name: 'message' } };
  a.replyToId = replyToId;
  a.value = value;
  if (opts.text !== undefined) a.text = opts.text;
  return a;
}

/** An invoke from a person's client (adaptiveCard/action, signin/*). */
export function invokeActivity(
  conversation: Conversation,
  sender: Sender,
  bot: BotAccount,
  name: string,
  value: unknown,
  opts: { replyToId?: string; threadId?: string } = {},
): Activity {
  const template = name === 'adaptiveCard/action' ? TEMPLATES.invokeAdaptiveCardAction
    : name === 'signin/verifyState' ? TEMPLATES.signinVerifyState
    : TEMPLATES.signinTokenExchange;
  const a = envelope(template, conversation, sender, bot, { id: newEventId(), threadId: opts.threadId });
  a.type = 'invoke';
  a.name = name;
  a.value = value;
  if (name === 'adaptiveCard/action') a.channelData = { ...a.channelData, source: { name: 'message' } };
  if (opts.replyToId) a.replyToId = opts.replyToId;
  else delete a.replyToId;
  return a;
}

/** The app added to (or removed from) a personal scope or a team: `installationUpdate`. */
export function installationUpdateActivity(
  conversation: Conversation,
  sender: Sender,
  bot: BotAccount,
  action: 'add' | 'remove',
): Activity {
  const a = envelope(TEMPLATES.installationUpdateAdd, conversation, sender, bot, { id: newEventId() });
  a.action = action;
  if (conversation.kind === 'channel') {
    const team = conversation.team!;
    if (conversation.name && conversation.id !== team.id) a.conversation.name = conversation.name;
    a.channelData = {
      settings: { selectedChannel: { id: conversation.id } },
      channel: { id: conversation.id },
      team: { aadGroupId: team.aadGroupId, name: team.name, id: team.id },
      tenant: { id: conversation.tenantId },
      source: { name: 'message' },
    };
  } else {
    a.channelData = { tenant: { id: conversation.tenantId }, source: { name: 'message' } };
  }
  return a;
}

/** The bot added to or removed from a team's roster: `conversationUpdate` teamMemberAdded/Removed. */
export function botMembershipActivity(team: Team, channel: Conversation, sender: Sender, bot: BotAccount, added: boolean): Activity {
  const a = clone(TEMPLATES.botAddedToTeam);
  a.id = newEventId();
  a.timestamp = new Date().toISOString();
  a.serviceUrl = channel.serviceUrl;
  a.from = { id: sender.user.teamsId, aadObjectId: sender.user.oid };
  a.conversation = { isGroup: true, conversationType: 'channel', tenantId: team.tenantId, id: channel.id };
  if (channel.id !== team.id && channel.name) a.conversation.name = channel.name;
  a.recipient = { id: bot.id, name: bot.name };
  delete a.membersAdded;
  if (added) a.membersAdded = [{ id: bot.id }];
  else a.membersRemoved = [{ id: bot.id }];
  a.channelData = {
    settings: { selectedChannel: { id: channel.id } },
    team: { aadGroupId: team.aadGroupId, name: team.name, id: team.id },
    eventType: added ? 'teamMemberAdded' : 'teamMemberRemoved',
    tenant: { id: team.tenantId },
  };
  return reorder(a, TEMPLATES.botAddedToTeam);
}

/** channelCreated / channelRenamed / channelDeleted, sent in the team's (General) conversation. */
export function channelEventActivity(
  team: Team,
  channel: { id: string; name: string },
  sender: Sender,
  bot: BotAccount,
  eventType: 'channelCreated' | 'channelRenamed' | 'channelDeleted',
): Activity {
  const template =
    eventType === 'channelCreated' ? TEMPLATES.channelCreated : eventType === 'channelRenamed' ? TEMPLATES.channelRenamed : TEMPLATES.channelDeleted;
  return teamEvent(template, team, sender, bot, { channel: { id: channel.id, name: channel.name }, team: { id: team.id }, eventType });
}

export function teamRenamedActivity(team: Team, sender: Sender, bot: BotAccount): Activity {
  return teamEvent(TEMPLATES.teamRenamed, team, sender, bot, {
    team: { id: team.id, name: team.name, aadGroupId: team.aadGroupId },
    eventType: 'teamRenamed',
  });
}

function teamEvent(template: Activity, team: Team, sender: Sender, bot: BotAccount, channelData: Activity): Activity {
  const a = clone(template);
  a.id = newEventId();
  a.timestamp = new Date().toISOString();
  a.serviceUrl = team.general.serviceUrl;
  a.from = { id: sender.user.teamsId, aadObjectId: sender.user.oid };
  a.conversation = { isGroup: true, conversationType: 'channel', tenantId: team.tenantId, id: team.id };
  a.recipient = { id: bot.id, name: bot.name };
  a.channelData = { ...channelData, tenant: { id: team.tenantId } };
  return a;
}

/** Keeps the template's key order (cosmetic, but it makes payload diffs against the fixture readable). */
function reorder(a: Activity, template: Activity): Activity {
  const out: Activity = {};
  for (const k of Object.keys(template)) if (k in a) out[k] = a[k];
  for (const k of Object.keys(a)) if (!(k in out)) out[k] = a[k];
  return out;
}
