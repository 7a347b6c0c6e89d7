/**
 * The baseline: a bare botbuilder 4.23.3 + restify 11 echo bot with the bot's own auth mode —
 * CloudAdapter + ConfigurationBotFrameworkAuthentication (inbound JWTs checked against the channel's
 * OpenID metadata, outbound tokens from MSAL with `knownAuthorities`, as bot/adapter.ts does it),
 * restify's body parser, one reply per message. Nothing of the bot's own code is imported, so the
 * difference between the two is what the bot adds to the framework.
 *
 *   PORT=… BOT_ID=… BOT_PASSWORD=… ToBotFromChannelOpenIdMetadataUrl=… … node dist/bench/echo-bot.js
 *
 * It reads the same variables as the bot (only those botbuilder needs) and prints the same
 * "bot listening" line, so the bench starts both the same way.
 *
 * ECHO_REPLY=help-card answers every message with the bot's own help card instead of a line of
 * text (the card's JSON, built once at start): the same bytes on the wire, so the difference from
 * the bot is what the bot does per turn, not the size of its answer.
 */
import type { AddressInfo } from 'node:net';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { ActivityTypes, CloudAdapter, ConfigurationBotFrameworkAuthentication, MessageFactory, TurnContext } from 'botbuilder';
import { MsalServiceClientCredentialsFactory } from 'botframework-connector';
import restify from 'restify';
import { helpCard } from '../cards';

/** botbuilder's channel override keys, passed through as the bot passes them. */
const FRAMEWORK_KEYS = [
  'ToBotFromChannelOpenIdMetadataUrl',
  'ToBotFromChannelTokenIssuer',
  'ToChannelFromBotLoginUrl',
  'ToChannelFromBotOAuthScope',
  'OAuthUrl',
  'ToBotFromEmulatorOpenIdMetadataUrl',
  'CallerId',
  'ValidateAuthority',
] as const;

export interface EchoBotOptions {
  appId: string;
  password: string;
  frameworkAuth: Record<string, string>;
  /** `help-card`: answer with the bot's help card (see above); default a line of text. */
  reply?: 'text' | 'help-card';
}

export interface RunningEchoBot {
  url: string;
  close(): Promise<void>;
}

export function createEchoAdapter(opts: EchoBotOptions): CloudAdapter {
  const loginUrl = opts.frameworkAuth.ToChannelFromBotLoginUrl;
  const credentialsFactory = loginUrl
    ? new MsalServiceClientCredentialsFactory(
        opts.appId,
        new ConfidentialClientApplication({
          auth: { clientId: opts.appId, clientSecret: opts.password, authority: loginUrl, knownAuthorities: [new URL(loginUrl).host] },
        }),
      )
    : undefined;
  return new CloudAdapter(
    new ConfigurationBotFrameworkAuthentication(
      { MicrosoftAppId: opts.appId, MicrosoftAppPassword: opts.password, MicrosoftAppType: 'MultiTenant', ...opts.frameworkAuth },
      credentialsFactory,
    ),
  );
}

export async function startEchoBot(opts: EchoBotOptions, port: number, host = '127.0.0.1'): Promise<RunningEchoBot> {
  const adapter = createEchoAdapter(opts);
  const card = opts.reply === 'help-card' ? helpCard({}) : undefined;
  const server = restify.createServer({ name: 'echo-bot', handleUncaughtExceptions: false });
  // The same parser limits as the bot, so both parse the same way.
  server.use(restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false, rejectUnknown: false }));
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    next();
  });
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, async (context) => {
      if (context.activity.type !== ActivityTypes.Message) return;
      const text = TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? '';
      await context.sendActivity(card ? MessageFactory.attachment(card) : `Echo: ${text.trim()}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actual}`,
    close: () =>
      new Promise((resolve) => {
        server.server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const frameworkAuth: Record<string, string> = {};
  for (const key of FRAMEWORK_KEYS) if (env[key]) frameworkAuth[key] = env[key]!;
  if (!env.BOT_ID || !env.BOT_PASSWORD) {
    process.stderr.write('echo-bot: BOT_ID and BOT_PASSWORD are required (the baseline runs in production auth mode)\n');
    process.exit(78);
  }
  const reply = env.ECHO_REPLY === 'help-card' ? 'help-card' : 'text';
  const bot = await startEchoBot({ appId: env.BOT_ID, password: env.BOT_PASSWORD, frameworkAuth, reply }, Number(env.PORT ?? 3978), env.HOST ?? '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ msg: 'bot listening', url: bot.url, service: 'echo-bot' })}\n`);
  const stop = () => void bot.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) void main();
