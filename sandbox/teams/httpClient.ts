/**
 * One outbound HTTP(S) call, for delivering activities to the bot and fetching Entra's keys.
 * Bare node:http(s) with an explicit CA so it works whether or not NODE_EXTRA_CA_CERTS is set.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  json: unknown;
}

export interface HttpCall {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  ca?: string;
  timeoutMs?: number;
}

export class HttpTimeoutError extends Error {}

export function httpCall(url: string, call: HttpCall = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method: call.method ?? 'GET',
        headers: {
          ...(call.body !== undefined ? { 'Content-Length': Buffer.byteLength(call.body).toString() } : {}),
          ...call.headers,
        },
        ...(target.protocol === 'https:' && call.ca ? { ca: call.ca } : {}),
        // No pooling: the stand-in must not hold sockets open after a test closes it.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new HttpTimeoutError(`${call.method ?? 'GET'} ${url} took longer than ${call.timeoutMs} ms`));
    }, call.timeoutMs ?? 30_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (call.body !== undefined) req.write(call.body);
    req.end();
  });
}
