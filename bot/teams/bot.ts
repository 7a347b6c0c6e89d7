/**
 * The router: the tenant gate, then the route table (routes.ts) — events by selector, invokes by
 * name, commands by parsed kind, card verbs by verb — and the one log line per turn. Handlers
 * live in bot/handlers and bot/verbs; this class only dispatches.
 */
import { type Activity, INVOKE_RESPONSE_KEY, type InvokeResponse, type TurnContext } from 'botbuilder';
import type { Command } from '../commands/parse';
import type { Services } from '../services';
import type { Verb } from '../verbs/verb';
import { teamIdOf, tenantAllowed } from './activity';
import { unsupportedInvoke } from './invokeResponses';
import { outcomeOf, setOutcome } from './outcome';
import type { CommandRoute, Dispatch, EventRoute, InvokeRoute, Route } from './route';
import { ROUTES } from './routes';
import { refuseTenant } from './tenantGate';
import { markTurn } from './turnDone';

export interface TurnRunner {
  run(context: TurnContext): Promise<void>;
}

/** The routes indexed for dispatch; a name listed twice is a mistake in the table, refused at start. */
export class RouteIndex {
  private readonly events: readonly EventRoute[];
  private readonly invokes = new Map<string, InvokeRoute>();
  private readonly commands = new Map<string, CommandRoute>();
  private readonly verbs = new Map<string, Verb>();

  constructor(routes: readonly Route[]) {
    const seen = new Set<string>();
    for (const route of routes) {
      const key = `${route.on} ${route.name}`;
      if (seen.has(key)) throw new Error(`route table: ${key} is listed twice`);
      seen.add(key);
      if (route.on === 'invoke') this.invokes.set(route.name, route);
      else if (route.on === 'command') this.commands.set(route.name, route);
      else if (route.on === 'verb') this.verbs.set(route.name, route.run);
    }
    this.events = routes.filter((r): r is EventRoute => r.on === 'event');
  }

  /** The events `activity` is, in table order (the selectors are exclusive). */
  eventsFor(activity: Activity): EventRoute[] {
    return this.events.filter((r) => r.select(activity));
  }

  invoke(name: unknown): InvokeRoute | undefined {
    return typeof name === 'string' ? this.invokes.get(name) : undefined;
  }

  command(kind: Command['kind']): CommandRoute | undefined {
    return this.commands.get(kind);
  }

  verb(name: string): Verb | undefined {
    return this.verbs.get(name);
  }
}

export class UploadsBot implements TurnRunner {
  private readonly routes: RouteIndex;
  /** How the message and card-action handlers reach the command and verb routes. */
  private readonly below: Dispatch;

  constructor(private readonly services: Services, routes: readonly Route[] = ROUTES) {
    this.routes = new RouteIndex(routes);
    this.below = {
      command: (context, command) => {
        const route = this.routes.command(command.kind);
        if (!route) throw new Error(`route table: no route for command ${command.kind}`);
        return route.run(context, this.services, command);
      },
      verb: (name) => this.routes.verb(name),
    };
  }

  async run(context: TurnContext): Promise<void> {
    // As botbuilder's ActivityHandler refuses it.
    if (!context?.activity?.type) throw new Error('Activity is missing its type');
    const started = this.services.clock();
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
      await this.dispatch(context);
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
          durationMs: this.services.clock() - started,
        },
        'turn',
      );
    }
  }

  private async dispatch(context: TurnContext): Promise<void> {
    if (context.activity.type !== 'invoke') {
      for (const route of this.routes.eventsFor(context.activity)) await route.run(context, this.services, this.below);
      return;
    }
    const response = await this.answerInvoke(context);
    // As botbuilder's ActivityHandler: an answer a handler already sent is not sent twice.
    if (!context.turnState.get(INVOKE_RESPONSE_KEY)) await context.sendActivity({ type: 'invokeResponse', value: response });
  }

  private answerInvoke(context: TurnContext): Promise<InvokeResponse> {
    const route = this.routes.invoke(context.activity.name);
    if (!route) {
      setOutcome(context, 'invalid:invoke');
      return Promise.resolve(unsupportedInvoke());
    }
    return route.run(context, this.services, this.below);
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
}
