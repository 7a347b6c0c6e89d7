/**
 * A rolling restart in the middle of a Confirm loses nothing. The bot runs as a real child
 * process (`node dist/bot/index.js`) on Azurite (state and outbox); Graph is slowed for the PATCH
 * so the Confirm outlives the invoke budget ("updating…") and SIGTERM arrives while the PATCH
 * is still on its way. The child must apply the PATCH once, record the change, replace the card,
 * queue the announcement and exit 0 within the shutdown deadline; a second instance on the same
 * storage then posts the announcement and answers the old card "already done".
 * Run `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { BlobsStorage } from 'botbuilder-azure-blobs';
import { SubscriptionRegistry } from '../../../bot/notifications';
import type { RunningAzurite } from '../../../sandbox/azurite';
import { ensureCerts } from '../../../sandbox/certs';
import { BOT_APP, SSO_APP, USERS } from '../../../sandbox/directory';
import { startEntra, type EntraStandIn } from '../../../sandbox/entra';
import { SEED, startGraph, type GraphStandIn } from '../../../sandbox/graph';
import { standInUrls } from '../../../sandbox/launch/botEnv';
import { startTeams, type TeamsStandIn } from '../../../sandbox/teams';
import { startAzurite } from '../../support/azurite';
import { askForChange, cardText, keyOf } from '../conversation/helpers';
import { notificationPosts, until } from '../notifications/helpers';

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '../../..');
const ENTRY = path.join(ROOT, 'dist/bot/index.js');
/** The PATCH takes longer than the invoke budget (4.5 s), well inside Graph's timeout (10 s). */
const PATCH_DELAY_MS = 7_000;
const DEADLINE_MS = 30_000;

let azurite: RunningAzurite;
let entra: EntraStandIn;
let graph: GraphStandIn;
let teams: TeamsStandIn;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!fs.existsSync(ENTRY)) throw new Error('dist/ is missing the bot build: run `npm run build` before this suite');
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

const container = `drain-${Date.now()}`;

interface Child {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; atMs: number }>;
}

async function startBot(): Promise<Child> {
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
    LOG_LEVEL: 'debug',
  };
  const child = spawn(process.execPath, [ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<{ code: number | null; atMs: number }>((resolve) => child.once('exit', (code) => resolve({ code, atMs: Date.now() })));
  await until(() => output.includes('bot listening') || child.exitCode !== null, 'the bot to listen', 30_000);
  if (child.exitCode !== null) throw new Error(`bot exited: ${output}`);
  teams.setBotEndpoint(`http://127.0.0.1:${port}/api/messages`);
  return { child, output: () => output, exited };
}

const logLines = (out: string): Array<Record<string, any>> =>
  out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

it('SIGTERM during a slow PATCH: applied once, recorded, card replaced, announced, exit 0 within the deadline', async () => {
  const team = teams.team('Drain team');
  const channel = team.channel('Changes');
  const registry = new SubscriptionRegistry(new BlobsStorage(azurite.connectionString, container));
  await registry.subscribe({ teamId: team.id, tenantId: USERS.alex.tid, serviceUrl: teams.serviceUrl, name: team.name }, channel.id, channel.name, 'setup');

  const first = await startBot();
  const chat = teams.personalChat('alex');
  const confirmation = await askForChange(chat, SEED.pending, 'complete');
  const key = keyOf(confirmation.card);
  // Confirm re-reads the upload (served at once), then PATCHes (held for PATCH_DELAY_MS).
  graph.faults.next(1, { delayMs: 0 });
  graph.faults.next(1, { delayMs: PATCH_DELAY_MS });

  const pressed = chat.press(confirmation, 'Confirm');
  await until(() => graph.faults.pending() === 0, 'the PATCH to reach Graph', 20_000);
  expect(graph.patchCount(SEED.pending)).toBe(0); // still on its way
  const signalled = Date.now();
  first.child.kill('SIGTERM');

  // The invoke in flight still gets its answer ("updating…": the PATCH outlives the invoke budget).
  const answer = await pressed;
  expect(answer.response).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
  expect(cardText(answer.card)).toMatch(/Updating/i);

  const { code, atMs } = await first.exited;
  expect(code).toBe(0);
  expect(atMs - signalled).toBeLessThan(DEADLINE_MS);
  // It waited for the PATCH rather than exiting at once.
  expect(atMs - signalled).toBeGreaterThanOrEqual(PATCH_DELAY_MS - 2_000);
  expect(graph.patchCount(SEED.pending)).toBe(1);
  expect(graph.upload(SEED.pending)!.status).toBe('complete');
  // The late card update landed before the exit.
  expect(cardText(chat.message(confirmation.id)!.sharedCard)).toContain(`Upload ${SEED.pending} is now Complete`);
  const stopped = logLines(first.output()).find((l) => l.msg === 'bot stopped');
  expect(stopped).toMatchObject({ clean: true, pending: [] });
  expect(first.output()).toContain('"msg":"change notification queued"');

  // A new instance on the same storage: the announcement goes out once, the old card says "done".
  const second = await startBot();
  await until(() => notificationPosts(teams).length > 0, 'the change announcement', 60_000);
  // An old copy of the confirmation (another device) pressing Confirm: "already done", no second PATCH.
  const again = await chat.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'confirmChange', data: { changeKey: key } }, trigger: 'manual' }, { replyToId: confirmation.id });
  expect(cardText((again.body as { value: object }).value)).toContain(`Upload ${SEED.pending} is now Complete`);
  expect(graph.patchCount(SEED.pending)).toBe(1);
  // The prepared (crash-safety) announcement comes due 15 s after the claim and must not repeat it.
  await until(() => second.output().includes('prepared announcement not needed'), 'the prepared announcement to be settled', 60_000);
  await new Promise((r) => setTimeout(r, 500));
  const posts = notificationPosts(teams);
  expect(posts).toHaveLength(1);
  expect(posts[0]!.conversationId.split(';')[0]).toBe(channel.id);

  second.child.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
});
