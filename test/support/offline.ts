/**
 * Shuts the network off for every test except loopback, so a misconfigured URL fails loudly
 * instead of reaching a real Microsoft endpoint (probot does the same with nock).
 */
import net from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/i;
const original = net.Socket.prototype.connect;

net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
  const first = args[0] as { host?: string; path?: string } | number | string | undefined;
  const host =
    typeof first === 'object' && first !== null
      ? first.path
        ? 'localhost' // unix socket
        : (first.host ?? 'localhost')
      : typeof first === 'number'
        ? typeof args[1] === 'string' ? args[1] : 'localhost'
        : 'localhost';
  if (!LOOPBACK.test(host)) {
    throw new Error(`Network access to ${host} is blocked in tests: only loopback stand-ins may be reached.`);
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
