/**
 * Where a flow's time goes, measured from inside the bench process:
 *
 * - the stand-ins' own time: every HTTPS request an in-process stand-in (Entra, Graph, Teams
 *   Connector) serves, from its `request` event to the response's `finish`, by server port;
 * - deliveries to a bot: every HTTP request the Teams stand-in makes to a bot endpoint, from the
 *   call to the end of the response body.
 *
 * Both are recorded by wrapping node's own `https.Server#emit` and `http.request` in this process,
 * so no stand-in or bot code changes and the bot process is not touched at all.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Interval } from './intervals';

export interface ServedRequest extends Interval {
  port: number;
  method: string;
  path: string;
}

export interface Delivery extends Interval {
  port: number;
}

export class Timing {
  readonly served: ServedRequest[] = [];
  readonly deliveries: Delivery[] = [];
  private readonly botPorts = new Set<number>();
  private restore: Array<() => void> = [];

  /** Deliveries to these ports are recorded. */
  watchBotPort(port: number): void {
    this.botPorts.add(port);
  }

  install(): this {
    const served = this.served;
    const originalEmit = https.Server.prototype.emit;
    https.Server.prototype.emit = function emit(this: https.Server, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'request') {
        const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
        const start = performance.now();
        const port = (this.address() as AddressInfo | null)?.port ?? 0;
        res.once('finish', () => served.push({ start, end: performance.now(), port, method: req.method ?? '', path: (req.url ?? '').split('?')[0] }));
      }
      return (originalEmit as (...a: unknown[]) => boolean).call(this, event, ...args);
    } as typeof originalEmit;
    this.restore.push(() => {
      https.Server.prototype.emit = originalEmit;
    });

    const originalRequest = http.request;
    const deliveries = this.deliveries;
    const ports = this.botPorts;
    const wrapped = function request(this: unknown, ...args: unknown[]): http.ClientRequest {
      const req = (originalRequest as (...a: unknown[]) => http.ClientRequest).apply(http, args);
      const target = args[0];
      const port = target instanceof URL ? Number(target.port) : typeof target === 'object' && target ? Number((target as { port?: unknown }).port) : NaN;
      if (ports.has(port)) {
        const start = performance.now();
        req.once('response', (res) => res.once('end', () => deliveries.push({ start, end: performance.now(), port })));
      }
      return req;
    };
    (http as { request: unknown }).request = wrapped;
    this.restore.push(() => {
      (http as { request: unknown }).request = originalRequest;
    });
    return this;
  }

  /** Drops what was recorded (between runs). */
  clear(): void {
    this.served.length = 0;
    this.deliveries.length = 0;
  }

  uninstall(): void {
    for (const undo of this.restore.reverse()) undo();
    this.restore = [];
  }
}
