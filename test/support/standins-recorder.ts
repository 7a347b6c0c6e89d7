/**
 * A test's own remote side: a tiny HTTPS server on a free port that records every request and
 * answers through the test's handler. For behaviours the stand-ins never produce (a Graph that
 * answers PATCH with 204) and for proving that no request was made at all.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { SandboxCerts } from '../../sandbox/certs';
import { listenHttps, readBody } from '../../sandbox/http';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type RecorderHandler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface Recorder {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecorder(certs: SandboxCerts, handler: RecorderHandler, name = 'test remote'): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  const server = await listenHttps(
    certs,
    async (req, res) => {
      const recorded: RecordedRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        url: req.url ?? '/',
        headers: req.headers,
        body: await readBody(req),
      };
      requests.push(recorded);
      await handler(recorded, res);
    },
    { port: 0, name },
  );
  return { url: server.url, requests, close: () => server.close() };
}
