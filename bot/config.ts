/**
 * The configuration contract (DESIGN.md): read once, at the edge, validated as a whole.
 * Nothing else in bot/ reads process.env; everything else receives a BotConfig.
 */
import { GUID } from './guid';

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
  /** The address the HTTP server binds; always loopback in anonymous mode. */
  host: string;
  bot: {
    /** Empty = anonymous local mode (only with ALLOW_ANONYMOUS=true): no inbound JWT check, no outbound token. */
    id?: string;
    /** True only when BOT_ID is empty and ALLOW_ANONYMOUS=true was set on purpose. */
    anonymous: boolean;
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
    /** The apps whose SSO tokens are accepted (`azp`/`appid`): the Teams clients unless configured otherwise. */
    clientAppIds: string[];
  };
  graph: { baseUrl: string; apiVersion: 'v1.0' | 'beta'; timeoutMs: number };
  storage: { connectionString?: string; container: string };
  /**
   * POST /api/notify: one key per allowed tenant (a key announces only into its own tenant);
   * empty = the endpoint is disabled.
   */
  notify: { keys: NotifyKey[]; perKeyPerMinute: number };
  /** The outbox of team-channel notifications (Azure Queue Storage; its dead letters go to `<queue>-poison`). */
  notifications: { queueName: string };
  /** How long settled changes (done, failed, cancelled, expired) are kept, for "already done" answers and audits. */
  retention: { settledMs: number };
  /** SIGTERM/SIGINT: how long in-flight turns (a Confirm with its retries) may take to finish. */
  shutdown: { deadlineMs: number };
  /** The bot's public base URL (PUBLIC_URL, no trailing slash): where its sign-in pages are, Entra's redirect_uri. */
  publicUrl: string;
  logLevel: LogLevel;
}

export interface NotifyKey {
  tenantId: string;
  key: string;
}

/** The Teams clients that request SSO tokens for bots (desktop/mobile, web): the `azp`/`appid` of a genuine one. */
export const TEAMS_CLIENT_APP_IDS = ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'];
/** A notify key must be long enough that guessing it is hopeless (32+ characters, e.g. `openssl rand -base64 32`). */
export const NOTIFY_KEY_MIN_CHARS = 32;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is invalid; the bot will not start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const MULTI_TENANT_AUTHORITIES = new Set(['common', 'organizations']);

type Env = Record<string, string | undefined>;

/** The contract read from this process's environment: the one read of process.env (bot/index.ts). */
export function loadConfigFromProcess(): BotConfig {
  return loadConfig(process.env);
}

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

  const positiveInt = (name: string, fallback: number, min: number, max: number): number => {
    const text = get(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      problems.push(`${name} must be a whole number ${min}-${max} (got "${text}")`);
      return fallback;
    }
    return n;
  };

  const portText = get('PORT') ?? '3978';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) problems.push(`PORT must be a port number 1-65535 (got "${portText}")`);

  const botId = get('BOT_ID');
  const botPassword = get('BOT_PASSWORD');
  const allowAnonymousText = get('ALLOW_ANONYMOUS');
  if (allowAnonymousText !== undefined && !/^(true|false)$/i.test(allowAnonymousText)) problems.push('ALLOW_ANONYMOUS must be true or false');
  const allowAnonymous = allowAnonymousText?.toLowerCase() === 'true';
  if (botId && !GUID.test(botId)) problems.push('BOT_ID must be the Azure Bot app registration id (a GUID)');
  if (botId && !botPassword) problems.push('BOT_PASSWORD is missing (required whenever BOT_ID is set)');
  if (!botId && botPassword) problems.push('BOT_PASSWORD is set but BOT_ID is empty: set BOT_ID to the Azure Bot app registration id');
  if (!botId && !allowAnonymous) {
    // botbuilder's usual names: an operator who set them expects production auth, not an open bot.
    const foreign = ['MicrosoftAppId', 'MicrosoftAppPassword'].filter((k) => get(k));
    problems.push(
      'BOT_ID is missing (the Azure Bot app registration id; without it inbound requests are not authenticated)' +
        (foreign.length ? ` — ${foreign.join(' and ')} ${foreign.length > 1 ? 'are' : 'is'} not read by this bot: use BOT_ID and BOT_PASSWORD` : '') +
        '. For local tools only, ALLOW_ANONYMOUS=true runs without inbound authentication on 127.0.0.1',
    );
  }
  if (botId && allowAnonymous) problems.push('ALLOW_ANONYMOUS=true cannot be combined with BOT_ID: a bot with an app id always authenticates');
  const anonymous = !botId && allowAnonymous;
  const host = get('HOST') ?? (anonymous ? '127.0.0.1' : '0.0.0.0');
  if (anonymous && !LOOPBACK_HOSTS.has(host)) problems.push(`HOST must be a loopback address in anonymous mode (got "${host}"): an unauthenticated bot never listens beyond this machine`);
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

  const clientAppIdsText = get('SSO_CLIENT_APP_IDS');
  const clientAppIds = clientAppIdsText ? clientAppIdsText.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean) : TEAMS_CLIENT_APP_IDS;
  const badClients = clientAppIds.filter((t) => !GUID.test(t));
  if (badClients.length || clientAppIds.length === 0) problems.push(`SSO_CLIENT_APP_IDS must be a comma list of app ids (GUIDs)${badClients.length ? `; not ids: ${badClients.join(', ')}` : ''}`);

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

  const notifyKeys = notifyKeysFrom(get('NOTIFY_API_KEY'), get('NOTIFY_API_KEYS'), allowedTenants, problems);
  const perKeyPerMinute = positiveInt('NOTIFY_RATE_LIMIT_PER_MINUTE', 60, 1, 100_000);
  const retentionDays = positiveInt('STATE_RETENTION_DAYS', 7, 1, 365);
  const shutdownSeconds = positiveInt('SHUTDOWN_DEADLINE_SECONDS', 30, 1, 600);

  const publicUrl = publicUrlFrom(get('PUBLIC_URL'), appIdUri, problems);

  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push(`LOG_LEVEL must be debug, info, warn or error (got "${logLevel}")`);

  if (problems.length) throw new ConfigError(problems);

  return {
    port,
    host,
    bot: { id: botId, anonymous, password: botId ? botPassword : undefined, type: botType as BotConfig['bot']['type'], tenantId: botTenantId, frameworkAuth },
    sso: { clientId, clientSecret, tenantId, authorityHost, appIdUri, allowedTenants, clientAppIds },
    graph: { baseUrl: graphBaseUrl, apiVersion: apiVersion as BotConfig['graph']['apiVersion'], timeoutMs: 10_000 },
    storage: { connectionString, container },
    notify: { keys: notifyKeys, perKeyPerMinute },
    notifications: { queueName },
    retention: { settledMs: retentionDays * 24 * 3600 * 1000 },
    shutdown: { deadlineMs: shutdownSeconds * 1000 },
    publicUrl,
    logLevel: logLevel as LogLevel,
  };
}

