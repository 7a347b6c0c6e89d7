/**
 * The bot as a real process (`node dist/bot/index.js`, configured only through a minimal
 * environment): anonymous mode needs the explicit opt-in and then listens on loopback only;
 * SIGTERM drains and exits 0; a request that never ends is cut off by a second signal or the
 * deadline, with a non-zero exit naming it. Run `npm run build` first.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { spawnChildBot, startChildBot, stopChildBots, type ChildBot } from '../../support/bot-child';
import { until } from '../notifications/helpers';

jest.setTimeout(60_000);

/** Only what the contract requires; nothing inherited (a BOT_ID in the test's own env must not leak in). */
const MINIMAL = {
  AAD_APP_CLIENT_ID: '0f2b6a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c',
  AAD_APP_CLIENT_SECRET: 'lifecycle-test-secret',
  AAD_APP_TENANT_ID: '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10',
  AAD_APP_ID_URI: 'api://localhost/0f2b6a1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c',
};

afterAll(async () => {
  await stopChildBots();
});

const startAnonymous = (extra: Record<string, string> = {}): Promise<ChildBot> => startChildBot({ ...MINIMAL, ALLOW_ANONYMOUS: 'true', ...extra }, { readyTimeoutMs: 15_000 });

/** Local addresses of LISTEN sockets on `port`, from the kernel's own tables. */
function listeners(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = TCP_LISTEN
      const [addrHex, portHex] = cols[1]!.split(':');
      if (parseInt(portHex!, 16) !== port) continue;
      found.push(file.endsWith('6') ? `ipv6:${addrHex}` : hexToIPv4(addrHex!));
    }
  }
  return found;
}

const hexToIPv4 = (hex: string): string => [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');

function connect(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

/** A POST whose body never arrives: the request stays in flight until the server gives up on it. */
function hangingRequest(port: number): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.write(`POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":`);
  return socket;
}

describe('anonymous mode', () => {
  it('an empty BOT_ID without ALLOW_ANONYMOUS refuses to start: exit 78, one message naming BOT_ID', async () => {
    const bot = await spawnChildBot({ ...MINIMAL, BOT_ID: '' });
    const { code } = await bot.exited;
    expect(code).toBe(78);
    const out = bot.output();
    expect(out).toMatch(/^Configuration is invalid; the bot will not start:\n {2}- BOT_ID is missing/);
    expect(out.match(/Configuration is invalid/g)).toHaveLength(1);
    expect(out).toContain('ALLOW_ANONYMOUS=true');
    expect(out).not.toContain('bot listening');
  });

  it('with ALLOW_ANONYMOUS=true it listens on 127.0.0.1 only and says so', async () => {
    const bot = await startAnonymous();
    const lines = bot.logs();
    expect(lines.find((l) => l.msg === 'bot listening')).toMatchObject({ host: '127.0.0.1', anonymous: true, url: `http://127.0.0.1:${bot.port}` });
    expect(lines.find((l) => l.level === 'warn' && /anonymous mode/.test(l.msg))?.msg).toMatch(/NOT authenticated; listening on loopback only/);

    expect(listeners(bot.port)).toEqual(['127.0.0.1']);
    expect(await connect('127.0.0.1', bot.port)).toBe('connected');
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((i): i is os.NetworkInterfaceInfo => Boolean(i && !i.internal && i.family === 'IPv4'))
      .map((i) => i.address);
    if (external.length === 0) {
      // eslint-disable-next-line no-console
      console.info('no non-loopback IPv4 address on this machine: the "not reachable from outside" half is covered by the LISTEN table only');
    }
    for (const address of external) expect(await connect(address, bot.port)).toBe('ECONNREFUSED');

    bot.signal('SIGTERM');
    expect((await bot.exited).code).toBe(0);
  });

  it('HOST=0.0.0.0 with ALLOW_ANONYMOUS=true is refused (exit 78)', async () => {
    const bot = await spawnChildBot({ ...MINIMAL, ALLOW_ANONYMOUS: 'true', HOST: '0.0.0.0' });
    expect((await bot.exited).code).toBe(78);
    expect(bot.output()).toContain('HOST must be a loopback address in anonymous mode');
  });
});

describe('SIGTERM', () => {
  it('with nothing in flight exits 0 promptly', async () => {
    const bot = await startAnonymous();
    const sent = Date.now();
    bot.signal('SIGTERM');
    const { code, atMs } = await bot.exited;
    expect(code).toBe(0);
    expect(atMs - sent).toBeLessThan(3000);
    expect(bot.logs().find((l) => l.msg === 'bot stopped')).toMatchObject({ clean: true, pending: [] });
  });

  it('a second signal exits non-zero at once, naming what was still in flight', async () => {
    const bot = await startAnonymous();
    const socket = hangingRequest(bot.port);
    await until(() => listeners(bot.port).length > 0, 'listening', 15_000);
    await new Promise((r) => setTimeout(r, 300));
    bot.signal('SIGTERM');
    await until(() => bot.output().includes('letting the work in flight finish'), 'the drain to start', 15_000);
    expect(bot.child.exitCode).toBeNull(); // still waiting for the request
    const second = Date.now();
    bot.signal('SIGINT');
    const { code, atMs } = await bot.exited;
    socket.destroy();
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(atMs - second).toBeLessThan(2000);
    const line = bot.logs().find((l) => /second signal/.test(l.msg));
    expect(line?.inFlight).toEqual([expect.stringMatching(/^POST \/api\/messages \(\d+ ms\)$/)]);
  });

  it('the deadline passing exits non-zero after logging what was in flight', async () => {
    const bot = await startAnonymous({ SHUTDOWN_DEADLINE_SECONDS: '1' });
    const socket = hangingRequest(bot.port);
    await new Promise((r) => setTimeout(r, 300));
    const sent = Date.now();
    bot.signal('SIGTERM');
    const { code, atMs } = await bot.exited;
    socket.destroy();
    expect(code).not.toBe(0);
    expect(atMs - sent).toBeGreaterThanOrEqual(900);
    expect(atMs - sent).toBeLessThan(5000);
    const line = bot.logs().find((l) => /deadline passed/.test(l.msg));
    expect(line?.inFlight).toEqual([expect.stringMatching(/^POST \/api\/messages/)]);
  });
});
