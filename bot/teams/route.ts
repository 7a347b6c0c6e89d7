/**
 * What a route is (the shape of microsoft/teams.ts's router: named entries in one list, see
 * routes.ts) and the selectors of the conversation events. Four kinds:
 *
 *   event    an activity that is not an invoke, chosen by `select` (message, installs, Teams' channel and team events)
 *   invoke   an invoke, by its name; answers with the InvokeResponse
 *   command  a typed (or form-submitted) command, by its parsed kind (commands/parse.ts)
 *   verb     a card button, by its verb (cards/ids.ts CARD_VERBS), for Action.Execute and Action.Submit alike
 */
import type { Activity, ChannelInfo, InvokeResponse, TeamInfo, TurnContext } from 'botbuilder';
import type { CardVerb } from '../../cards/ids';
import type { Command } from '../commands/parse';
import type { Services } from '../services';
import type { FindVerb, Verb } from '../verbs/verb';

export type CommandKind = Command['kind'];

/** How a handler reaches the routes below it: a message carries a command or a card verb. */
export interface Dispatch {
  /** Runs the route of `command.kind`. */
  command(context: TurnContext, command: Command): Promise<void>;
  verb: FindVerb;
}

export interface EventRoute {
  on: 'event';
  name: string;
  select(activity: Activity): boolean;
  run(context: TurnContext, services: Services, dispatch: Dispatch): Promise<void>;
}

export interface InvokeRoute {
  on: 'invoke';
  /** The invoke's `name`. */
  name: string;
  run(context: TurnContext, services: Services, dispatch: Dispatch): Promise<InvokeResponse>;
}

export interface CommandRoute {
  on: 'command';
  name: CommandKind;
  run(context: TurnContext, services: Services, command: Command): Promise<void>;
}

export interface VerbRoute {
  on: 'verb';
  name: CardVerb;
  run: Verb;
}

export type Route = EventRoute | InvokeRoute | CommandRoute | VerbRoute;

export const event = (name: string, select: EventRoute['select'], run: EventRoute['run']): EventRoute => ({ on: 'event', name, select, run });
export const invoke = (name: string, run: InvokeRoute['run']): InvokeRoute => ({ on: 'invoke', name, run });
export const verb = (name: CardVerb, run: Verb): VerbRoute => ({ on: 'verb', name, run });
export function command<K extends CommandKind>(
  name: K,
  run: (context: TurnContext, services: Services, command: Extract<Command, { kind: K }>) => Promise<void>,
): CommandRoute {
  // The router calls it only with a command of kind `name`.
  return { on: 'command', name, run: run as CommandRoute['run'] };
}

// --- event selectors: botbuilder's (Teams)ActivityHandler dispatch, one predicate each ----------

export const isMessage = (a: Activity): boolean => a.type === 'message';

/** `installationUpdate`; botbuilder counts the upgrades as add and remove too. */
export const isInstallation = (action: 'add' | 'remove') => (a: Activity): boolean =>
  a.type === 'installationUpdate' && (a.action === action || a.action === `${action}-upgrade`);

const hasMembersAdded = (a: Activity): boolean => (a.membersAdded?.length ?? 0) > 0;
const hasMembersRemoved = (a: Activity): boolean => (a.membersRemoved?.length ?? 0) > 0;

/** The bot is among `membersAdded` (Teams' other install signal, either may come first). */
export const isBotAdded = (a: Activity): boolean =>
  a.type === 'conversationUpdate' && hasMembersAdded(a) && a.membersAdded!.some((m) => m.id === a.recipient.id);

/** The bot is among `membersRemoved` (botbuilder looks at removals only when nobody was added). */
export const isBotRemoved = (a: Activity): boolean =>
  a.type === 'conversationUpdate' && !hasMembersAdded(a) && hasMembersRemoved(a) && a.membersRemoved!.some((m) => m.id === a.recipient.id);

export type TeamsEventType =
  | 'channelCreated' | 'channelRenamed' | 'channelDeleted' | 'channelRestored'
  | 'teamRenamed' | 'teamDeleted' | 'teamHardDeleted' | 'teamRestored';

/** A Teams `conversationUpdate` with `channelData.eventType` (and no member changes, which botbuilder dispatches first). */
export const isTeamsEvent = (eventType: TeamsEventType) => (a: Activity): boolean =>
  a.type === 'conversationUpdate' && a.channelId === 'msteams' && !hasMembersAdded(a) && !hasMembersRemoved(a) &&
  (a.channelData as { eventType?: unknown } | undefined)?.eventType === eventType;

/** The channel and team a Teams event names, as botbuilder hands them to its channel and team handlers. */
export function eventSubjects(context: TurnContext): { channel: ChannelInfo; team: TeamInfo } {
  const data = context.activity.channelData as { channel: ChannelInfo; team: TeamInfo };
  return { channel: data.channel, team: data.team };
}
