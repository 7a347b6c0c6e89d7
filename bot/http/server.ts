/**
 * HTTP: restify routes in front of the adapter. No body parser of restify's: every route reads
 * its body through the bounded reader (./body), so a broken, compressed or oversized request is
 * answered 4xx before any turn starts, and nothing is ever written to disk.
 */
import restify from 'restify';
import type { CloudAdapter } from 'botbuilder';
import { type Clock, systemClock } from '../clock';
import type { NotifyKey } from '../config';
import type { Logger } from '../log';
import type { Notifications } from '../notifications';
import type { SignInRoute } from '../signin/pages';
import type { TurnRunner } from '../teams/bot';
import { HttpError } from './errors';
import { messagesHandler } from './messages';
import { notifyHandler } from './notify';
import { sendJson } from './reply';

export { MAX_BODY_BYTES } from './messages';

/** Slow clients (slowloris) cannot hold connections: headers, whole requests and idle keep-alives are bounded. */
export interface HttpTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 };

export interface ServerDeps {
  adapter: CloudAdapter;
  bot: TurnRunner;
  log: Logger;
  /** POST /api/notify exists only with a key; otherwise it is a 404 like any unknown path. */
  notify?: { keys: NotifyKey[]; perKeyPerMinute: number; notifications: Notifications };
  timeouts?: Partial<HttpTimeouts>;
  /** Plain Node (req, res) pages served with GET: the sign-in pages (bot/signin). */
  routes?: SignInRoute[];
  /** The bot's one clock (services.clock), handed to the routes that read the time. */
  clock?: Clock;
}

export function createServer({ adapter, bot, log, notify, timeouts, routes = [], clock = systemClock }: ServerDeps): restify.Server {
  const server = restify.createServer({ name: 'autopilot-uploads-bot', handleUncaughtExceptions: false });
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...timeouts };
  const node = server.server;
  node.headersTimeout = t.headersMs;
  node.requestTimeout = t.requestMs;
  node.keepAliveTimeout = t.keepAliveMs;
  // Node checks the two timeouts above only this often (30 s by default); read when listening starts.
  (node as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(1_000, t.headersMs);

  const guarded = (route: string, handle: (req: restify.Request, res: restify.Response) => Promise<void>) =>
    async (req: restify.Request, res: restify.Response) => {
      try {
        await handle(req, res);
      } catch (err) {
        log.error({ err, route }, 'request failed');
        sendJson(res, 500, new HttpError('InternalError', 'Internal error').body());
      }
    };

  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    next();
  });

  for (const route of routes) server.get(route.path, guarded(route.path, async (req, res) => route.handler(req, res)));

  if (notify) server.post('/api/notify', guarded('/api/notify', notifyHandler({ ...notify, log, clock })));
  server.post('/api/messages', guarded('/api/messages', messagesHandler({ adapter, bot, log, clock })));

  server.on('restifyError', (req, res, err, next) => {
    // restify's own answers (404, 405): their status, never internals or the path echoed.
    log.info({ route: req.getPath?.(), status: err.statusCode, code: err.name }, 'request rejected');
    const message = err.statusCode === 404 ? 'Not found.' : err.statusCode === 405 ? 'Method not allowed.' : err.statusCode >= 500 ? 'Internal error' : 'Refused.';
    err.toJSON = () => ({ error: { code: err.body?.code ?? err.name, message } });
    return next();
  });
  return server;
}
