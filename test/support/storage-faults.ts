/**
 * A fault-injecting HTTP proxy in front of Azurite: the bot's AZURE_STORAGE_CONNECTION_STRING
 * points its BlobEndpoint and QueueEndpoint here, every request goes on to Azurite unchanged
 * (shared-key signatures do not cover the host, so they still verify), and rules make chosen
 * requests fail the way a storage account or the network in between would:
 *
 *   const faults = await startStorageFaults(azurite);
 *   const rule = faults.fail((r) => r.method === 'DELETE' && r.job?.kind === 'deliver', { status: 502 });
 *   … AZURE_STORAGE_CONNECTION_STRING: faults.connectionString …
 *   await rule.hit();                       // the bot's DELETE was refused
 *
 * The Azure SDKs retry 500, 503 and dropped connections themselves (4 tries, 4 s and 12 s apart),
 * so a failure the bot must see is either a status they do not retry — 502/504, which a gateway in
 * front of the account answers — or a retried fault repeated `times` ≥ 4. `hold` never answers:
 * the request is in flight when the instance is killed, as if it died just before it. `delayMs`
 * forwards it unchanged after a pause: a slow account, the request still succeeds.
 *
 * Queue messages are known by their text: the proxy reads every receive's answer, so a DELETE or
 * an update of `/<queue>/messages/<id>` carries the job it is about (`r.job`).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, type RunningAzurite } from '../../sandbox/azurite';

export interface StorageRequest {
  seq: number;
  service: 'blob' | 'queue';
  method: string;
  /** Path without the account segment, e.g. `/bot-state/notify-sent-ab12…` or `/notifications/messages/<id>`. */
  path: string;
  query: URLSearchParams;
  body: string;
  /** Queue requests about one message (enqueue, update, delete): its job, as written or last received. */
  job?: { kind?: string; [key: string]: unknown };
  /** What the proxy did: Azurite's status, or the injected fault. */
  outcome?: number | 'reset' | 'held';
  /** When it arrived and when Azurite's answer was passed back (performance.now(), ms). */
  startedMs: number;
  answeredMs?: number;
  injected?: boolean;
}

export type Fault = { status: number; code?: string } | { reset: true } | { hold: true } | { delayMs: number };

export interface FaultRule {
  /** Requests this rule has failed so far. */
  readonly hits: StorageRequest[];
  /** Resolves with the first request it failed. */
  hit(): Promise<StorageRequest>;
  /** Stops failing (held requests stay held). */
  remove(): void;
}

export interface StorageFaults {
  /** Azurite's account through this proxy (blob and queue). */
  connectionString: string;
  /** Fails the next `times` requests that `when` picks (default once) with `fault`. */
  fail(when: (r: StorageRequest) => boolean, fault: Fault, times?: number): FaultRule;
  /** Every request seen, in order. */
  requests(): StorageRequest[];
  close(): Promise<void>;
}

interface Rule {
  when: (r: StorageRequest) => boolean;
  fault: Fault;
  left: number;
  hits: StorageRequest[];
  onHit: Array<(r: StorageRequest) => void>;
}

const MESSAGE_PATH = /^\/[^/]+\/messages\/([^/?]+)$/;

const xmlText = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function parseJob(text: string): StorageRequest['job'] {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as StorageRequest['job']) : undefined;
  } catch {
    return undefined;
  }
}

