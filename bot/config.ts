/**
 * The configuration contract (DESIGN.md): read once, at the edge, validated as a whole.
 * Nothing else in bot/ reads process.env; everything else receives a BotConfig.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** botbuilder's own keys, passed through verbatim to ConfigurationBotFrameworkAuthentication. */
export const BOT_FRAMEWORK_OVERRIDE_KEYS = [
  'ToBotFromChannelOpenIdMetadataUrl',
  'ToBotFromChannelTokenIssuer',
  'ToChannelFromBotLoginUrl',
  'ToChannelFromBotOAuthScope',
  'OAuthUrl',
  'ToBotFromEmulatorOpenIdMetadataUrl',
  'CallerId',
] as const;

export interface BotConfig {
  port: number;
  bot: {
    /** Empty = anonymous local mode: no inbound JWT check, no outbound token. */
    id?: string;
    password?: string;
    type: 'MultiTenant' | 'SingleTenant';
    tenantId?: string;
    /** The override keys plus ValidateAuthority, only those that were set. */
    frameworkAuth: Record<string, string>;
  };
  sso: {
    clientId: string;
    clientSecret: string;
    /** The app's home tenant, or `common` / `organizations` for a multi-tenant app. */
    tenantId: string;
    authorityHost: string;
    appIdUri: string;
    allowedTenants: string[];
  };
  graph: { baseUrl: string; apiVersion: 'v1.0' | 'beta'; timeoutMs: number };
  storage: { connectionString?: string; container: string };
  notifyApiKey?: string;
  /** The outbox of team-channel notifications (Azure Queue Storage; its dead letters go to `<queue>-poison`). */
  notifications: { queueName: string };
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is invalid; the bot will not start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MULTI_TENANT_AUTHORITIES = new Set(['common', 'organizations']);

type Env = Record<string, string | undefined>;

/** Reads and validates the whole contract; throws one ConfigError naming every problem variable. */
export function loadConfig(env: Env): BotConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const required = (name: string, meaning: string): string => {
    const v = get(name);
    if (!v) problems.push(`${name} is missing (${meaning})`);
    return v ?? '';
  };
  // Secrets are checked for presence only: their values never appear in a message.
  const httpsUrl = (name: string, fallback?: string): string => {
    const v = get(name) ?? fallback ?? '';
    if (!v) return v;
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:') problems.push(`${name} must be an https URL (got ${u.protocol}//…)`);
    } catch {
      problems.push(`${name} is not a URL`);
    }
    return v.replace(/\/+$/, '');
  };

  const portText = get('PORT') ?? '3978';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) problems.push(`PORT must be a port number 1-65535 (got "${portText}")`);

  const botId = get('BOT_ID');
  const botPassword = get('BOT_PASSWORD');
  if (botId && !GUID.test(botId)) problems.push('BOT_ID must be the Azure Bot app registration id (a GUID)');
  if (botId && !botPassword) problems.push('BOT_PASSWORD is missing (required whenever BOT_ID is set)');
  const botType = get('BOT_TYPE') ?? 'MultiTenant';
  if (botType !== 'MultiTenant' && botType !== 'SingleTenant') problems.push(`BOT_TYPE must be MultiTenant or SingleTenant (got "${botType}")`);
  const botTenantId = get('BOT_TENANT_ID');
  if (botType === 'SingleTenant' && !botTenantId) problems.push('BOT_TENANT_ID is missing (required when BOT_TYPE=SingleTenant)');
  if (botTenantId && !GUID.test(botTenantId)) problems.push('BOT_TENANT_ID must be a tenant id (a GUID)');

  const frameworkAuth: Record<string, string> = {};
  const setOverrides = BOT_FRAMEWORK_OVERRIDE_KEYS.filter((k) => get(k));
  if (setOverrides.length > 0 && setOverrides.length < BOT_FRAMEWORK_OVERRIDE_KEYS.length) {
    const missing = BOT_FRAMEWORK_OVERRIDE_KEYS.filter((k) => !get(k));
    problems.push(`${missing.join(', ')} must be set too: botbuilder uses all of its channel override keys once any is set (set: ${setOverrides.join(', ')})`);
  }
  for (const k of setOverrides) frameworkAuth[k] = get(k)!;
  const validateAuthority = get('ValidateAuthority');
  if (validateAuthority !== undefined) {
    if (!/^(true|false)$/i.test(validateAuthority)) problems.push('ValidateAuthority must be true or false');
    frameworkAuth.ValidateAuthority = validateAuthority.toLowerCase();
  }

  const clientId = required('AAD_APP_CLIENT_ID', 'the SSO/on-behalf-of Entra app client id');
  if (clientId && !GUID.test(clientId)) problems.push('AAD_APP_CLIENT_ID must be a GUID');
  const clientSecret = required('AAD_APP_CLIENT_SECRET', 'the SSO/on-behalf-of Entra app client secret');
  const tenantId = required('AAD_APP_TENANT_ID', "the SSO app's home tenant id, or common/organizations");
  const multiTenantApp = MULTI_TENANT_AUTHORITIES.has(tenantId.toLowerCase());
  if (tenantId && !GUID.test(tenantId) && !multiTenantApp) {
    problems.push('AAD_APP_TENANT_ID must be a tenant id (GUID), common or organizations');
  }
  const authorityHost = httpsUrl('AAD_APP_OAUTH_AUTHORITY_HOST', 'https://login.microsoftonline.com');
  const appIdUri = required('AAD_APP_ID_URI', 'the application ID URI, api://<domain>/<client id>');
  if (appIdUri && !/^api:\/\/.+/.test(appIdUri)) problems.push('AAD_APP_ID_URI must look like api://<domain>/<client id>');

  const allowedText = get('ALLOWED_TENANTS');
  let allowedTenants: string[] = [];
  if (allowedText) {
    allowedTenants = allowedText.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
    const bad = allowedTenants.filter((t) => !GUID.test(t));
    if (bad.length) problems.push(`ALLOWED_TENANTS must be a comma list of tenant ids (GUIDs); not ids: ${bad.join(', ')}`);
  } else if (multiTenantApp) {
    problems.push(`ALLOWED_TENANTS is missing (required when AAD_APP_TENANT_ID is ${tenantId}: name the tenants that may use the bot)`);
  } else if (tenantId) {
    allowedTenants = [tenantId.toLowerCase()];
  }

  const graphBaseUrl = httpsUrl('GRAPH_BASE_URL', 'https://graph.microsoft.com');
  const apiVersion = get('GRAPH_API_VERSION') ?? 'v1.0';
  if (apiVersion !== 'v1.0' && apiVersion !== 'beta') problems.push(`GRAPH_API_VERSION must be v1.0 or beta (got "${apiVersion}")`);

  const container = get('STATE_CONTAINER') ?? 'bot-state';
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    problems.push('STATE_CONTAINER must be a valid Azure Storage container name (3-63 lower-case letters, digits, single hyphens)');
  }
  const connectionString = get('AZURE_STORAGE_CONNECTION_STRING');
  if (connectionString && !/AccountName=|UseDevelopmentStorage=true|BlobEndpoint=/i.test(connectionString)) {
    problems.push('AZURE_STORAGE_CONNECTION_STRING does not look like an Azure Storage connection string');
  }

  if (connectionString && /BlobEndpoint=/i.test(connectionString) && !/QueueEndpoint=|AccountName=|UseDevelopmentStorage=true/i.test(connectionString)) {
    problems.push('AZURE_STORAGE_CONNECTION_STRING has a BlobEndpoint but no QueueEndpoint (the notification outbox uses Azure Queue Storage)');
  }
  const queueName = get('NOTIFY_QUEUE') ?? 'notifications';
  // Queue names: 3-63 lower-case letters, digits, single hyphens; "-poison" is appended for dead letters.
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]$/.test(queueName)) {
    problems.push('NOTIFY_QUEUE must be a valid Azure Storage queue name of at most 56 characters (lower-case letters, digits, single hyphens)');
  }

  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push(`LOG_LEVEL must be debug, info, warn or error (got "${logLevel}")`);

  if (problems.length) throw new ConfigError(problems);

  return {
    port,
    bot: { id: botId, password: botId ? botPassword : undefined, type: botType as BotConfig['bot']['type'], tenantId: botTenantId, frameworkAuth },
    sso: { clientId, clientSecret, tenantId, authorityHost, appIdUri, allowedTenants },
    graph: { baseUrl: graphBaseUrl, apiVersion: apiVersion as BotConfig['graph']['apiVersion'], timeoutMs: 10_000 },
    storage: { connectionString, container },
    notifyApiKey: get('NOTIFY_API_KEY'),
    notifications: { queueName },
    logLevel: logLevel as LogLevel,
  };
}
