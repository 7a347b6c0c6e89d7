/**
 * The composition root: builds every piece from a validated BotConfig. The entry file and the
 * tests both start the bot through here, so they run the same thing.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'restify';
import { createAdapter } from './adapter';
import type { BotConfig } from './config';
import { GraphOfferings } from './graph/offerings';
import { graphScope } from './graph/uploads';
import { createLogger, type Logger } from './log';
import { changeSettler, channelSender, Notifications, type PacingLimits, type WorkerOptions } from './notifications';
import { createServer } from './server';
import type { Services } from './services';
import { uploadsClientFactory } from './services';
import { UserCredentials } from './sso/credentials';
import { SsoService } from './sso/service';
import { SsoTokenValidator } from './sso/validate';
import { PendingChanges } from './state/changes';
import { ParkedCommands } from './state/parked';
import { RecentReads } from './state/recentReads';
import { createStorage } from './state/storage';
import { UploadsBot } from './teams/bot';

export interface BotApp {
  server: Server;
  services: Services;
  /** Starts listening; resolves with the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** Tests shorten the invoke budget to exercise the "updating…" path. */
  invokeBudgetMs?: number;
  /** Tests and benchmarks tune the outbox worker (poll interval, visibility timeout, backoff). */
  notifications?: { worker?: Partial<WorkerOptions>; pacing?: PacingLimits };
}

export function createApp(config: BotConfig, options: AppOptions = {}): BotApp {
  const log = options.logger ?? createLogger(config.logLevel);

  const { storage, durable } = createStorage(config.storage);
  if (!durable) log.warn('AZURE_STORAGE_CONNECTION_STRING is not set: state is in memory, lost on restart and not shared between instances.');

  const adapter = createAdapter(config.bot);
  adapter.onTurnError = async (context, error) => {
    const correlationId = randomUUID();
    log.error({ err: error, correlationId, conversation: context.activity.conversation?.id, activityType: context.activity.type }, 'turn failed');
    if (context.activity.type === 'message') {
      await context
        .sendActivity(`Sorry — something went wrong on the bot's side and nothing was changed. (reference ${correlationId})`)
        .catch(() => undefined);
    }
  };

  const validator = new SsoTokenValidator({
    authorityHost: config.sso.authorityHost,
    clientId: config.sso.clientId,
    appIdUri: config.sso.appIdUri,
    allowedTenants: config.sso.allowedTenants,
  });
  const credentials = new UserCredentials({
    clientId: config.sso.clientId,
    clientSecret: config.sso.clientSecret,
    authorityHost: config.sso.authorityHost,
  });
  const sso = new SsoService(validator, credentials, {
    appIdUri: config.sso.appIdUri,
    clientId: config.sso.clientId,
    authorityHost: config.sso.authorityHost,
    graphScope: graphScope(config.graph.baseUrl),
  });

  const changes = new PendingChanges(storage);
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
    resolveSettle: changeSettler(changes),
  });

  const services: Services = {
    config,
    log,
    adapter,
    sso,
    changes,
    parked: new ParkedCommands(storage),
    uploads: uploadsClientFactory(config.graph, offerings),
    offerings,
    // Refreshes of one card by one user's clients land within seconds of each other.
    recent: { uploads: new RecentReads({ ttlMs: 5_000, maxEntries: 1_000 }), diag: new RecentReads({ ttlMs: 5_000, maxEntries: 200 }) },
    invokeBudgetMs: options.invokeBudgetMs ?? 4500,
    notifications,
    changeClaimed: (changeKey) => notifications.prepare(changeKey),
    changeApplied: async (change) => {
      await notifications.announce({
        uploadId: change.uploadId,
        status: change.status,
        previousStatus: change.previousStatus,
        by: change.by,
        at: change.at,
        where: change.where,
        source: 'bot',
      });
    },
    continueConversation: (reference, logic) => adapter.continueConversationAsync(config.bot.id ?? '', reference, logic),
  };
  const bot = new UploadsBot(services);
  const server = createServer({ adapter, bot, log, notify: config.notify.keys.length ? { keys: config.notify.keys, notifications } : undefined });

  return {
    server,
    services,
    listen: async (port = config.port, host = config.host) => {
      // The outbox first: a bot that cannot reach its queue should not accept changes it cannot announce.
      await notifications.start();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const { port: actual } = server.address() as AddressInfo;
          resolve(`http://${host}:${actual}`);
        });
      });
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.server.closeAllConnections?.();
        server.close(() => resolve());
      });
      await notifications.stop();
    },
  };
}
