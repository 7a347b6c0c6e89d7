import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, loadConfig, TEAMS_CLIENT_APP_IDS } from '../../bot/config';
import { BOT_APP, SSO_APP, TENANTS } from '../../sandbox/directory';

const envLocal = parseEnv(fs.readFileSync(path.join(__dirname, '../../env/.env.local'), 'utf8')) as Record<string, string>;

const minimal = {
  BOT_ID: BOT_APP.id,
  BOT_PASSWORD: 'p',
  AAD_APP_CLIENT_ID: SSO_APP.clientId,
  AAD_APP_CLIENT_SECRET: 'x',
  AAD_APP_TENANT_ID: TENANTS.contoso.id,
  AAD_APP_ID_URI: SSO_APP.appIdUri,
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('accepts env/.env.local and agrees with the sandbox directory', () => {
    const config = loadConfig(envLocal);
    expect(config.bot.id).toBe(BOT_APP.id);
    expect(config.bot.password).toBe(BOT_APP.password);
    expect(config.sso).toMatchObject({
      clientId: SSO_APP.clientId,
      clientSecret: SSO_APP.clientSecret,
      appIdUri: SSO_APP.appIdUri,
      tenantId: SSO_APP.homeTenantId,
      allowedTenants: [TENANTS.contoso.id],
    });
    expect(Object.keys(config.bot.frameworkAuth).sort()).toEqual([
      'CallerId', 'OAuthUrl', 'ToBotFromChannelOpenIdMetadataUrl', 'ToBotFromChannelTokenIssuer',
      'ToBotFromEmulatorOpenIdMetadataUrl', 'ToChannelFromBotLoginUrl', 'ToChannelFromBotOAuthScope', 'ValidateAuthority',
    ]);
  });

  it('applies the documented defaults', () => {
    const config = loadConfig(minimal);
    expect(config.port).toBe(3978);
    expect(config.host).toBe('0.0.0.0');
    expect(config.bot).toMatchObject({ id: BOT_APP.id, anonymous: false });
    expect(config.bot.type).toBe('MultiTenant');
    expect(config.sso.authorityHost).toBe('https://login.microsoftonline.com');
    expect(config.sso.allowedTenants).toEqual([TENANTS.contoso.id]);
    expect(config.graph).toMatchObject({ baseUrl: 'https://graph.microsoft.com', apiVersion: 'v1.0' });
    expect(config.storage).toEqual({ connectionString: undefined, container: 'bot-state' });
    expect(config.notify).toEqual({ keys: [], perKeyPerMinute: 60 });
    expect(config.sso.clientAppIds).toEqual(TEAMS_CLIENT_APP_IDS);
    expect(config.retention.settledMs).toBe(7 * 24 * 3600 * 1000);
    expect(config.shutdown.deadlineMs).toBe(30_000);
    expect(config.logLevel).toBe('info');
  });

  it('PUBLIC_URL: the https base URL of the sign-in pages, derived from AAD_APP_ID_URI by default; http only on loopback', () => {
    expect(loadConfig(minimal).publicUrl).toBe('https://localhost');
    expect(loadConfig({ ...minimal, AAD_APP_ID_URI: `api://bot.contoso.com/${SSO_APP.clientId}` }).publicUrl).toBe('https://bot.contoso.com');
    expect(loadConfig({ ...minimal, PUBLIC_URL: 'https://bot.contoso.com/teams/' }).publicUrl).toBe('https://bot.contoso.com/teams');
    expect(loadConfig({ ...minimal, PUBLIC_URL: 'http://127.0.0.1:3978' }).publicUrl).toBe('http://127.0.0.1:3978');
    expect(loadConfig(envLocal).publicUrl).toBe('http://127.0.0.1:3978');
    expect(problems({ ...minimal, PUBLIC_URL: 'http://bot.contoso.com' })).toEqual([expect.stringContaining('PUBLIC_URL must be an https URL')]);
    expect(problems({ ...minimal, PUBLIC_URL: 'https://bot.contoso.com/?next=x' })).toEqual([expect.stringContaining('PUBLIC_URL must be a plain base URL')]);
    expect(problems({ ...minimal, PUBLIC_URL: 'bot.contoso.com' })).toEqual([expect.stringContaining('PUBLIC_URL is not a URL')]);
    expect(problems({ ...minimal, AAD_APP_ID_URI: `api://${SSO_APP.clientId}` })).toEqual([expect.stringContaining('PUBLIC_URL is missing')]);
  });

  it('names every missing required variable in one error', () => {
    expect(problems({})).toEqual([
      expect.stringContaining('BOT_ID is missing'),
      expect.stringContaining('AAD_APP_CLIENT_ID is missing'),
      expect.stringContaining('AAD_APP_CLIENT_SECRET is missing'),
      expect.stringContaining('AAD_APP_TENANT_ID is missing'),
      expect.stringContaining('AAD_APP_ID_URI is missing'),
    ]);
  });

  it('names every malformed variable and never prints secret values', () => {
    const secret = 'hunter2-very-secret';
    const list = problems({
      ...minimal,
      AAD_APP_CLIENT_SECRET: secret,
      PORT: 'eighty',
      BOT_ID: 'not-a-guid',
      BOT_PASSWORD: '',
      BOT_TYPE: 'Sometimes',
      GRAPH_API_VERSION: 'v2',
      GRAPH_BASE_URL: 'http://graph.example',
      LOG_LEVEL: 'loud',
      STATE_CONTAINER: 'Bad_Name',
    });
    const text = list.join('\n');
    for (const name of ['PORT', 'BOT_ID', 'BOT_PASSWORD', 'BOT_TYPE', 'GRAPH_API_VERSION', 'GRAPH_BASE_URL', 'LOG_LEVEL', 'STATE_CONTAINER']) {
      expect(text).toContain(name);
    }
    expect(text).not.toContain(secret);
  });

  it('requires all of botbuilder override keys once one is set', () => {
    const list = problems({ ...minimal, ToChannelFromBotLoginUrl: 'https://127.0.0.1:3980/botframework.com' });
    expect(list).toHaveLength(1);
    expect(list[0]).toContain('ToBotFromChannelOpenIdMetadataUrl');
    expect(list[0]).toContain('CallerId');
  });

  it('requires ALLOWED_TENANTS for a multi-tenant SSO app, and GUIDs in it', () => {
    expect(problems({ ...minimal, AAD_APP_TENANT_ID: 'organizations' })).toEqual([expect.stringContaining('ALLOWED_TENANTS is missing')]);
    expect(problems({ ...minimal, ALLOWED_TENANTS: 'contoso.com' })).toEqual([expect.stringContaining('not ids: contoso.com')]);
    const config = loadConfig({ ...minimal, AAD_APP_TENANT_ID: 'common', ALLOWED_TENANTS: `${TENANTS.contoso.id}, ${TENANTS.fabrikam.id.toUpperCase()}` });
    expect(config.sso.allowedTenants).toEqual([TENANTS.contoso.id, TENANTS.fabrikam.id]);
  });

  it('requires a tenant for single-tenant bots', () => {
    expect(problems({ ...minimal, BOT_ID: BOT_APP.id, BOT_PASSWORD: 'p', BOT_TYPE: 'SingleTenant' })).toEqual([
      expect.stringContaining('BOT_TENANT_ID is missing'),
    ]);
  });

  describe('anonymous mode only on purpose', () => {
    const { BOT_ID: _id, BOT_PASSWORD: _password, ...withoutBot } = minimal;

    it('refuses an empty BOT_ID without the opt-in, and names the botbuilder keys it does not read', () => {
      expect(problems(withoutBot)).toEqual([expect.stringContaining('BOT_ID is missing')]);
      const [message] = problems({ ...withoutBot, MicrosoftAppId: BOT_APP.id, MicrosoftAppPassword: 's3cret-value' });
      expect(message).toContain('MicrosoftAppId and MicrosoftAppPassword are not read by this bot: use BOT_ID and BOT_PASSWORD');
      expect(message).not.toContain('s3cret-value');
    });

    it('with ALLOW_ANONYMOUS=true runs anonymously, on loopback only', () => {
      const config = loadConfig({ ...withoutBot, ALLOW_ANONYMOUS: 'true' });
      expect(config.bot).toMatchObject({ id: undefined, anonymous: true });
      expect(config.host).toBe('127.0.0.1');
      expect(problems({ ...withoutBot, ALLOW_ANONYMOUS: 'true', HOST: '0.0.0.0' })).toEqual([expect.stringContaining('HOST must be a loopback address in anonymous mode')]);
      expect(loadConfig({ ...withoutBot, ALLOW_ANONYMOUS: 'true', HOST: '::1' }).host).toBe('::1');
    });

    it('refuses BOT_PASSWORD without BOT_ID, the opt-in next to a BOT_ID, and a malformed opt-in', () => {
      expect(problems({ ...withoutBot, ALLOW_ANONYMOUS: 'true', BOT_PASSWORD: 'p' })).toEqual([expect.stringContaining('BOT_PASSWORD is set but BOT_ID is empty')]);
      expect(problems({ ...minimal, ALLOW_ANONYMOUS: 'true' })).toEqual([expect.stringContaining('cannot be combined with BOT_ID')]);
      expect(problems({ ...minimal, ALLOW_ANONYMOUS: 'yes' })).toEqual([expect.stringContaining('ALLOW_ANONYMOUS must be true or false')]);
    });

    it('binds where HOST says when authenticated', () => {
      expect(loadConfig({ ...minimal, HOST: '10.1.2.3' }).host).toBe('10.1.2.3');
    });
  });

  describe('notify keys', () => {
    const long = (c: string) => c.repeat(40);

    it('NOTIFY_API_KEY serves the only allowed tenant, and must be 32 characters or more', () => {
      expect(loadConfig({ ...minimal, NOTIFY_API_KEY: long('k') }).notify.keys).toEqual([{ tenantId: TENANTS.contoso.id, key: long('k') }]);
      const [message] = problems({ ...minimal, NOTIFY_API_KEY: 'short-key' });
      expect(message).toContain('at least 32 characters');
      expect(message).not.toContain('short-key');
    });

    it('several tenants need one key each in NOTIFY_API_KEYS, for allowed tenants only', () => {
      const several = { ...minimal, ALLOWED_TENANTS: `${TENANTS.contoso.id},${TENANTS.fabrikam.id}` };
      expect(problems({ ...several, NOTIFY_API_KEY: long('k') })).toEqual([expect.stringContaining('give each tenant its own key in NOTIFY_API_KEYS')]);
      const config = loadConfig({ ...several, NOTIFY_API_KEYS: `${TENANTS.contoso.id}=${long('a')}, ${TENANTS.fabrikam.id.toUpperCase()}=${long('b')}=` });
      expect(config.notify.keys).toEqual([
        { tenantId: TENANTS.contoso.id, key: long('a') },
        { tenantId: TENANTS.fabrikam.id, key: `${long('b')}=` },
      ]);
      expect(problems({ ...several, NOTIFY_API_KEYS: `${TENANTS.contoso.id}=${long('a')},${TENANTS.fabrikam.id}=${long('a')}` })).toEqual([expect.stringContaining('the same key')]);
      expect(problems({ ...minimal, NOTIFY_API_KEYS: `${TENANTS.fabrikam.id}=${long('a')}` })).toEqual([expect.stringContaining('not in ALLOWED_TENANTS')]);
      expect(problems({ ...minimal, NOTIFY_API_KEYS: 'nonsense' })).toEqual([expect.stringContaining('<tenant id>=<key>')]);
    });

    it('rate limit, retention, shutdown deadline and SSO client apps are configurable and checked', () => {
      const config = loadConfig({ ...minimal, NOTIFY_RATE_LIMIT_PER_MINUTE: '5', STATE_RETENTION_DAYS: '2', SHUTDOWN_DEADLINE_SECONDS: '10', SSO_CLIENT_APP_IDS: TENANTS.contoso.id });
      expect(config.notify.perKeyPerMinute).toBe(5);
      expect(config.retention.settledMs).toBe(2 * 24 * 3600 * 1000);
      expect(config.shutdown.deadlineMs).toBe(10_000);
      expect(config.sso.clientAppIds).toEqual([TENANTS.contoso.id]);
      const list = problems({ ...minimal, NOTIFY_RATE_LIMIT_PER_MINUTE: '0', STATE_RETENTION_DAYS: 'week', SHUTDOWN_DEADLINE_SECONDS: '-1', SSO_CLIENT_APP_IDS: 'teams' });
      expect(list.join('\n')).toEqual(expect.stringContaining('NOTIFY_RATE_LIMIT_PER_MINUTE'));
      for (const name of ['STATE_RETENTION_DAYS', 'SHUTDOWN_DEADLINE_SECONDS', 'SSO_CLIENT_APP_IDS']) expect(list.join('\n')).toContain(name);
    });
  });
});
