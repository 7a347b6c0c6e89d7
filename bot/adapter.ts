/**
 * The CloudAdapter and its authentication.
 *
 * Production auth whenever BOT_ID is set: inbound activities must carry a channel token that
 * botbuilder verifies (signature, issuer, audience, serviceurl, endorsements); outbound calls
 * carry the bot's own token. The anonymous adapter (no inbound check) exists only when the
 * operator opted in (ALLOW_ANONYMOUS=true, config.bot.anonymous) — never merely because the id is
 * empty — and config then binds the server to loopback.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { MsalServiceClientCredentialsFactory } from 'botframework-connector';
import type { BotConfig } from './config';
import { CONNECTOR_SEND_TIMEOUT_MS, withTimeout } from './timeouts';

const MICROSOFT_LOGIN_HOSTS = /(^|\.)(login\.microsoftonline\.(com|us)|login\.chinacloudapi\.cn|login\.botframework\.com)$/i;

export function createAdapter(bot: BotConfig['bot'], sendTimeoutMs = CONNECTOR_SEND_TIMEOUT_MS): CloudAdapter {
  return withSendTimeouts(buildAdapter(bot), sendTimeoutMs);
}

/**
 * botbuilder's Connector client has no overall timeout (its pipeline retries 429/5xx up to three
 * times): a send or update that hangs fails as BotError('timeout') instead of holding the turn.
 * Middleware runs for proactive turns too (late card updates, notifications).
 */
function withSendTimeouts(adapter: CloudAdapter, ms: number): CloudAdapter {
  adapter.use(async (context, next) => {
    context.onSendActivities((_ctx, _activities, send) => withTimeout(send(), ms, 'The Bot Connector (send)'));
    context.onUpdateActivity((_ctx, _activity, update) => withTimeout(update(), ms, 'The Bot Connector (update)'));
    await next();
  });
  return adapter;
}

function buildAdapter(bot: BotConfig['bot']): CloudAdapter {
  if (bot.anonymous) return new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  if (!bot.id) {
    // loadConfig refuses this; a caller that built its own config must not get an open bot by accident.
    throw new Error('createAdapter: BOT_ID is empty and anonymous mode was not chosen (ALLOW_ANONYMOUS=true)');
  }

  const settings = {
    MicrosoftAppId: bot.id,
    MicrosoftAppPassword: bot.password,
    MicrosoftAppType: bot.type,
    MicrosoftAppTenantId: bot.tenantId,
    ...bot.frameworkAuth,
  };
  const loginUrl = bot.frameworkAuth.ToChannelFromBotLoginUrl;
  // botbuilder's own MSAL app always runs instance discovery, which only knows Microsoft's
  // clouds; any other login host (a sovereign stand-in, the sandbox) must be a known authority.
  const credentialsFactory =
    loginUrl && !MICROSOFT_LOGIN_HOSTS.test(new URL(loginUrl).hostname)
      ? new MsalServiceClientCredentialsFactory(
          bot.id,
          new ConfidentialClientApplication({
            auth: {
              clientId: bot.id,
              clientSecret: bot.password,
              authority: bot.type === 'SingleTenant' && bot.tenantId ? `${new URL(loginUrl).origin}/${bot.tenantId}` : loginUrl,
              knownAuthorities: [new URL(loginUrl).host],
            },
          }),
        )
      : undefined;
  return new CloudAdapter(new ConfigurationBotFrameworkAuthentication(settings, credentialsFactory));
}
