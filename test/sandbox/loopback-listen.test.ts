/**
 * sandbox/launch/loopbackListen + loopbackPreload: what keeps the Agents Playground off every
 * interface. The argument rewrite is checked for each listen() signature Node accepts; the compiled
 * preload is checked in a real Node process, where servers given no host must end up on loopback
 * (the addresses the kernel gave them, through server.address()).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOOPBACK_V4, LOOPBACK_V6, pinListenArgs } from '../../sandbox/launch/loopbackListen';

const PRELOAD = path.resolve(__dirname, '../../dist/sandbox/launch/loopbackPreload.js');
const cb = () => undefined;

describe('pinListenArgs', () => {
  it.each<[string, unknown[], unknown[]]>([
    ['listen()', [], [0, LOOPBACK_V4]],
    ['listen(cb)', [cb], [0, LOOPBACK_V4, cb]],
    ['listen(port)', [8080], [8080, LOOPBACK_V4]],
    ['listen(port, cb)', [8080, cb], [8080, LOOPBACK_V4, cb]],
    ['listen(port, backlog, cb): the backlog keeps its meaning', [8080, 511, cb], [8080, LOOPBACK_V4, 511, cb]],
    ['listen(numeric string)', ['8080'], ['8080', LOOPBACK_V4]],
    ['listen(null): any port', [null], [null, LOOPBACK_V4]],
    ['listen(port, undefined, backlog, cb)', [8080, undefined, 511, cb], [8080, LOOPBACK_V4, 511, cb]],
    ['listen(port, null, cb)', [8080, null, cb], [8080, LOOPBACK_V4, cb]],
    ["listen(port, '0.0.0.0', backlog, cb)", [8080, '0.0.0.0', 511, cb], [8080, LOOPBACK_V4, 511, cb]],
    ["listen(port, '::', cb)", [8080, '::', cb], [8080, LOOPBACK_V4, cb]],
    ["listen(port, '')", [8080, ''], [8080, LOOPBACK_V4]],
    ['options without host', [{ port: 8080 }, cb], [{ port: 8080, host: LOOPBACK_V4 }, cb]],
    ['options with port undefined (any port)', [{ port: undefined }], [{ port: undefined, host: LOOPBACK_V4 }]],
    ["options host '::' with backlog", [{ port: 0, host: '::', backlog: 5 }], [{ port: 0, host: LOOPBACK_V4, backlog: 5 }]],
    ["options host '0.0.0.0', ipv6Only: IPv6 loopback", [{ port: 0, host: '0.0.0.0', ipv6Only: true }], [{ port: 0, host: LOOPBACK_V6, ipv6Only: true }]],
  ])('%s → loopback', (_, args, expected) => {
    expect(pinListenArgs(args)).toEqual(expected);
  });

  const server = { _handle: {} };
  it.each<[string, unknown[]]>([
    ["listen(port, '127.0.0.1')", [8080, '127.0.0.1']],
    ["listen(port, '::1', cb)", [8080, '::1', cb]],
    ['listen(port, a chosen interface): a choice the loopback test reports, not ours to change', [8080, '192.0.2.2']],
    ["listen(port, 'localhost')", [8080, 'localhost', cb]],
    ['listen(unix socket path)', ['/tmp/app.sock', cb]],
    ['listen(windows pipe)', ['\\\\?\\pipe\\app', 511]],
    ['options with a path', [{ path: '/tmp/app.sock' }, cb]],
    ['options with a host', [{ port: 0, host: '127.0.0.1' }]],
    ['a handle (an open server)', [server, cb]],
    ['options with a handle', [{ handle: {} }]],
    ['options with an fd', [{ fd: 3 }]],
  ])('%s: left as it is', (_, args) => {
    expect(pinListenArgs(args)).toEqual(args);
  });

  it('does not change the caller’s options object', () => {
    const options = { port: 0 };
    pinListenArgs([options]);
    expect(options).toEqual({ port: 0 });
  });
});

describe('the preload in a real Node process', () => {
  beforeAll(() => {
    if (!fs.existsSync(PRELOAD)) throw new Error(`${PRELOAD} is missing: run \`npm run build\` first (npm test does).`);
  });

  it('http and net servers given no host or a wildcard listen on loopback; a unix socket stays a path', () => {
    const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loopback-preload-')), 'app.sock');
    // Each call is one of the shapes the Playground's libraries use (express: listen(port, cb); ws: (port, host, backlog, cb)).
    const script = `
      const http = require('node:http'), net = require('node:net');
      const calls = {
        'http listen(0, cb)': (s, done) => s.listen(0, done),
        'http listen(cb)': (s, done) => s.listen(done),
        'net listen()': (s, done) => { s.listen(); s.once('listening', done); },
        'net listen(0, 511, cb)': (s, done) => s.listen(0, 511, done),
        'net listen(0, undefined, 511, cb)': (s, done) => s.listen(0, undefined, 511, done),
        "net listen(0, '::', cb)": (s, done) => s.listen(0, '::', done),
        "net listen({ port: 0, host: '0.0.0.0' }, cb)": (s, done) => s.listen({ port: 0, host: '0.0.0.0' }, done),
        'net listen(path, cb)': (s, done) => s.listen(${JSON.stringify(sock)}, done),
      };
      (async () => {
        const out = {};
        for (const [name, call] of Object.entries(calls)) {
          const s = name.startsWith('http') ? http.createServer() : net.createServer();
          await new Promise((resolve, reject) => { s.once('error', reject); call(s, resolve); });
          const a = s.address();
          out[name] = typeof a === 'string' ? a : a.address;
          await new Promise((resolve) => s.close(resolve));
        }
        process.stdout.write(JSON.stringify(out));
      })().catch((err) => { console.error(err); process.exit(1); });
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--require', PRELOAD, '-e', script], { encoding: 'utf8' }));
    expect(out).toEqual({
      'http listen(0, cb)': '127.0.0.1',
      'http listen(cb)': '127.0.0.1',
      'net listen()': '127.0.0.1',
      'net listen(0, 511, cb)': '127.0.0.1',
      'net listen(0, undefined, 511, cb)': '127.0.0.1',
      "net listen(0, '::', cb)": '127.0.0.1',
      "net listen({ port: 0, host: '0.0.0.0' }, cb)": '127.0.0.1',
      'net listen(path, cb)': sock,
    });
  });
});
