/**
 * The CloudAdapter and its authentication.
 *
 * Production auth is on whenever BOT_ID is set: inbound activities must carry a channel token
 * that botbuilder verifies (signature, issuer, audience, serviceurl, endorsements); outbound
 * calls carry the bot's own token. With no BOT_ID the adapter runs anonymously (local tools only).
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { MsalServiceClientCredentialsFactory } from 'botframework-connector';
import type { BotConfig } from './config';

const MICROSOFT_LOGIN_HOSTS = /(^|\.)(login\.microsoftonline\.(com|us)|login\.chinacloudapi\.cn|login\.botframework\.com)$/i;

export function createAdapter(bot: BotConfig['bot']): CloudAdapter {
  if (!bot.id) return new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));

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
