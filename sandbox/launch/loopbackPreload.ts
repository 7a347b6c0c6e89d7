/**
 * Preloaded (`node --require`, through NODE_OPTIONS) into the Agents Playground, which listens on
 * every interface with no option to say otherwise: every server in the process — http, https and
 * websocket servers all end in net.Server.prototype.listen — binds loopback when given no host or
 * a wildcard one (see loopbackListen.ts). Patching Node's prototype instead of the Playground keeps
 * Microsoft's package exactly as installed (a dev dependency under pre-release terms, never vendored).
 */
import net from 'node:net';
import { pinListenArgs } from './loopbackListen';

const PINNED = Symbol.for('autopilot-sandbox.loopback-listen');
type Listen = (this: net.Server, ...args: unknown[]) => net.Server;
const proto = net.Server.prototype as net.Server & { [PINNED]?: true };

// NODE_OPTIONS and an explicit --require could both load it; wrapping twice would be harmless but confusing in a stack trace.
if (!proto[PINNED]) {
  const listen = proto.listen as unknown as Listen;
  proto.listen = function listenOnLoopback(this: net.Server, ...args: unknown[]) {
    return listen.apply(this, pinListenArgs(args));
  } as net.Server['listen'];
  proto[PINNED] = true;
}
