/**
 * Two bot instances behind one endpoint, as a load balancer puts them: requests alternate between
 * the instances that are up; bytes are forwarded unchanged (the Connector's JWT names the bot's
 * app id and the serviceUrl, not a host, so signatures stay valid). An instance whose connection
 * fails is taken out at once and put back when its /healthz answers again, like a health probe;
 * the request that found it down is answered 502, as a gateway would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { healthz } from '../lib/processes';

export interface Backend {
  name: string;
  port: number;
}

export interface ProxiedRequest {
  start: number;
  end: number;
  backend: string;
  status: number;
  /** Activity type / invoke name, for reports. */
  kind: string;
  /** Card actions: the verb and the card message it came from (for reports). */
  verb?: string;
  replyToId?: string;
  error?: string;
}

export interface RoundRobin {
  url: string;
  /** http://127.0.0.1:PORT/api/messages */
  endpoint: string;
  port: number;
  requests: ProxiedRequest[];
  isUp(name: string): boolean;
  markDown(name: string): void;
  close(): Promise<void>;
}

function describe(body: Buffer): Pick<ProxiedRequest, 'kind' | 'verb' | 'replyToId'> {
  try {
    const a = JSON.parse(body.toString('utf8')) as { type?: string; name?: string; replyToId?: string; value?: { action?: { verb?: string } } };
    return {
      kind: a.name ? `${a.type}/${a.name}` : String(a.type),
      ...(a.value?.action?.verb ? { verb: a.value.action.verb } : {}),
      ...(a.replyToId ? { replyToId: a.replyToId } : {}),
    };
  } catch {
    return { kind: 'unparsable' };
  }
}


export async function startRoundRobin(backends: Backend[], probeEveryMs = 200): Promise<RoundRobin> {
  const up = new Map(backends.map((b) => [b.name, true]));
  const requests: ProxiedRequest[] = [];
  let turn = 0;

  const pick = (): Backend | undefined => {
    for (let i = 0; i < backends.length; i++) {
      const b = backends[turn++ % backends.length];
      if (up.get(b.name)) return b;
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const start = performance.now();
      const record = (backend: string, status: number, error?: string) =>
        requests.push({ start, end: performance.now(), backend, status, ...describe(body), ...(error ? { error } : {}) });
      const target = pick();
      if (!target) {
        record('none', 503, 'no instance up');
        res.statusCode = 503;
        res.end();
        return;
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () => record(target.name, answer.statusCode ?? 0));
          answer.on('error', (err) => {
            up.set(target.name, false);
            record(target.name, 502, err.message);
            res.destroy();
          });
        },
      );
      upstream.on('error', (err) => {
        up.set(target.name, false);
        record(target.name, 502, err.message);
        // The instance may die before or after its answer began: a gateway error if nothing was relayed yet.
        if (res.headersSent || res.writableEnded || res.getHeaderNames().length > 0) {
          res.destroy();
          return;
        }
        res.statusCode = 502;
        res.end();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;

  let probing = false;
  const probe = setInterval(() => {
    if (probing) return;
    probing = true;
    void Promise.all(backends.map(async (b) => up.set(b.name, await healthz(b.port)))).finally(() => {
      probing = false;
    });
  }, probeEveryMs);

  return {
    url: `http://127.0.0.1:${port}`,
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    port,
    requests,
    isUp: (name) => up.get(name) ?? false,
    markDown: (name) => up.set(name, false),
    close: () =>
      new Promise((resolve) => {
        clearInterval(probe);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
