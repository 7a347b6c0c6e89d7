/**
 * `npm start` when something is wrong: it must stop with the part's own error, name what to change,
 * and leave nothing running — never hang. Runs the real launcher (dist/sandbox/start.js).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ENTRY = path.resolve(__dirname, '../../dist/sandbox/start.js');
const VARIABLES = ['BOT_PORT', 'TEAMS_PORT', 'ENTRA_PORT', 'GRAPH_PORT', 'AZURITE_BLOB_PORT', 'AZURITE_QUEUE_PORT', 'PLAYGROUND_PORT'];

jest.setTimeout(120_000);

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => listen(0)));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** Runs the launcher to its exit (it must exit on its own) and returns what it printed. */
function runLauncher(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the launcher did not exit within 90 s (it must not hang):\n${stdout}\n${stderr}`));
    }, 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function sandboxEnv(): Promise<Record<string, string>> {
  const ports = await freePorts(VARIABLES.length);
  return Object.fromEntries(VARIABLES.map((v, i) => [v, String(ports[i])]));
}

beforeAll(() => {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first (npm test does).`);
});

it('a port in use stops the start before anything runs, naming the part and the variable that moves it', async () => {
  const env = await sandboxEnv();
  const busy = await listen(Number(env.GRAPH_PORT));
  try {
    const { code, stderr } = await runLauncher(env);
    expect(code).toBe(1);
    expect(stderr).toContain(`Microsoft Graph stand-in: port ${env.GRAPH_PORT} is already in use (set GRAPH_PORT to move it)`);
  } finally {
    await new Promise((resolve) => busy.close(resolve));
  }
});

it('a part that fails (the bot refusing its configuration) stops every part with that part\'s own error', async () => {
  const env = await sandboxEnv();
  const { code, stderr } = await runLauncher({ ...env, LOG_LEVEL: 'chatty' });
  expect(code).toBe(1);
  expect(stderr).toContain('LOG_LEVEL');
  expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)/); // a message, not a stack trace
  // Everything that had started (Azurite, the stand-ins, the bridge) is stopped: every port is free again.
  for (const v of VARIABLES) {
    const s = await listen(Number(env[v]));
    await new Promise((resolve) => s.close(resolve));
  }
});
