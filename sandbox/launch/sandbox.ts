/**
 * The whole sandbox, in order, each part checked ready before the next starts: Azurite, the
 * Entra ID and Graph stand-ins, the Teams channel bridge, the bot (a child process in production
 * auth mode, configured from env/.env.local), then the Agents Playground pointed at the bridge.
 * A part that fails stops everything already started and rejects with that part's error.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawnAzurite, type RunningAzurite } from '../azurite';
import { startBridge, type Bridge } from '../bridge';
import { ensureCerts } from '../certs';
import { BOT_APP, SSO_APP, USERS, type UserKey } from '../directory';
import { startEntra, type EntraStandIn } from '../entra';
import { parseGraphSchema, SEED, startGraph, type GraphStandIn } from '../graph';
import { botEnv } from './botEnv';
import { spawnNode, waitUntilReady, type NodeChild } from './child';
import { playgroundConfigYaml, PLAYGROUND_BOT_NAME } from './playgroundConfig';
import { assertPortsFree, resolvePorts, type SandboxPorts } from './ports';

export interface SandboxOptions {
  /** The repository root (env/, dist/, node_modules/, .sandbox/). */
  root: string;
  /** Where port overrides, SANDBOX_USER, GRAPH_SCHEMA and LOG_LEVEL are read from. */
  env: Record<string, string | undefined>;
  /** Progress lines ("Azurite ready"). */
  progress?: (line: string) => void;
}

