/**
 * A bot process killed (SIGKILL, no goodbye) in the middle of a fan-out, then started again on the
 * same Azure Storage: every channel still gets its card. The bot runs as a real child process
 * (`node dist/bot/index.js`, configured only through the environment) — run `npx tsc -p .` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { BlobsStorage } from 'botbuilder-azure-blobs';
import { SubscriptionRegistry } from '../../../bot/notifications';
import type { RunningAzurite } from '../../../sandbox/azurite';
import { ensureCerts } from '../../../sandbox/certs';
import { BOT_APP, SSO_APP, USERS } from '../../../sandbox/directory';
import { startEntra, type EntraStandIn } from '../../../sandbox/entra';
import { startGraph, type GraphStandIn } from '../../../sandbox/graph';
import { standInUrls } from '../../../sandbox/launch/botEnv';
import { startTeams, type TeamsStandIn } from '../../../sandbox/teams';
import { startAzurite } from '../../support/azurite';
import { postsPerChannel, SEED, until } from './helpers';

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '../../..');
const ENTRY = path.join(ROOT, 'dist/bot/index.js');
const KEY = 'crash-test-notify-key-0123456789abcdef';
const CHANNELS = 150;
/** The worker's default concurrency: at most this many sends can be in flight when the process dies. */
const IN_FLIGHT_BOUND = 16;

let azurite: RunningAzurite;
let entra: EntraStandIn;
let graph: GraphStandIn;
let teams: TeamsStandIn;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist/bot/notifications/worker.js'))) {
    throw new Error('dist/ is missing the bot build: run `npx tsc -p .` before this suite');
  }
  const certs = ensureCerts();
  azurite = await startAzurite();
  entra = await startEntra({ certs, port: 0 });
  graph = await startGraph({ certs, entraUrl: entra.url, port: 0 });
  teams = await startTeams({ certs, port: 0, entra, botAppId: BOT_APP.id, ssoAppIdUri: SSO_APP.appIdUri });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await teams?.close();
  await graph?.close();
  await entra?.close();
  await azurite?.stop();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const container = `crash-${Date.now()}`;

async function startBot(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const envLocal = parseEnv(fs.readFileSync(path.join(ROOT, 'env/.env.local'), 'utf8')) as Record<string, string>;
  const env = {
    ...process.env,
    ...envLocal,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...standInUrls({ channelUrl: teams.url, openIdMetadataUrl: teams.openIdMetadataUrl, entraUrl: entra.url, graphUrl: graph.url }),
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    STATE_CONTAINER: container,
    NOTIFY_QUEUE: container,
    NOTIFY_API_KEY: KEY,
    LOG_LEVEL: 'debug',
  };
  const child = spawn(process.execPath, [ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  await until(() => output.includes('bot listening') || child.exitCode !== null, 'the bot to listen', 30_000);
  if (child.exitCode !== null) throw new Error(`bot exited: ${output}`);
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

function notify(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/notify`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ uploadId: SEED.pending, status: 'complete', previousStatus: 'pending', actor: 'Crash test' }));
  });
}

it('SIGKILL mid fan-out, restart: every channel gets the card, repeats bounded by the sends in flight', async () => {
  // Subscribe the channels straight in the shared store, as earlier subscribe commands would have.
  const registry = new SubscriptionRegistry(new BlobsStorage(azurite.connectionString, container));
  const ids: string[] = [];
  for (const name of ['Crash A', 'Crash B', 'Crash C']) {
    const team = teams.team(name);
    const ref = { teamId: team.id, tenantId: USERS.alex.tid, serviceUrl: teams.serviceUrl, name };
    for (let i = 0; i < CHANNELS / 3; i += 1) {
      const channel = team.channel(`c-${i}`);
      await registry.subscribe(ref, channel.id, channel.name, 'setup');
      ids.push(channel.id);
    }
  }

  const first = await startBot();
  expect(await notify(first.url)).toBe(202);
  await until(() => postsPerChannel(teams).size >= 30, 'the first 30 cards', 60_000);
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  const deliveredBeforeCrash = postsPerChannel(teams).size;
  expect(deliveredBeforeCrash).toBeLessThan(CHANNELS); // the kill really was mid fan-out

  const second = await startBot();
  // Jobs the dead process held come back after their visibility timeout (30 s by default).
  await until(() => postsPerChannel(teams).size === CHANNELS, 'every channel', 120_000);
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let stragglers show themselves
  const counts = postsPerChannel(teams);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
  const repeated = [...counts.values()].filter((n) => n > 1).length;
  // At-least-once: only a card whose send was in flight at the kill can be repeated; nothing is lost.
  expect(repeated).toBeLessThanOrEqual(IN_FLIGHT_BOUND);
  expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
  expect(second.output()).toContain('notification posted');
  second.child.kill('SIGTERM');
  await new Promise((resolve) => second.child.once('exit', resolve));
  // eslint-disable-next-line no-console
  console.info(`crash test: ${deliveredBeforeCrash} delivered before SIGKILL, ${CHANNELS - deliveredBeforeCrash} after restart, ${repeated} repeated`);
});
