/**
 * The route table: every behaviour of the bot on Teams, by name. The router (bot.ts) runs the
 * tenant gate first, then the routes: events by their selector, invokes by name, commands by
 * their parsed kind, card verbs by verb. Anything not listed here the bot does not do: an
 * unlisted invoke is answered 400 UnsupportedInvoke, an unlisted verb 400 BadRequest.
 */
import { CARD_VERBS } from '../../cards/ids';
import { handleSearch } from '../handlers/browse';
import { handleCardActionInvoke } from '../handlers/cardAction';
import * as chat from '../handlers/chat';
import { handleBotInstalled, handleBotRemoved, handleChannelEvent, handleTeamEvent } from '../handlers/installation';
import { handleMessage } from '../handlers/message';
import { handleSigninFailure } from '../handlers/signinFailure';
import { handleSubscriptionCommand } from '../handlers/subscriptions';
import { handleTokenExchange } from '../handlers/tokenExchange';
import { handleVerifyState } from '../handlers/verifyState';
import { browse } from '../verbs/browse';
import { cancelChange } from '../verbs/cancelChange';
import { changeStatus } from '../verbs/changeStatus';
import { confirmChange } from '../verbs/confirmChange';
import { refreshChange } from '../verbs/refreshChange';
import { runDiag } from '../verbs/runDiag';
import { showUpload } from '../verbs/showUpload';
import {
  command,
  event,
  type EventRoute,
  eventSubjects,
  invoke,
  isBotAdded,
  isBotRemoved,
  isInstallation,
  isMessage,
  isTeamsEvent,
  type Route,
  verb,
} from './route';

/** Teams' channel and team events, with the channel and team they name. */
const onChannel = (change: Parameters<typeof handleChannelEvent>[2]): EventRoute['run'] => (c, s) =>
  handleChannelEvent(c, s, change, eventSubjects(c).channel, eventSubjects(c).team);
const onTeam = (change: Parameters<typeof handleTeamEvent>[2]): EventRoute['run'] => (c, s) => handleTeamEvent(c, s, change, eventSubjects(c).team);

export const ROUTES: readonly Route[] = [
  // --- activities and conversation events ------------------------------------------------------
  // A message is a typed command or a card submission: it dispatches to the command and verb routes below.
  event('message', isMessage, handleMessage),
  // Installs: Teams sends both installationUpdate and conversationUpdate (bot in membersAdded); either may come first.
  event('installationUpdate.add', isInstallation('add'), (c, s) => handleBotInstalled(c, s)),
  event('installationUpdate.remove', isInstallation('remove'), (c, s) => handleBotRemoved(c, s)),
  event('membersAdded.bot', isBotAdded, (c, s) => handleBotInstalled(c, s)),
  event('membersRemoved.bot', isBotRemoved, (c, s) => handleBotRemoved(c, s)),
  event('channelCreated', isTeamsEvent('channelCreated'), onChannel('created')),
  event('channelRenamed', isTeamsEvent('channelRenamed'), onChannel('renamed')),
  event('channelDeleted', isTeamsEvent('channelDeleted'), onChannel('deleted')),
  event('channelRestored', isTeamsEvent('channelRestored'), onChannel('restored')),
  event('teamRenamed', isTeamsEvent('teamRenamed'), onTeam('renamed')),
  event('teamDeleted', isTeamsEvent('teamDeleted'), onTeam('deleted')),
  event('teamHardDeleted', isTeamsEvent('teamHardDeleted'), onTeam('hardDeleted')),
  event('teamRestored', isTeamsEvent('teamRestored'), onTeam('restored')),

  // --- invokes, by name ------------------------------------------------------------------------
  invoke('signin/tokenExchange', (c, s) => handleTokenExchange(c, s)), // message-level SSO
  invoke('signin/verifyState', (c, s) => handleVerifyState(c, s)), // after the sign-in pages
  invoke('signin/failure', (c, s) => handleSigninFailure(c, s)),
  invoke('application/search', (c, s) => handleSearch(c, s)), // the upload picker's typeahead (dataset "uploads")
  invoke('adaptiveCard/action', (c, s, d) => handleCardActionInvoke(c, s, d.verb)), // Universal Actions: the verbs below

  // --- commands, by parsed kind (commands/parse.ts) --------------------------------------------
  command('help', chat.showHelp),
  command('openForm', chat.openForm),
  command('setStatus', chat.setStatus),
  command('show', chat.browse),
  command('listUploads', chat.browse),
  command('showImports', chat.browse),
  command('showImport', chat.browse),
  command('diag', chat.diag),
  command('signOut', chat.signOut),
  command('subscribe', handleSubscriptionCommand),
  command('unsubscribe', handleSubscriptionCommand),
  command('subscriptions', handleSubscriptionCommand),

  // --- card verbs (cards/ids.ts), Action.Execute and its Action.Submit fallback alike ------------
  verb(CARD_VERBS.refreshChange, refreshChange),
  verb(CARD_VERBS.confirmChange, confirmChange),
  verb(CARD_VERBS.cancelChange, cancelChange),
  verb(CARD_VERBS.showUpload, showUpload),
  verb(CARD_VERBS.browse, browse),
  verb(CARD_VERBS.changeStatus, changeStatus),
  verb(CARD_VERBS.runDiag, runDiag),
];
