/**
 * The two ways the fuzz suite talks to the bot, below any client library: a raw HTTP/1.1 request
 * written byte for byte on a socket (so headers and bodies can be anything, including lies about
 * their own length), and an activity signed exactly as the Teams stand-in's Connector signs it.
 */
import http from 'node:http';
import net from 'node:net';
import { ChannelSigner, type ChannelAuth } from '../../sandbox/teams/channelSigning';

export interface RawRequest {
  method: string;
  path: string;
  /** Sent verbatim, in order (names and values are not checked: the server's parser is under test). */
  headers: Array<[string, string]>;
  body: Uint8Array;
}

export interface RawAnswer {
  /** 0 when the server closed the connection without a status line (or did not answer in time). */
  status: number;
  /** Everything after the status line (headers and body), as latin1 text, for leak checks. */
  text: string;
  timedOut: boolean;
}

/**
 * One request on its own connection. `halfClose` ends the client's side after the body — for a
 * request whose Content-Length promises more bytes than it carries, so it ends at once instead of
 * waiting for a timeout (Node's server then aborts the request: no answer is the right outcome).
 * Otherwise the client waits for the answer like any real client.
 */
export function rawRequest(baseUrl: string, req: RawRequest, timeoutMs = 5000, halfClose = false): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(all);
      resolve({ status: m ? Number(m[1]) : 0, text: all.slice(m ? m[0].length : 0), timedOut });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // A whole answer (head + Content-Length bytes) is the answer: the server may keep the
      // connection a moment longer (it drains a refused body before closing), a client need not wait.
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(all.subarray(0, end).toString('latin1'));
      if (length && all.length >= end + 4 + Number(length[1])) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    socket.on('connect', () => {
      const head = [`${req.method} ${req.path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...req.headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''].join('\r\n');
      socket.write(Buffer.from(head, 'latin1'));
      if (halfClose) socket.end(Buffer.from(req.body));
      else socket.write(Buffer.from(req.body));
    });
  });
}

export interface SignedAnswer {
  status: number;
  /** The body as text (the invoke response for invokes). */
  text: string;
  json?: unknown;
}

/**
 * Posts any value as an activity with a Connector token for `serviceUrl` — the stand-in's own
 * signer (the process-wide keys its JWKS publishes), without its delivery helper's header
 * building, so the activity may be of any shape at all.
 */
export class SignedPoster {
  private readonly signer: ChannelSigner;

  constructor(
    teamsUrl: string,
    botAppId: string,
    private readonly endpoint: string,
  ) {
    this.signer = new ChannelSigner(teamsUrl, botAppId);
  }

  async post(activity: unknown, serviceUrl: string, auth: ChannelAuth = 'valid'): Promise<SignedAnswer> {
    const authorization = await this.signer.authorizationFor(serviceUrl, auth);
    const body = Buffer.from(JSON.stringify(activity) ?? 'null', 'utf8');
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
      'User-Agent': 'Microsoft-SkypeBotApi (Microsoft-BotFramework/3.0)',
    };
    if (authorization) headers.Authorization = authorization;
    return new Promise((resolve, reject) => {
      const req = http.request(this.endpoint, { method: 'POST', headers, agent: false, timeout: 20_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('the bot did not answer within 20 s')));
      req.on('error', reject);
      req.end(body);
    });
  }
}
