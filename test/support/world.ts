/**
 * The whole product for a test: Entra, Graph and Teams stand-ins on free ports, and the real
 * bot in production auth mode (signed inbound activities, outbound tokens), configured through
 * the same contract as in a tenant — only the URLs differ. The stand-ins and the bot's environment
 * come from bench/lib/standins.ts, so tests, benchmarks and the soak configure the bot identically.
 */
import { Writable } from 'node:stream';
import { freePort } from '../../bench/lib/processes';
import { startStandIns, type StandInOptions } from '../../bench/lib/standins';
import { createApp, type AppOptions, type BotApp } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/log';
import type { EntraStandIn } from '../../sandbox/entra';
import type { GraphStandIn } from '../../sandbox/graph';
import type { RateLimits, TeamsStandIn } from '../../sandbox/teams';

export interface World {
  entra: EntraStandIn;
  graph: GraphStandIn;
  teams: TeamsStandIn;
  bot: BotApp;
  botUrl: string;
  /** Every log line the bot wrote, as text. */
  logs(): string;
  close(): Promise<void>;
}

export interface WorldOptions {
  invokeBudgetMs?: number;
  /** The Graph stand-in's schema mode and PATCH answer. */
  graph?: StandInOptions['graph'];
  tokenExchangeCopies?: number;
  env?: Record<string, string>;
  /** Outbox worker and pacing settings (notification tests shorten the visibility timeout and polling). */
  notifications?: AppOptions['notifications'];
  /** The clock stored lifetimes are judged on, and the sweeper's pace (state tests). */
  state?: Pick<AppOptions, 'clock' | 'sweeper'>;
  /** Teams' throttling of the bot's sends (default: Teams' own limits); the fuzz suite lifts it. */
  rateLimits?: RateLimits;
  /** The bot's budget for one Graph operation (default the configuration's 10 s): outcome tests shorten it. */
  graphTimeoutMs?: number;
}

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const standIns = await startStandIns({ tokenExchangeCopies: opts.tokenExchangeCopies, graph: opts.graph, rateLimits: opts.rateLimits });
  const { entra, graph, teams } = standIns;
  // The port is chosen first: the bot's PUBLIC_URL (its sign-in pages, Entra's redirect_uri) names it.
  const port = await freePort();
  const config = loadConfig(standIns.botEnv({ PORT: String(port), LOG_LEVEL: 'debug', ...opts.env }));
  if (opts.graphTimeoutMs) config.graph.timeoutMs = opts.graphTimeoutMs;
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const bot = createApp(config, { logger: createLogger('debug', sink), invokeBudgetMs: opts.invokeBudgetMs, notifications: opts.notifications, ...opts.state });
  const botUrl = await bot.listen(port, '127.0.0.1');
  teams.setBotEndpoint(`${botUrl}/api/messages`);
  return {
    entra,
    graph,
    teams,
    bot,
    botUrl,
    logs: () => lines.join(''),
    close: async () => {
      await teams.settled().catch(() => undefined);
      await bot.close();
      await standIns.close();
    },
  };
}
