/** `npm run bot`: the bot alone, configured from the process environment. */
import { ConfigError, loadConfigFromProcess, type BotConfig } from './config';
import { createApp } from './app';
import { createLogger, scrub } from './log';
import { installFaultHandlers, routeConsole } from './processFaults';

/** Exit codes: 0 drained cleanly; 1 stopped with work still in flight; 78 bad configuration (EX_CONFIG). */
const EXIT_INTERRUPTED = 1;
/** After the drain deadline, how long the outbox hand-back may still take before the hard exit. */
const HAND_BACK_GRACE_MS = 3_000;

async function main(): Promise<void> {
  let config: BotConfig;
  try {
    config = loadConfigFromProcess();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  installFaultHandlers(process, { log, exit: (code) => process.exit(code) });
  routeConsole(console as never, log);

  const app = createApp(config, { logger: log });
  const url = await app.listen(config.port, config.host);
  app.services.log.info(
    { url, host: config.host, anonymous: config.bot.anonymous, graph: config.graph.baseUrl, apiVersion: config.graph.apiVersion },
    'bot listening',
  );
  if (config.bot.anonymous) {
    log.warn({ url, host: config.host }, 'anonymous mode (ALLOW_ANONYMOUS=true): inbound requests are NOT authenticated; listening on loopback only');
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.error({ signal, inFlight: app.drain.pending() }, 'second signal: exiting without waiting for the work in flight');
      process.exit(EXIT_INTERRUPTED);
    }
    stopping = true;
    const deadlineMs = config.shutdown.deadlineMs;
    log.info({ signal, inFlight: app.drain.size, deadlineMs }, 'stopping: no new connections; letting the work in flight finish');
    setTimeout(() => {
      log.error({ inFlight: app.drain.pending() }, 'shutdown deadline passed: exiting with work in flight');
      process.exit(EXIT_INTERRUPTED);
    }, deadlineMs + HAND_BACK_GRACE_MS).unref();
    app.close(deadlineMs).then(
      (result) => {
        if (!result.clean) log.error({ inFlight: result.pending }, 'shutdown deadline passed: exiting with work in flight');
        process.exit(result.clean ? 0 : EXIT_INTERRUPTED);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(EXIT_INTERRUPTED);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main().catch((err) => {
  // Before the log exists (or when listen fails): one line, then a non-zero exit.
  process.stderr.write(`The bot could not start: ${scrub(err instanceof Error ? err.message : String(err))}\n`);
  process.exit(1);
});
