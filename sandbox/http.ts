/**
 * The few HTTP helpers every stand-in needs. The stand-ins use bare node:https rather than a
 * framework so that what they accept and answer is exactly what is written here.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SandboxCerts } from './certs';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export class BodyTooLargeError extends Error {}

/** Reads the whole request body as text, refusing more than `limit` bytes. */
export function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(`body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'Content-Length': Buffer.byteLength(text).toString(),
    ...headers,
  });
  res.end(text);
}

export interface RunningServer {
  /** e.g. https://127.0.0.1:3980 (no trailing slash) */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts an HTTPS server on 127.0.0.1. `port` 0 picks a free port (tests); a port in use
 * rejects with an error naming `name` and `portVariable`, so the launcher can say what to move.
 */
export function listenHttps(
  certs: SandboxCerts,
  handler: Handler,
  opts: { port?: number; name: string; portVariable?: string },
): Promise<RunningServer> {
  const server = https.createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'stand-in failure', message: String(err) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`${opts.name}: port ${opts.port} is already in use` +
          (opts.portVariable ? ` (set ${opts.portVariable} to move it)` : '')));
      } else reject(err);
    });
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `https://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