/**
 * PUBLIC_URL: the https origin Teams and Entra reach the bot at (its sign-in pages are Entra's
 * redirect_uri, so it must be exactly what the app registration lists). Plain http only on
 * loopback, where the sandbox runs. Default: the domain of `api://<domain>/<client id>`.
 */
function publicUrlFrom(text: string | undefined, appIdUri: string, problems: string[]): string {
  const derived = /^api:\/\/([^/]+)\/.+/.exec(appIdUri)?.[1];
  const value = text ?? (derived ? `https://${derived}` : undefined);
  if (!value) {
    if (appIdUri) problems.push('PUBLIC_URL is missing (the https base URL of the bot; it cannot be derived from an AAD_APP_ID_URI without a domain)');
    return '';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push('PUBLIC_URL is not a URL (the https base URL of the bot, e.g. https://bot.contoso.com)');
    return '';
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname.replace(/^\[|\]$/g, ''));
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) problems.push(`PUBLIC_URL must be an https URL (got ${url.protocol}//…; http only on loopback)`);
  if (url.search || url.hash || url.username || url.password) problems.push('PUBLIC_URL must be a plain base URL without query, fragment or credentials');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * NOTIFY_API_KEY serves the only allowed tenant; with several tenants each needs its own key in
 * NOTIFY_API_KEYS (`<tenant id>=<key>,…`), so a key can only announce into its own tenant.
 * Key values never appear in a message.
 */
function notifyKeysFrom(single: string | undefined, perTenant: string | undefined, allowedTenants: string[], problems: string[]): NotifyKey[] {
  const keys: NotifyKey[] = [];
  if (single && perTenant) problems.push('NOTIFY_API_KEY and NOTIFY_API_KEYS are both set: use one of them');
  if (single && !perTenant) {
    if (allowedTenants.length > 1) {
      problems.push('NOTIFY_API_KEY serves a single tenant, but ALLOWED_TENANTS names several: give each tenant its own key in NOTIFY_API_KEYS (<tenant id>=<key>,…)');
    } else if (allowedTenants.length === 1) {
      keys.push({ tenantId: allowedTenants[0]!, key: single });
    }
  }
  if (perTenant) {
    for (const entry of perTenant.split(',').map((e) => e.trim()).filter(Boolean)) {
      const at = entry.indexOf('=');
      const tenantId = (at > 0 ? entry.slice(0, at) : '').trim().toLowerCase();
      const key = at > 0 ? entry.slice(at + 1).trim() : '';
      if (!GUID.test(tenantId) || !key) {
        problems.push('NOTIFY_API_KEYS must be a comma list of <tenant id>=<key> entries');
        return [];
      }
      if (!allowedTenants.includes(tenantId)) problems.push(`NOTIFY_API_KEYS names tenant ${tenantId}, which is not in ALLOWED_TENANTS`);
      if (keys.some((k) => k.tenantId === tenantId)) problems.push(`NOTIFY_API_KEYS names tenant ${tenantId} twice`);
      keys.push({ tenantId, key });
    }
  }
  const short = keys.filter((k) => k.key.length < NOTIFY_KEY_MIN_CHARS);
  if (short.length) {
    problems.push(`${perTenant ? 'NOTIFY_API_KEYS' : 'NOTIFY_API_KEY'}: a notify key must be at least ${NOTIFY_KEY_MIN_CHARS} characters (generate one with \`openssl rand -base64 32\`)`);
  }
  if (new Set(keys.map((k) => k.key)).size < keys.length) problems.push('NOTIFY_API_KEYS gives two tenants the same key');
  return keys;
}
