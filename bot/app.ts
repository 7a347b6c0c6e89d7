/**
 * The composition root: builds every piece from a validated BotConfig. The entry file and the
 * tests both start the bot through here, so they run the same thing.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'restify';
import { createAdapter } from './adapter';
import { type Clock, systemClock } from './clock';
import type { BotConfig } from './config';
import { Drain, trackRequests, type DrainResult } from './drain';
import { TOKEN_EXCHANGE_BUDGET_MS } from './timeouts';
import { GraphOfferings } from './graph/offerings';
import { graphScope } from './graph/uploads';
import { createLogger, type Logger } from './log';
import { changeRecovery, channelSender, DEFAULT_WORKER_OPTIONS, Notifications, type PacingLimits, type WorkerOptions } from './notifications';
import { createServer, type HttpTimeouts } from './http/server';
import { CONSENT_SCOPE, signinRoutes } from './signin/pages';
import { SignInStates, signInStateKey } from './signin/state';
import type { Services } from './services';
import { uploadsClientFactory } from './services';
import { UserCredentials } from './sso/credentials';
import { SsoService } from './sso/service';
import { SsoTokenValidator } from './sso/validate';
import { CLAIM_STALE_MS, PendingChanges } from './state/changes';
import { ChangeService } from './changes/service';
import { ParkedCommands } from './state/parked';
import { sweepRules } from './state/rules';
import { RecentReads } from './state/recentReads';
import { createStorage } from './state/storage';
import type { StateStore } from './state/store';
import { DEFAULT_SWEEPER_OPTIONS, Sweeper, type SweeperOptions } from './state/sweeper';
import { UploadsBot } from './teams/bot';

export interface BotApp {
  server: Server;
  services: Services;
  /** Starts listening; resolves with the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /**
   * Stops accepting connections, lets requests and late card updates in flight finish (up to
   * `deadlineMs`, default config.shutdown.deadlineMs), releases the outbox jobs this instance
   * holds and stops its worker. `clean` is false when the deadline cut work short.
   */
  close(deadlineMs?: number): Promise<DrainResult>;
  /** What is in flight right now (requests, late card updates). */
  readonly drain: Drain;
  /** The state store and the sweeper that deletes what has outlived its lifetime. */
  state: { store: StateStore; sweeper: Sweeper };
}

export interface AppOptions {
  logger?: Logger;
  /** Tests shorten the invoke budget to exercise the "updating…" path. */
  invokeBudgetMs?: number;
  /** Tests shorten the Connector send timeout (default CONNECTOR_SEND_TIMEOUT_MS). */
  sendTimeoutMs?: number;
  /** Tests and benchmarks tune the outbox worker (poll interval, visibility timeout, backoff). */
  notifications?: { worker?: Partial<WorkerOptions>; pacing?: PacingLimits };
  /** The clock stored items' lifetimes are judged on (tests advance it past them). */
  clock?: Clock;
  /** Tests sweep on demand or often. */
  sweeper?: Partial<SweeperOptions>;
  /** Tests shorten the HTTP timeouts (slow headers) instead of waiting for the defaults. */
  httpTimeouts?: Partial<HttpTimeouts>;
}

