/**
 * The bot's environment under `npm start`: env/.env.local (the sandbox's configuration, the same
 * contract as a real tenant's) with the URLs pointed at wherever the launcher actually put each
 * part, plus NODE_EXTRA_CA_CERTS so Node trusts the sandbox CA from the first byte.
 */
import fs from 'node:fs';
import { parseEnv } from 'node:util';
import { azuriteConnectionString } from '../azurite';

export interface BotEnvInputs {
  envFile: string;
  port: number;
  bridgeUrl: string;
  openIdMetadataUrl: string;
  entraUrl: string;
  graphUrl: string;
  azurite: { blobPort: number; queuePort: number };
  caPath: string;
  /** e.g. LOG_LEVEL from the launcher's environment. */
  logLevel?: string;
}

/** Where the stand-ins are: the only values of env/.env.local that depend on where they listen. */
export interface StandInUrls {
  /** The channel (Teams stand-in or bridge) base URL, and its OpenID metadata URL. */
  channelUrl: string;
  openIdMetadataUrl: string;
  entraUrl: string;
  graphUrl: string;
}

/** The configuration contract's URL variables pointed at the stand-ins (every launcher, test and bench uses this). */
export function standInUrls(urls: StandInUrls): Record<string, string> {
  return {
    ToBotFromChannelOpenIdMetadataUrl: urls.openIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: urls.openIdMetadataUrl,
    OAuthUrl: urls.channelUrl,
    ToChannelFromBotLoginUrl: `${urls.entraUrl}/botframework.com`,
    AAD_APP_OAUTH_AUTHORITY_HOST: urls.entraUrl,
    GRAPH_BASE_URL: urls.graphUrl,
  };
}

export function readEnvFile(file: string): Record<string, string> {
  return parseEnv(fs.readFileSync(file, 'utf8')) as Record<string, string>;
}

export function botEnv(inputs: BotEnvInputs, base: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const local = readEnvFile(inputs.envFile);
  return {
    // Only what a Node process needs from the launcher's own environment.
    ...(base.PATH ? { PATH: base.PATH } : {}),
    ...(base.HOME ? { HOME: base.HOME } : {}),
    ...(base.TZ ? { TZ: base.TZ } : {}),
    ...local,
    PORT: String(inputs.port),
    HOST: '127.0.0.1',
    // The sign-in pages are where the bot listens; Entra's registration lists http://127.0.0.1/auth/end (any port).
    PUBLIC_URL: `http://127.0.0.1:${inputs.port}`,
    ...standInUrls({ channelUrl: inputs.bridgeUrl, openIdMetadataUrl: inputs.openIdMetadataUrl, entraUrl: inputs.entraUrl, graphUrl: inputs.graphUrl }),
    AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(inputs.azurite),
    ...(inputs.logLevel ? { LOG_LEVEL: inputs.logLevel } : {}),
    NODE_EXTRA_CA_CERTS: inputs.caPath,
  };
}
