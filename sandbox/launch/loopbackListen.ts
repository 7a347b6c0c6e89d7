/**
 * `net.Server.prototype.listen` arguments with the wildcard address replaced by loopback, for
 * processes of the sandbox we cannot configure (the Agents Playground listens on every interface
 * and has no option for its host). loopbackPreload.ts installs it; this half is pure so every
 * listen() signature can be tested without opening a socket.
 *
 * It mirrors Node's own reading of the arguments (lib/net.js `normalizeArgs` and `Server.listen`),
 * so a call keeps its meaning — same port, backlog, callback — except where it binds. A specific
 * host (even a non-loopback one) is left alone: that is a choice someone made, and the sandbox's
 * loopback test names it. Unix sockets, pipes and already-bound handles have no host to pin.
 */

export const LOOPBACK_V4 = '127.0.0.1';
export const LOOPBACK_V6 = '::1';

/** Every spelling of "all interfaces" Node accepts as a host; '' is falsy, so Node treats it as none. */
const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]', '::0', '0:0:0:0:0:0:0:0']);

function isWildcard(host: unknown): boolean {
  return host === undefined || host === null || (typeof host === 'string' && WILDCARD_HOSTS.has(host.trim()));
}

/** Node's isPipeName: a string that does not read as a non-negative number is a path, not a port. */
function isPipeName(value: unknown): boolean {
  return typeof value === 'string' && !(Number(value) >= 0);
}

type ListenOptions = Record<string, unknown>;

/** An already-open handle (a server, socket, `{ handle }` or `{ fd }`): bound before we see it. */
function isHandle(options: ListenOptions): boolean {
  return options._handle != null || options.handle != null || (typeof options.fd === 'number' && options.fd >= 0);
}

/** Node listens on TCP for an options object with a port (null or explicitly undefined means "any port"). */
function isTcpOptions(options: ListenOptions): boolean {
  const port = options.port;
  return typeof port === 'number' || typeof port === 'string' || port === null || ('port' in options && port === undefined);
}

function pinOptions(options: ListenOptions): ListenOptions {
  if (isHandle(options) || !isTcpOptions(options) || !isWildcard(options.host)) return options;
  // ipv6Only asks for an IPv6 socket; 127.0.0.1 would contradict it.
  return { ...options, host: options.ipv6Only ? LOOPBACK_V6 : LOOPBACK_V4 };
}

/** The arguments to pass on to the real listen(): the same call, bound to loopback if it named no host. */
export function pinListenArgs(args: readonly unknown[]): unknown[] {
  const [first, second] = args;
  // listen() and listen(cb): any free port on every interface.
  if (args.length === 0 || typeof first === 'function') return [0, LOOPBACK_V4, ...args];
  if (typeof first === 'object' && first !== null) return [pinOptions(first as ListenOptions), ...args.slice(1)];
  if (isPipeName(first)) return [...args];
  // (port, host?, backlog?, cb?): Node takes args[1] as the host only when it is a string.
  if (typeof second === 'string') return isWildcard(second) ? [first, LOOPBACK_V4, ...args.slice(2)] : [...args];
  // An explicit undefined/null in the host's place stays a placeholder Node skips; fill it rather than shift the backlog.
  if (args.length > 1 && second == null) return [first, LOOPBACK_V4, ...args.slice(2)];
  return [first, LOOPBACK_V4, ...args.slice(1)];
}
