/**
 * Answering a refusal without reading what is left of the body: the rest is discarded as it
 * arrives (nothing is kept), and a client still sending well after the answer loses its connection.
 */
import type { Request, Response } from 'restify';
import type { HttpError } from './errors';

/** Long enough for an honest client to see the answer before its connection goes, short enough that a flood ends. */
export const LINGER_MS = 2_000;

export function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.send(status, body, headers);
}

export function refuse(req: Request, res: Response, err: HttpError): void {
  if (!req.complete) {
    // Closing at once could reset the connection before the client read the 4xx (RFC 9112 §9.6):
    // Node closes right after the answer when the client sent `Connection: close`, so the socket is
    // kept (and the rest of the body discarded) until the client is done or the linger runs out.
    (res as unknown as { shouldKeepAlive: boolean }).shouldKeepAlive = true;
    req.resume();
    res.once('finish', () => {
      if (req.complete) return;
      const timer = setTimeout(() => req.socket?.destroy(), LINGER_MS);
      timer.unref();
      req.once('end', () => clearTimeout(timer));
    });
  }
  sendJson(res, err.status, err.body(), err.headers);
}
