/** `npm run bot`: the bot alone, configured from the process environment. */
import { ConfigError, loadConfig } from './config';
import { createApp } from './app';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const app = createApp(config);
  const url = await app.listen(config.port, config.host);
  app.services.log.info({ url, graph: config.graph.baseUrl, apiVersion: config.graph.apiVersion }, 'bot listening');
  if (config.bot.anonymous) {
    app.services.log.warn({ url }, 'ALLOW_ANONYMOUS=true: inbound requests are NOT authenticated; listening on loopback only');
  }
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