export function createApp(config: BotConfig, options: AppOptions = {}): BotApp {
  const log = options.logger ?? createLogger(config.logLevel);

  const clock = options.clock ?? systemClock;
  const { storage, durable } = createStorage(config.storage, clock);
  if (!durable) log.warn('AZURE_STORAGE_CONNECTION_STRING is not set: state is in memory, lost on restart and not shared between instances.');

  const drain = new Drain();
  const adapter = createAdapter(config.bot, options.sendTimeoutMs);
  adapter.onTurnError = async (context, error) => {
    const correlationId = randomUUID();
    log.error({ err: error, correlationId, conversation: context.activity.conversation?.id, activityType: context.activity.type }, 'turn failed');
    // Never the error's own message: it can name hosts, keys or Graph internals. The reference
    // finds the log line.
    if (context.activity.type === 'message') {
      await context
        .sendActivity(`Sorry — something went wrong on the bot's side and nothing was changed. (reference ${correlationId})`)
        .catch(() => undefined);
    } else if (context.activity.type === 'invoke') {
      await context
        .sendActivity({ type: 'invokeResponse', value: { status: 500, body: { error: { code: 'InternalError', message: `Internal error (reference ${correlationId})` } } } })
        .catch(() => undefined);
    }
  };

  const validator = new SsoTokenValidator({
    authorityHost: config.sso.authorityHost,
    clientId: config.sso.clientId,
    appIdUri: config.sso.appIdUri,
    allowedTenants: config.sso.allowedTenants,
    clientAppIds: config.sso.clientAppIds,
  });
  const credentials = new UserCredentials({
    clientId: config.sso.clientId,
    clientSecret: config.sso.clientSecret,
    authorityHost: config.sso.authorityHost,
  });
  const signInStates = new SignInStates(signInStateKey(config.sso.clientSecret));
  const sso = new SsoService(validator, credentials, {
    appIdUri: config.sso.appIdUri,
    clientId: config.sso.clientId,
    authorityHost: config.sso.authorityHost,
    graphScope: graphScope(config.graph.baseUrl),
    signIn: { publicUrl: config.publicUrl, states: signInStates },
  });

  const changes = new PendingChanges(storage, clock, undefined, { retentionMs: config.retention.settledMs, allowedTenants: config.sso.allowedTenants });
  const sweeper = new Sweeper(storage, sweepRules(config, { ...DEFAULT_WORKER_OPTIONS, ...options.notifications?.worker }), log, { ...DEFAULT_SWEEPER_OPTIONS, ...options.sweeper });
  const offerings = new GraphOfferings((err) =>
    log.warn({ graphHost: err.details.graphHost, apiVersion: err.details.apiVersion, segment: err.details.segment, requestId: err.details.requestId },
      'Microsoft Graph does not offer the Autopilot uploads collection in this API version (GRAPH_API_VERSION)'));
  const notifications = new Notifications({
    storage,
    connectionString: config.storage.connectionString,
    queueName: config.notifications.queueName,
    // The token audience of outbound Connector calls: the channel's scope (botbuilder's own default).
    send: channelSender(adapter, config.bot.id ?? '', config.bot.frameworkAuth.ToChannelFromBotOAuthScope ?? 'https://api.botframework.com'),
    log,
    worker: options.notifications?.worker,
    pacing: options.notifications?.pacing,
    resolveRecovery: changeRecovery(changes),
    allowedTenants: config.sso.allowedTenants,
    clock,
  });

  const services: Services = {
    config,
    log,
    clock,
    adapter,
    sso,
    changes,
    parked: new ParkedCommands(storage, clock, { allowedTenants: config.sso.allowedTenants }),
    signInStates,
    uploads: uploadsClientFactory(config.graph, offerings, clock),
    offerings,
    // Refreshes of one card by one user's clients land within seconds of each other.
    recent: { uploads: new RecentReads({ ttlMs: 5_000, maxEntries: 1_000 }), diag: new RecentReads({ ttlMs: 5_000, maxEntries: 200 }) },
    invokeBudgetMs: options.invokeBudgetMs ?? 4500,
    tokenExchangeBudgetMs: TOKEN_EXCHANGE_BUDGET_MS,
    notifications,
    changeService: new ChangeService({
      changes,
      uploads: uploadsClientFactory(config.graph, offerings, clock),
      announce: async (notice, deliveryId) => {
        await notifications.announce(notice, deliveryId);
      },
      prepareRecovery: (changeKey) => notifications.prepare(changeKey),
      policy: { staleAfterMs: CLAIM_STALE_MS, patchBudgetMs: config.graph.timeoutMs },
      log,
      now: clock,
    }),
    track: (work, what) => drain.track(work, what),
    continueConversation: (reference, logic) => adapter.continueConversationAsync(config.bot.id ?? '', reference, logic),
  };
  const bot = new UploadsBot(services);
  const routes = signinRoutes({ publicUrl: config.publicUrl, authorityHost: config.sso.authorityHost, clientId: config.sso.clientId, consentScope: CONSENT_SCOPE, states: signInStates, log });
  const server = createServer({
    adapter,
    bot,
    log,
    routes,
    notify: config.notify.keys.length ? { keys: config.notify.keys, perKeyPerMinute: config.notify.perKeyPerMinute, notifications } : undefined,
    timeouts: options.httpTimeouts,
    clock,
  });
  trackRequests(server.server, drain);

  return {
    server,
    services,
    state: { store: storage, sweeper },
    listen: async (port = config.port, host = config.host) => {
      // The outbox first: a bot that cannot reach its queue should not accept changes it cannot announce.
      await notifications.start();
      sweeper.start();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const { port: actual } = server.address() as AddressInfo;
          resolve(`http://${host}:${actual}`);
        });
      });
    },
    drain,
    close: async (deadlineMs = config.shutdown.deadlineMs) => {
      const started = clock();
      // No new connections; idle keep-alive ones go now, busy ones once their answer is sent.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.server.closeIdleConnections?.();
      const result = await drain.settled(deadlineMs);
      server.server.closeAllConnections?.();
      await closed;
      // The worker keeps posting while turns finish (their announcements), then hands back what it holds.
      await notifications.stop();
      await sweeper.stop();
      await (storage as { close?: () => Promise<void> }).close?.();
      log.info({ durationMs: clock() - started, clean: result.clean, pending: result.pending }, 'bot stopped');
      return result;
    },
  };
}
