/**
 * HTTP: restify routes in front of the adapter. Bodies are size-limited and parsed here, so a
 * broken or oversized request is answered 4xx before any turn starts.
 */
import restify from 'restify';
import type { CloudAdapter } from 'botbuilder';
import { notifyHandler } from './handlers/notify';
import type { NotifyKey } from './config';
import type { Logger } from './log';
import type { Notifications } from './notifications';
import type { SignInRoute } from './signin/pages';
import type { TurnRunner } from './teams/bot';

/** Teams messages are at most ~100 KB including cards; leave room, refuse the rest. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ServerDeps {
  adapter: CloudAdapter;
  bot: TurnRunner;
  log: Logger;
  /** POST /api/notify exists only with a key (NOTIFY_API_KEY); otherwise it is a 404 like any unknown path. */
  notify?: { keys: NotifyKey[]; notifications: Notifications };
  /** Plain Node (req, res) pages: the sign-in pages (bot/signin). */
  routes?: SignInRoute[];
}

export function createServer({ adapter, bot, log, notify, routes = [] }: ServerDeps): restify.Server {
  const server = restify.createServer({ name: 'autopilot-uploads-bot', handleUncaughtExceptions: false });
  // Per route: /api/notify checks its key before reading a byte of the body, with its own limit.
  const parseActivity = restify.plugins.bodyParser({ maxBodySize: MAX_BODY_BYTES, mapParams: false, rejectUnknown: false });

  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    next();
  });

  for (const route of routes) {
    server.get(route.path, async (req, res) => {
      try {
        await route.handler(req, res);
      } catch (err) {
        log.error({ err, route: route.path }, 'page failed');
        if (!res.headersSent) res.send(500, { error: 'Internal error' });
      }
    });
  }

  if (notify) {
    const handle = notifyHandler({ ...notify, log });
    server.post('/api/notify', async (req, res) => {
      try {
        await handle(req, res);
      } catch (err) {
        log.error({ err }, 'notify failed');
        if (!res.headersSent) res.send(500, { error: { code: 'InternalError', message: 'Internal error' } });
      }
    });
  }

  server.post('/api/messages', parseActivity, async (req, res) => {
    const started = Date.now();
    let turnRan = false;
    try {
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
        res.send(400, { error: 'The request body must be a JSON activity.' });
        return;
      }
      await adapter.process(req, res, async (context) => {
        turnRan = true;
        await bot.run(context);
      });
    } catch (err) {
      log.error({ err }, 'request failed outside a turn');
      if (!res.headersSent) res.send(500, { error: 'Internal error' });
    } finally {
      if (!turnRan) {
        // Turns log themselves; this covers requests refused before one started (auth, bad body).
        log.info({ route: '/api/messages', status: res.statusCode, durationMs: Date.now() - started }, 'request refused before a turn');
      }
    }
  });

  server.on('restifyError', (req, res, err, next) => {
    // Parser failures (malformed JSON, too large) carry their 4xx; never echo internals.
    log.info({ route: req.getPath?.(), status: err.statusCode, code: err.name }, 'request rejected');
    err.toJSON = () => ({ code: err.body?.code ?? err.name, message: err.statusCode >= 500 ? 'Internal error' : err.message });
    return next();
  });
  return server;
}
