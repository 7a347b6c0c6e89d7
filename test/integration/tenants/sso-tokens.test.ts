/**
 * What makes an SSO token acceptable beyond its signature: it was issued to a Teams client
 * (`azp` in v2, `appid` in v1, from SSO_CLIENT_APP_IDS), its v1 issuer is the one the authority's
 * own v1 discovery document names, and its tenant is the tenant of the activity it came with —
 * checked with the validator against the Entra stand-in, and end to end through the bot.
 */
import { decodeJwt } from 'jose';
import { BotError } from '../../../bot/errors';
import { ensureCerts } from '../../../sandbox/certs';
import { TEAMS_CLIENT_IDS, TENANTS } from '../../../sandbox/directory';
import { startEntra, type EntraStandIn } from '../../../sandbox/entra';
import { ssoValidator } from '../../support/standins';
import type { World } from '../../support/world';
import { SEED, startNotificationWorld } from '../notifications/helpers';

const CONTOSO = TENANTS.contoso.id;
const FABRIKAM = TENANTS.fabrikam.id;
const OTHER_APP = '11111111-2222-4333-8444-555555555555';

async function refusal(promise: Promise<unknown>): Promise<BotError> {
  const err = await promise.then(
    () => {
      throw new Error('resolved, expected a refusal');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BotError);
  return err as BotError;
}

describe('the validator', () => {
  let entra: EntraStandIn;
  beforeAll(async () => {
    entra = await startEntra({ certs: ensureCerts(), port: 0 });
  });
  afterAll(async () => {
    await entra?.close();
  });

  it('the stand-in mints what Teams hands a bot: appid (v1) / azp (v2) = a Teams client', async () => {
    expect(TEAMS_CLIENT_IDS).toContain(decodeJwt(await entra.mintSsoToken('alex')).appid);
    expect(TEAMS_CLIENT_IDS).toContain(decodeJwt(await entra.mintSsoToken('alex', { version: '2.0' })).azp);
    expect((await ssoValidator(entra.url).validate(await entra.mintSsoToken('alex', { version: '2.0' }))).user.tid).toBe(CONTOSO);
  });

  it('refuses a v1 token whose appid is not a Teams client', async () => {
    const err = await refusal(ssoValidator(entra.url).validate(await entra.mintSsoToken('alex', { extraClaims: { appid: OTHER_APP } })));
    expect(err.code).toBe('sso_token_invalid');
    expect(err.message).toContain('appid');
  });

  it('refuses a v2 token whose azp is not a Teams client, or that has none', async () => {
    const other = await refusal(ssoValidator(entra.url).validate(await entra.mintSsoToken('alex', { version: '2.0', extraClaims: { azp: OTHER_APP } })));
    expect([other.code, other.message.includes('azp')]).toEqual(['sso_token_invalid', true]);
    const none = await refusal(ssoValidator(entra.url).validate(await entra.mintSsoToken('alex', { version: '2.0', extraClaims: { azp: null } })));
    expect(none.code).toBe('sso_token_invalid');
  });

  it('SSO_CLIENT_APP_IDS decides which clients are accepted', async () => {
    const token = await entra.mintSsoToken('alex', { extraClaims: { appid: OTHER_APP } });
    expect((await ssoValidator(entra.url, { clientAppIds: [OTHER_APP] }).validate(token)).user.tid).toBe(CONTOSO);
    const teams = await refusal(ssoValidator(entra.url, { clientAppIds: [OTHER_APP] }).validate(await entra.mintSsoToken('alex')));
    expect(teams.message).toContain('appid');
  });

  it('a v1 issuer other than the one the authority\'s v1 discovery names is refused', async () => {
    // The stand-in is a public-cloud Entra: its v1 discovery names https://sts.windows.net/{tid}/.
    const doc = (await (await fetch(`${entra.url}/${CONTOSO}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(doc.issuer).toBe(`https://sts.windows.net/${CONTOSO}/`);
    const err = await refusal(ssoValidator(entra.url).validate(await entra.mintSsoToken('alex', { issuer: `https://login.microsoftonline.us/${CONTOSO}/` })));
    expect(err.message).toContain('iss');
  });

  it('a token of another tenant than the activity\'s is refused, before any network call', async () => {
    const both = ssoValidator('https://127.0.0.1:1', { allowedTenants: [CONTOSO, FABRIKAM] });
    const err = await refusal(both.validate(await entra.mintSsoToken('alex', { tid: FABRIKAM }), CONTOSO));
    expect(err.code).toBe('sso_token_invalid');
    expect(err.message).toContain('another organization');
  });
});

describe('a national cloud\'s authority (the stand-in playing Azure China)', () => {
  let china: EntraStandIn;
  beforeAll(async () => {
    china = await startEntra({ certs: ensureCerts(), port: 0, cloud: 'china' });
  });
  afterAll(async () => {
    await china?.close();
  });

  it('its v1 discovery document and its v1 tokens name https://sts.chinacloudapi.cn/{tid}/, and the bot follows it', async () => {
    const doc = (await (await fetch(`${china.url}/${CONTOSO}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(doc.issuer).toBe(`https://sts.chinacloudapi.cn/${CONTOSO}/`);
    const token = await china.mintSsoToken('alex');
    expect(decodeJwt(token).iss).toBe(`https://sts.chinacloudapi.cn/${CONTOSO}/`);
    expect((await ssoValidator(china.url).validate(token)).user.tid).toBe(CONTOSO);
  });

  it('a token claiming the global cloud\'s v1 issuer is refused there', async () => {
    const err = await refusal(ssoValidator(china.url).validate(await china.mintSsoToken('alex', { issuer: `https://sts.windows.net/${CONTOSO}/` })));
    expect(err.message).toContain('iss');
  });
});

describe('through the bot', () => {
  let w: World;
  beforeAll(async () => {
    w = await startNotificationWorld({ env: { ALLOWED_TENANTS: `${CONTOSO},${FABRIKAM}`, NOTIFY_API_KEY: '' } });
  });
  afterAll(async () => {
    await w?.close();
  });
  beforeEach(() => w.entra.resetStats());

  const showWith = (token: string) =>
    w.teams.personalChat('alex').invoke('adaptiveCard/action', {
      action: { type: 'Action.Execute', verb: 'showUpload', data: { uploadId: SEED.pending } },
      authentication: { id: 'x', connectionName: 'x', token },
      trigger: 'manual',
    });

  it('an SSO token issued to another app is answered 412 and never exchanged', async () => {
    const r = await showWith(await w.entra.mintSsoToken('alex', { extraClaims: { appid: OTHER_APP } }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ statusCode: 412, type: 'application/vnd.microsoft.error.preconditionFailed' });
    expect(w.entra.stats().oboCalls).toBe(0);
    expect(w.graph.requests()).toEqual([]);
  });

  it('an SSO token of another (allowed) tenant than the conversation\'s is refused, never exchanged', async () => {
    const r = await showWith(await w.entra.mintSsoToken('alex', { tid: FABRIKAM }));
    expect(r.body).toMatchObject({ statusCode: 412, value: { message: expect.stringContaining('another organization') } });
    const chat = w.teams.personalChat('alex');
    const exchange = await chat.invoke('signin/tokenExchange', { id: 'x', connectionName: 'x', token: await w.entra.mintSsoToken('alex', { tid: FABRIKAM }) });
    expect(exchange.status).toBe(412);
    expect(w.entra.stats().oboCalls).toBe(0);
    expect(w.graph.requests()).toEqual([]);
  });

  it('the same user with a token of the conversation\'s tenant gets through (the refusals above are about the token)', async () => {
    const r = await showWith(await w.entra.mintSsoToken('alex'));
    expect(r.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(w.entra.stats().oboCalls).toBe(1);
  });
});
