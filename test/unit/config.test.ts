import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, loadConfig } from '../../bot/config';
import { BOT_APP, SSO_APP, TENANTS } from '../../sandbox/directory';

const envLocal = parseEnv(fs.readFileSync(path.join(__dirname, '../../env/.env.local'), 'utf8')) as Record<string, string>;

const minimal = {
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
    expect(config.bot.id).toBeUndefined();
    expect(config.bot.type).toBe('MultiTenant');
    expect(config.sso.authorityHost).toBe('https://login.microsoftonline.com');
    expect(config.sso.allowedTenants).toEqual([TENANTS.contoso.id]);
    expect(config.graph).toMatchObject({ baseUrl: 'https://graph.microsoft.com', apiVersion: 'v1.0' });
    expect(config.storage).toEqual({ connectionString: undefined, container: 'bot-state' });
    expect(config.notifyApiKey).toBeUndefined();
    expect(config.logLevel).toBe('info');
  });

  it('names every missing required variable in one error', () => {
    expect(problems({})).toEqual([
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
});
