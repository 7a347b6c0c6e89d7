/**
 * The router: which handler runs for which Teams activity. Handlers live one per file in
 * bot/handlers; this class only dispatches and keeps the one-line-per-turn log.
 */
import {
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type InvokeResponse,
  TeamsActivityHandler,
  type TurnContext,
} from 'botbuilder';
import { handleCardAction } from '../handlers/cardAction';
import { handleBotInstalled, handleBotRemoved, handleChannelEvent, handleTeamEvent } from '../handlers/installation';
import { handleSearch } from '../handlers/browse';
import { handleMessage } from '../handlers/message';
import { handleTokenExchange } from '../handlers/tokenExchange';
import { handleSigninFailure } from '../handlers/signinFailure';
import { handleVerifyState } from '../handlers/verifyState';
import type { Services } from '../services';
import { markTurn } from './turnDone';
import { outcomeOf, setOutcome } from './outcome';
import { badRequest } from '../handlers/respond';
import { teamIdOf, tenantAllowed } from './activity';
import { refuseTenant } from './tenantGate';

export interface TurnRunner {
  run(context: TurnContext): Promise<void>;
}


export class UploadsBot extends TeamsActivityHandler {
  constructor(private readonly services: Services) {
    super();
    this.onMessage(async (context, next) => {
      await handleMessage(context, this.services);
      await next();
    });

    // Installs: Teams sends both installationUpdate and conversationUpdate (bot in membersAdded); either may come first.
    this.onInstallationUpdateAdd(async (context, next) => {
      await handleBotInstalled(context, this.services);
      await next();
    });
    this.onInstallationUpdateRemove(async (context, next) => {
      await handleBotRemoved(context, this.services);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      if (context.activity.membersAdded?.some((m) => m.id === context.activity.recipient.id)) await handleBotInstalled(context, this.services);
      await next();
    });
    this.onMembersRemoved(async (context, next) => {
      if (context.activity.membersRemoved?.some((m) => m.id === context.activity.recipient.id)) await handleBotRemoved(context, this.services);
      await next();
    });
    this.onTeamsChannelCreatedEvent(async (channel, team, context, next) => {
      await handleChannelEvent(context, this.services, 'created', channel, team);
      await next();
    });
    this.onTeamsChannelRenamedEvent(async (channel, team, context, next) => {
      await handleChannelEvent(context, this.services, 'renamed', channel, team);
      await next();
    });
    this.onTeamsChannelDeletedEvent(async (channel, team, context, next) => {
      await handleChannelEvent(context, this.services, 'deleted', channel, team);
      await next();
    });
    this.onTeamsChannelRestoredEvent(async (channel, team, context, next) => {
      await handleChannelEvent(context, this.services, 'restored', channel, team);
      await next();
    });
    this.onTeamsTeamRenamedEvent(async (team, context, next) => {
      await handleTeamEvent(context, this.services, 'renamed', team);
      await next();
    });
    this.onTeamsTeamDeletedEvent(async (team, context, next) => {
      await handleTeamEvent(context, this.services, 'deleted', team);
      await next();
    });
    this.onTeamsTeamHardDeletedEvent(async (team, context, next) => {
      await handleTeamEvent(context, this.services, 'hardDeleted', team);
      await next();
    });
    this.onTeamsTeamRestoredEvent(async (team, context, next) => {
      await handleTeamEvent(context, this.services, 'restored', team);
      await next();
    });
  }

  override async run(context: TurnContext): Promise<void> {
    const started = Date.now();
    let outcome = 'ok';
    const turnEnded = markTurn(context);
    const { tenantId, allowed } = tenantAllowed(context.activity, this.services.config.sso.allowedTenants);
    try {
      // Below the HTTP layer and above every handler: nothing of another tenant's runs or is stored.
      if (!allowed) {
        outcome = await refuseTenant(context, this.services.log, tenantId);
        return;
      }
      await this.resumeSuspended(context);
      await super.run(context);
      outcome = outcomeOf(context) ?? 'ok';
    } catch (err) {
      outcome = 'error';
      throw err;
    } finally {
      turnEnded();
      const a = context.activity;
      this.services.log.info(
        {
          conversation: a.conversation?.id,
          conversationType: a.conversation?.conversationType ?? 'personal',
          activityType: a.type,
          name: a.name,
          tenantId: tenantId ?? null,
          outcome,
          durationMs: Date.now() - started,
        },
        'turn',
      );
    }
  }

  /**
   * Someone in a team channel talked to the bot (a message or an invoke): Teams' table says a
   * conversation suspended for BotDisabledByAdmin / ConversationBlockedByUser / MessageWritesBlocked
   * is no longer blocked then, so that channel follows changes again.
   */
  private async resumeSuspended(context: TurnContext): Promise<void> {
    const a = context.activity;
    if (a.type !== 'message' && a.type !== 'invoke') return;
    const teamId = teamIdOf(a);
    const channelId = (a.channelData as { channel?: { id?: unknown } } | undefined)?.channel?.id ?? a.conversation?.id?.split(';')[0];
    if (!teamId || typeof channelId !== 'string') return;
    try {
      const resumed = await this.services.notifications.registry.resumeIfSuspended(teamId, channelId);
      if (resumed.length) this.services.log.info({ teamId, channels: resumed }, 'suspended channels resumed: someone in the team talked to the bot');
    } catch (err) {
      this.services.log.warn({ err, teamId }, 'could not resume suspended channels; the next interaction tries again');
    }
  }

  protected override async onAdaptiveCardInvoke(context: TurnContext, value: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    return handleCardAction(context, value, this.services);
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    switch (context.activity.name) {
      case 'signin/tokenExchange':
        return handleTokenExchange(context, this.services);
      case 'signin/verifyState':
        return handleVerifyState(context, this.services);
      case 'signin/failure':
        return handleSigninFailure(context, this.services);
      case 'application/search':
        // The upload picker's typeahead (Input.ChoiceSet choices.data, dataset "uploads").
        return handleSearch(context, this.services);
      case 'adaptiveCard/action': {
        // botbuilder reads value.action.type before any handler: a payload without an action is the
        // client's mistake, answered as Universal Actions' 400 rather than a thrown turn.
        const action = (context.activity.value as { action?: unknown } | undefined)?.action;
        if (typeof action !== 'object' || action === null || Array.isArray(action)) {
          setOutcome(context, 'invalid:action');
          return { status: 200, body: badRequest('The card action carries no action.') };
        }
        // Universal Actions carry their outcome in the body ({statusCode, type, value}); the HTTP
        // status stays 200, as Microsoft's Teams samples send it (CreateInvokeResponse) — botbuilder
        // would copy statusCode into the HTTP status, and Teams then ignores a 412's sign-in fallback.
        const response = await super.onInvokeActivity(context);
        return typeof (response.body as { statusCode?: unknown } | undefined)?.statusCode === 'number' ? { ...response, status: 200 } : response;
      }
      default:
        // Message extensions, task modules and the rest are not features of this bot (its manifest
        // declares none): a clear 400, not botbuilder's 501.
        setOutcome(context, 'invalid:invoke');
        return { status: 400, body: { error: { code: 'UnsupportedInvoke', message: 'This bot does not handle this invoke.' } } };
    }
  }
}
