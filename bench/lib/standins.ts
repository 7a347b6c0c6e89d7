/**
 * The stand-ins a bench or soak drives bots through, in this process on free ports, and the
 * environment a bot needs to use them: env/.env.local with the URLs replaced. test/support/world.ts
 * configures its in-process bot from the same botEnv().
 */
import { ensureCerts, type SandboxCerts } from '../../sandbox/certs';
import { BOT_APP, SSO_APP } from '../../sandbox/directory';
import { startEntra, type EntraStandIn } from '../../sandbox/entra';
import { startGraph, type GraphStandIn, type StartGraphOptions } from '../../sandbox/graph';
import { startTeams, TEAMS_RATE_LIMITS, type RateLimits, type TeamsStandIn } from '../../sandbox/teams';
import { standInUrls } from '../../sandbox/launch/botEnv';
import { envLocal } from './root';

export interface StandIns {
  certs: SandboxCerts;
  entra: EntraStandIn;
  graph: GraphStandIn;
  teams: TeamsStandIn;
  /** Environment for `node dist/bot/index.js` (and the echo bot) pointed at these stand-ins. */
  botEnv(overrides?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

/**
 * Teams' throttling of the bot's sends (7/s per conversation, 50 RPS per tenant) would cap a
 * throughput bench at the stand-in's limiter: benches that measure the bot's own cost lift it,
 * for the echo bot and the bot alike, and say so in the results.
 */
export const UNTHROTTLED: RateLimits = {
  perConversation: {
    send: [{ seconds: 1, max: Number.MAX_SAFE_INTEGER }],
    create: [{ seconds: 1, max: Number.MAX_SAFE_INTEGER }],
    members: [{ seconds: 1, max: Number.MAX_SAFE_INTEGER }],
    conversations: [{ seconds: 1, max: Number.MAX_SAFE_INTEGER }],
  },
  perAppPerTenantPerSecond: Number.MAX_SAFE_INTEGER,
};

export interface StandInOptions {
  rateLimits?: RateLimits;
  tokenExchangeCopies?: number;
  /** The Graph stand-in's schema mode and PATCH answer (default: documented, Intune's 204). */
  graph?: Pick<StartGraphOptions, 'schema' | 'patchResponse'>;
}

export async function startStandIns(opts: StandInOptions = {}): Promise<StandIns> {
  const certs = ensureCerts();
  const entra = await startEntra({ certs, port: 0 });
  const graph = await startGraph({ certs, entraUrl: entra.url, port: 0, ...opts.graph });
  const teams = await startTeams({
    certs,
    port: 0,
    entra,
    botAppId: BOT_APP.id,
    ssoAppIdUri: SSO_APP.appIdUri,
    tokenExchangeCopies: opts.tokenExchangeCopies,
    rateLimits: opts.rateLimits ?? TEAMS_RATE_LIMITS,
  });
  const local = envLocal();
  return {
    certs,
    entra,
    graph,
    teams,
    botEnv: (overrides = {}) => ({
      ...local,
      NODE_EXTRA_CA_CERTS: certs.caPath,
      ...standInUrls({ channelUrl: teams.url, openIdMetadataUrl: teams.openIdMetadataUrl, entraUrl: entra.url, graphUrl: graph.url }),
      AZURE_STORAGE_CONNECTION_STRING: '',
      LOG_LEVEL: 'info',
      // The sign-in pages' base URL: the in-process bot on loopback at the port it is given.
      PUBLIC_URL: `http://127.0.0.1:${overrides.PORT ?? local.PORT ?? '3978'}`,
      ...overrides,
    }),
    async close() {
      await teams.settled().catch(() => undefined);
      await teams.close();
      await graph.close();
      await entra.close();
    },
  };
}