export async function startStorageFaults(azurite: RunningAzurite): Promise<StorageFaults> {
  const rules: Rule[] = [];
  const log: StorageRequest[] = [];
  /** Queue message id → the job text it holds. */
  const messages = new Map<string, string>();
  const held: http.ServerResponse[] = [];
  let seq = 0;

  const learnMessages = (xml: string) => {
    for (const m of xml.matchAll(/<QueueMessage>([\s\S]*?)<\/QueueMessage>/g)) {
      const id = /<MessageId>([^<]+)<\/MessageId>/.exec(m[1])?.[1];
      const text = /<MessageText>([\s\S]*?)<\/MessageText>/.exec(m[1])?.[1];
      if (id && text !== undefined) messages.set(id, xmlText(text));
    }
  };

  const proxy = (service: 'blob' | 'queue', targetPort: number) =>
    http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', 'http://proxy');
        const path = url.pathname.replace(`/${AZURITE_ACCOUNT}`, '') || '/';
        const messageId = service === 'queue' ? MESSAGE_PATH.exec(path)?.[1] : undefined;
        // An enqueue or update carries the job's text; otherwise the message holds what was received.
        const written = service === 'queue' && (req.method === 'PUT' || req.method === 'POST') ? /<MessageText>([\s\S]*?)<\/MessageText>/.exec(body.toString('utf8'))?.[1] : undefined;
        const text = written !== undefined ? xmlText(written) : messageId ? messages.get(messageId) : undefined;
        const r: StorageRequest = { seq: ++seq, startedMs: performance.now(), service, method: req.method ?? 'GET', path, query: url.searchParams, body: body.toString('utf8'), job: text !== undefined ? parseJob(text) : undefined };
        log.push(r);

        const forward = () => {
          const upstream = http.request(
            { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent: false },
            (answer) => {
              r.outcome = answer.statusCode;
              const parts: Buffer[] = [];
              answer.on('data', (c: Buffer) => parts.push(c));
              answer.on('end', () => {
                const out = Buffer.concat(parts);
                if (service === 'queue' && req.method === 'GET' && messageId === undefined) learnMessages(out.toString('utf8'));
                if (messageId && written !== undefined && (answer.statusCode ?? 500) < 300) messages.set(messageId, xmlText(written));
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                res.end(out);
                r.answeredMs = performance.now();
              });
            },
          );
          upstream.on('error', () => req.socket.destroy());
          upstream.end(body);
        };

        const rule = rules.find((x) => x.left > 0 && x.when(r));
        if (rule) {
          rule.left -= 1;
          rule.hits.push(r);
          r.injected = true;
          const fault = rule.fault;
          if ('delayMs' in fault) {
            setTimeout(forward, fault.delayMs);
          } else if ('hold' in fault) {
            r.outcome = 'held';
            held.push(res);
          } else if ('reset' in fault) {
            r.outcome = 'reset';
            req.socket.destroy();
          } else {
            r.outcome = fault.status;
            const code = fault.code ?? (fault.status === 502 ? 'BadGateway' : fault.status === 504 ? 'GatewayTimeout' : 'InternalError');
            res.writeHead(fault.status, { 'content-type': 'application/xml', 'x-ms-error-code': code });
            res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>Injected by the test's storage proxy</Message></Error>`);
          }
          for (const f of rule.onHit.splice(0)) f(r);
          return;
        }
        forward();
      });
    });

  const listen = (server: http.Server) =>
    new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const blob = proxy('blob', azurite.blobPort);
  const queue = proxy('queue', azurite.queuePort);
  const [blobPort, queuePort] = await Promise.all([listen(blob), listen(queue)]);

  return {
    connectionString: [
      'DefaultEndpointsProtocol=http',
      `AccountName=${AZURITE_ACCOUNT}`,
      `AccountKey=${AZURITE_ACCOUNT_KEY}`,
      `BlobEndpoint=http://127.0.0.1:${blobPort}/${AZURITE_ACCOUNT}`,
      `QueueEndpoint=http://127.0.0.1:${queuePort}/${AZURITE_ACCOUNT}`,
    ].join(';') + ';',
    fail(when, fault, times = 1) {
      const rule: Rule = { when, fault, left: times, hits: [], onHit: [] };
      rules.push(rule);
      return {
        hits: rule.hits,
        hit: () => (rule.hits.length ? Promise.resolve(rule.hits[0]) : new Promise((resolve) => rule.onHit.push(resolve))),
        remove: () => {
          rule.left = 0;
        },
      };
    },
    requests: () => [...log],
    async close() {
      for (const res of held.splice(0)) res.socket?.destroy();
      await Promise.all(
        [blob, queue].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
