/**
 * README, "What `npm start` gives you": every part listens on and talks to loopback only. Checked
 * against the kernel's account of the running launcher (dist/sandbox/start.js) — every process of
 * its tree and every socket they hold, read from /proc — not against what the parts say of
 * themselves. The Agents Playground would listen on every interface if sandbox/launch/loopbackPreload
 * did not pin it.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { USERS } from '../../sandbox/directory';
import { SEED } from '../../sandbox/graph';
import { personalChatId } from '../../sandbox/launch/playgroundConfig';
import { launchSandbox, type LaunchedSandbox } from '../support/launcher';
import {
  decodeEndpoint,
  describeSocket,
  isConnection,
  isListening,
  isLoopback,
  parseProcNet,
  processTree,
  socketsOf,
  watchConnections,
  type ConnectionWatch,
  type OwnedSocket,
} from '../support/sockets';

jest.setTimeout(180_000);

describe('reading /proc/net', () => {
  // Rows as this machine's kernel printed them, and in the same format: a SYN_SENT to 192.0.2.1:443, the wildcard
  // listener the Playground had before loopbackPreload, and an IPv4-mapped connection to it.
  const TCP = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '  25: 0100007F:8BF7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 71469 1 0000000059c31e23 100 0 0 10 0',
    '1039: 0100007F:C2C6 0100007F:8BF7 01 00000000:00000000 00:00000000 00000000     0        0 71470 2 00000000d6a665b2 20 0 0 10 -1',
    '  40: 0202000A:9C40 010200C0:01BB 02 00000001:00000000 01:00000064 00000002     0        0 71480 1 0000000000000000 400 0 0 10 -1',
  ].join('\n');
  const TCP6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 000000FD000000000000000002000000:A33B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 71468 1 000000000551b24d 100 0 0 10 0',
    '   1: 00000000000000000000000001000000:9673 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 71467 1 00000000cf4c3c7e 100 0 0 10 0',
    '   2: 00000000000000000000000000000000:DB06 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 71466 1 0000000000000000 100 0 0 10 0',
    '   3: 0000000000000000FFFF00000100007F:DB06 0000000000000000FFFF00000100007F:C2C7 01 00000000:00000000 00:00000000 00000000     0        0 71465 1 0000000000000000 20 0 0 10 -1',
  ].join('\n');

  it('IPv4: one 32-bit word in host (little-endian) order, then the port in hex', () => {
    expect(decodeEndpoint('0100007F:8BF7', true)).toEqual({ address: '127.0.0.1', port: 35831 });
    expect(decodeEndpoint('010200C0:01BB', true)).toEqual({ address: '192.0.2.1', port: 443 });
    // A big-endian kernel prints the same address the other way round.
    expect(decodeEndpoint('7F000001:8BF7', false)).toEqual({ address: '127.0.0.1', port: 35831 });
    const rows = parseProcNet(TCP, 'tcp');
    expect(rows).toEqual([
      { proto: 'tcp', local: { address: '127.0.0.1', port: 35831 }, remote: { address: '0.0.0.0', port: 0 }, state: 0x0a, inode: 71469 },
      { proto: 'tcp', local: { address: '127.0.0.1', port: 49862 }, remote: { address: '127.0.0.1', port: 35831 }, state: 0x01, inode: 71470 },
      { proto: 'tcp', local: { address: '10.0.2.2', port: 40000 }, remote: { address: '192.0.2.1', port: 443 }, state: 0x02, inode: 71480 },
    ]);
    expect(rows.map((r) => [isListening(r), isConnection(r)])).toEqual([[true, false], [false, true], [false, true]]);
  });

  it('IPv6: four little-endian 32-bit words, written as Node writes addresses (compressed; IPv4-mapped as dotted quad)', () => {
    expect(parseProcNet(TCP6, 'tcp6').map((r) => [r.local.address, r.local.port, r.remote.address, r.state])).toEqual([
      ['fd00::2', 41787, '::', 0x0a],
      ['::1', 38515, '::', 0x0a],
      ['::', 56070, '::', 0x0a],
      ['::ffff:127.0.0.1', 56070, '::ffff:127.0.0.1', 0x01],
    ]);
    // Only the inodes asked for are decoded (how the tree's sockets are picked from the machine's).
    expect(parseProcNet(TCP6, 'tcp6', new Set([71467])).map((r) => r.local.address)).toEqual(['::1']);
  });

  it('loopback is 127.0.0.0/8 and ::1, also IPv4-mapped; wildcards and interface addresses are not', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect([a, isLoopback(a)]).toEqual([a, true]);
    for (const a of ['0.0.0.0', '::', '192.0.2.2', 'fd00::2', 'fe80::fc:ff:fe00:1', '::ffff:192.0.2.1', '128.0.0.1', '::2']) {
      expect([a, isLoopback(a)]).toEqual([a, false]);
    }
  });

  it('finds this process’s own listeners and connection, at the addresses and ports Node reports', async () => {
    const listen = (host: string) =>
      new Promise<net.Server>((resolve, reject) => {
        const s = net.createServer((socket) => socket.on('error', () => undefined));
        s.once('error', reject).listen(0, host, () => resolve(s));
      });
    // Without IPv6 on loopback (some containers) there is no ::1 to listen on; the IPv4 half still runs.
    const hasIpv6Loopback = fs.existsSync('/proc/net/if_inet6') && /^0{31}1 /m.test(fs.readFileSync('/proc/net/if_inet6', 'utf8'));
    const servers = [await listen('127.0.0.1'), ...(hasIpv6Loopback ? [await listen('::1')] : [])];
    const client = await new Promise<net.Socket>((resolve) => {
      const c = net.connect((servers[0].address() as net.AddressInfo).port, '127.0.0.1', () => resolve(c));
    });
    try {
      expect(processTree(process.pid)[0]).toBe(process.pid);
      const mine = socketsOf([process.pid]);
      for (const s of servers) {
        const { address, port } = s.address() as net.AddressInfo;
        expect(mine.filter(isListening).map((m) => `${m.local.address} ${m.local.port}`)).toContain(`${address} ${port}`);
      }
      const outbound = mine.find((m) => m.local.port === client.localPort && isConnection(m));
      expect(outbound).toMatchObject({ pid: process.pid, state: 0x01, remote: { address: '127.0.0.1', port: client.remotePort } });
    } finally {
      client.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});

/** GET over loopback; the body as text. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function post(url: string, json: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end(JSON.stringify(json));
  });
}

async function until(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start keeps every part on loopback', () => {
  let sandbox: LaunchedSandbox;
  let watch: ConnectionWatch;

  beforeAll(async () => {
    sandbox = await launchSandbox();
    // From the first moment: start-up is when a part would phone home (telemetry, cloud metadata).
    watch = watchConnections(sandbox.pid);
    await sandbox.ready;
  });

  afterAll(async () => {
    watch?.stop();
    await sandbox?.stop();
  });

  it('every socket its processes listen on is on loopback, and every part’s port is among them', () => {
    const tree = processTree(sandbox.pid);
    const listeners = socketsOf(tree).filter(isListening);
    const exposed = listeners.filter((s) => !isLoopback(s.local.address));
    expect(exposed.map(describeSocket)).toEqual([]);
    // Not vacuous: each part (the Playground above all) was found listening, in a process of the tree.
    const ports = new Set(listeners.map((s) => s.local.port));
    for (const [part, port] of Object.entries(sandbox.ports)) expect([part, ports.has(port)]).toEqual([part, true]);
    expect(tree.length).toBeGreaterThanOrEqual(4); // launcher (stand-ins, bridge), Azurite, bot, Playground
  });

  it('a page load and a message through every part: no process of the tree connects beyond loopback', async () => {
    const { playground, graph, entra, blob } = sandbox.ports;
    const page = await get(`http://127.0.0.1:${playground}/`);
    expect(page.status).toBe(200);
    for (const src of [...page.body.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1])) {
      expect([src, (await get(new URL(src, `http://127.0.0.1:${playground}/`).href)).status]).toEqual([src, 200]);
    }
    // What the Playground's page posts when Alex types in the personal chat: Playground → bridge → bot
    // → SSO exchange with Entra, OBO, Graph, state in Azurite → bridge → Playground.
    const sent = await post(`http://127.0.0.1:${playground}/_conversation/v1/conversations/${encodeURIComponent(personalChatId('alex'))}/messages`, {
      from: { id: USERS.alex.teamsId },
      text: `show upload ${SEED.complete}`,
      textFormat: 'plain',
    });
    expect(sent.status).toBe(200);
    const reached = (port: number) => () => watch.seen().some((s) => s.remote.port === port && isLoopback(s.remote.address));
    await until('the bot reading the upload from the Graph stand-in', reached(graph));
    await until('a connection to the Entra stand-in', reached(entra));

    const { seen, samples } = watch.stop();
    const beyond = seen.filter((s) => !isLoopback(s.remote.address));
    expect(beyond.map(describeSocket)).toEqual([]);
    // Not vacuous: the samples saw the parts talk (to Graph, Entra and Azurite) throughout the run.
    const peers = new Set(seen.map((s: OwnedSocket) => s.remote.port));
    expect([graph, entra, blob].map((p) => peers.has(p))).toEqual([true, true, true]);
    expect(samples).toBeGreaterThan(10);
  });
});