export interface RunningSandbox {
  ports: SandboxPorts;
  playgroundUrl: string;
  user: UserKey;
  entra: EntraStandIn;
  graph: GraphStandIn;
  bridge: Bridge;
  logDir: string;
  /** Resolves (never rejects) with a message when a child process dies on its own. */
  unexpectedExit: Promise<string>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/** Pins the Playground's servers to 127.0.0.1 (compiled beside this file; the launcher runs from dist/). */
const LOOPBACK_PRELOAD = path.join(__dirname, 'loopbackPreload.js');

export function sandboxUser(env: Record<string, string | undefined>): UserKey {
  const key = (env.SANDBOX_USER ?? 'alex').toLowerCase();
  if (!(key in USERS)) throw new Error(`SANDBOX_USER=${env.SANDBOX_USER} is not a sandbox user (one of: ${Object.keys(USERS).join(', ')})`);
  return key as UserKey;
}

/** Any HTTP answer below 500 at the URL. */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export async function startSandbox(opts: SandboxOptions): Promise<RunningSandbox> {
  const say = opts.progress ?? (() => undefined);
  const ports = resolvePorts(opts.env);
  const user = sandboxUser(opts.env);
  await assertPortsFree(ports);

  const logDir = path.join(opts.root, '.sandbox', 'logs');
  const playgroundDir = path.join(opts.root, '.sandbox', 'playground');
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(playgroundDir, { recursive: true });

  const stops: Array<() => Promise<void>> = [];
  const children: NodeChild[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };

  try {
    const certs = ensureCerts();

    const azurite: RunningAzurite = await spawnAzurite({
      blobPort: ports.azuriteBlob,
      queuePort: ports.azuriteQueue,
      readyTimeoutMs: READY_TIMEOUT_MS,
    }).catch((err: Error) => {
      throw new Error(`Azurite (state store) failed to start: ${err.message}`);
    });
    stops.push(() => azurite.stop());
    say(`Azurite          http://127.0.0.1:${azurite.blobPort} (blob), :${azurite.queuePort} (queue)`);

    const entra = await startEntra({ certs, port: ports.entra });
    stops.push(() => entra.close());
    say(`Entra ID         ${entra.url}`);

    const graph = await startGraph({ certs, entraUrl: entra.url, port: ports.graph, schema: parseGraphSchema(opts.env.GRAPH_SCHEMA) });
    stops.push(() => graph.close());
    say(`Microsoft Graph  ${graph.url} (${graph.mode.schema} schema)`);

    const playgroundServiceUrl = `http://127.0.0.1:${ports.playground}/_connector`;
    const bridge = await startBridge({
      certs,
      port: ports.teams,
      entra,
      botAppId: BOT_APP.id,
      ssoAppIdUri: SSO_APP.appIdUri,
      viewer: user,
      playgroundServiceUrl,
      botEndpoint: `http://127.0.0.1:${ports.bot}/api/messages`,
    });
    stops.push(() => bridge.close());
    say(`Teams bridge     ${bridge.url}`);

    const bot = spawnNode({
      name: 'bot',
      entry: path.join(opts.root, 'dist', 'bot', 'index.js'),
      env: botEnv(
        {
          envFile: path.join(opts.root, 'env', '.env.local'),
          port: ports.bot,
          bridgeUrl: bridge.url,
          openIdMetadataUrl: bridge.openIdMetadataUrl,
          entraUrl: entra.url,
          graphUrl: graph.url,
          azurite,
          caPath: certs.caPath,
          logLevel: opts.env.LOG_LEVEL,
        },
        opts.env,
      ),
      cwd: opts.root,
      logFile: path.join(logDir, 'bot.log'),
    });
    children.push(bot);
    stops.push(() => bot.stop());
    await waitUntilReady(bot, () => answers(`http://127.0.0.1:${ports.bot}/healthz`), READY_TIMEOUT_MS);
    say(`bot              http://127.0.0.1:${ports.bot}/api/messages`);

    const configPath = path.join(playgroundDir, '.m365agentsplayground.yml');
    fs.writeFileSync(configPath, playgroundConfigYaml(user));
    let listeningOn: number | undefined;
    const playground = spawnNode({
      name: 'Agents Playground',
      entry: require.resolve('@microsoft/m365agentsplayground/cli.js', { paths: [opts.root] }),
      args: ['-p', String(ports.playground), '--service-url', playgroundServiceUrl, '--disable-telemetry'],
      env: {
        ...(opts.env.PATH ? { PATH: opts.env.PATH } : {}),
        ...(opts.env.HOME ? { HOME: opts.env.HOME } : {}),
        BOT_ENDPOINT: bridge.messagesUrl,
        // Without this its telemetry library probes the cloud metadata address 169.254.169.254.
        APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: configPath,
        M365_AGENTS_PLAYGROUND_LOGFILE: path.join(logDir, 'playground-events.log'),
        // The bridge is https with the sandbox CA.
        NODE_EXTRA_CA_CERTS: certs.caPath,
        // It listens on every interface and has no option not to; NODE_OPTIONS also reaches any Node process it starts.
        NODE_OPTIONS: `--require ${JSON.stringify(LOOPBACK_PRELOAD)}`,
      },
      cwd: playgroundDir,
      logFile: path.join(logDir, 'playground.log'),
      onLine: (line) => {
        const m = /Listening on (\d+)/.exec(line);
        if (m) listeningOn = Number(m[1]);
      },
    });
    children.push(playground);
    stops.push(() => playground.stop());
    const playgroundUrl = `http://127.0.0.1:${ports.playground}/`;
    await waitUntilReady(playground, async () => listeningOn !== undefined && answers(playgroundUrl), READY_TIMEOUT_MS);
    if (listeningOn !== ports.playground) {
      // It falls back to a random port when its own is taken: the person would open the wrong one.
      throw new Error(`Agents Playground: port ${ports.playground} is already in use (set PLAYGROUND_PORT to move it)`);
    }
    say(`Agents Playground ${playgroundUrl}`);

    const unexpectedExit = new Promise<string>((resolve) => {
      for (const child of children) {
        void child.exited.then(({ code, signal }) => {
          if (!child.stopping) resolve(`${child.name} exited on its own (${signal ?? `code ${code}`}):\n${child.recentOutput()}`);
        });
      }
    });

    return {
      ports,
      playgroundUrl,
      user,
      entra,
      graph,
      bridge,
      logDir,
      unexpectedExit,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The seeded uploads a person can try, with their current status. */
export function seededUploads(graph: GraphStandIn): Array<{ id: string; status: string }> {
  const ids = [SEED.docExample, SEED.pending, SEED.complete, SEED.error, SEED.noUpload];
  return ids.map((id) => ({ id, status: graph.upload(id)?.status ?? 'unknown' }));
}

export { PLAYGROUND_BOT_NAME };
