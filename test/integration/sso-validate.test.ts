/**
 * SSO token validation and per-user OBO credentials against the Entra stand-in over real HTTPS:
 * real discovery, real JWKS, tokens minted as Entra mints them for Teams, the real
 * @azure/identity OnBehalfOfCredential. Nothing is mocked.
 */
import { decodeJwt } from 'jose';
import { BotError } from '../../bot/errors';
import { graphScope } from '../../bot/graph/uploads';
import type { ValidatedSsoToken } from '../../bot/sso/validate';
import { ensureCerts } from '../../sandbox/certs';
import { SSO_APP, TENANTS, USERS, type UserKey } from '../../sandbox/directory';
import { startEntra, type EntraStandIn, type SsoTokenOptions } from '../../sandbox/entra';
import { startRecorder, type Recorder } from '../support/standins-recorder';
import { ssoValidator, userCredentials } from '../support/standins';

const GRAPH_DEFAULT = graphScope('https://graph.microsoft.com');
const CONTOSO = TENANTS.contoso.id;

let entra: EntraStandIn;
/** An authority that relays to Entra and records what it was asked: proves when the validator goes to the network. */
let relay: Recorder;

beforeAll(async () => {
  const certs = ensureCerts();
  entra = await startEntra({ certs, port: 0 });
  relay = await startRecorder(
    certs,
    async (req, res) => {
      const answer = await fetch(`${entra.url}${req.url}`);
      res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(await answer.text());
    },
    'Entra relay',
  );
});

afterAll(async () => {
  await relay?.close();
  await entra?.close();
});

beforeEach(() => {
  entra.resetStats();
  relay.requests.length = 0;
});

const mint = (user: UserKey, opts?: SsoTokenOptions) => entra.mintSsoToken(user, opts);

async function refusal(token: string, authorityHost = entra.url): Promise<BotError> {
  const err = await ssoValidator(authorityHost)
    .validate(token)
    .then(
      () => {
        throw new Error('validate resolved, expected a refusal');
      },
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(BotError);
  return err as BotError;
}

describe('tokens that pass', () => {
  test('a v1 token (aud = app ID URI, iss = sts.windows.net) proves the user until its exp', async () => {
    const token = await mint('alex');
    const claims = decodeJwt(token);
    expect([claims.ver, claims.aud, claims.iss]).toEqual(['1.0', SSO_APP.appIdUri, `https://sts.windows.net/${CONTOSO}/`]);

    const sso = await ssoValidator(entra.url).validate(token);
    expect(sso).toEqual({
      token,
      user: { oid: USERS.alex.oid, tid: CONTOSO, upn: USERS.alex.upn, name: USERS.alex.name },
      expiresAt: (claims.exp as number) * 1000,
      scopes: ['access_as_user'],
    });
  });

  test('a v2 token (aud = client id, iss = the v2 discovery issuer) passes, upn from preferred_username', async () => {
    const token = await mint('adele', { version: '2.0' });
    const claims = decodeJwt(token);
    expect([claims.ver, claims.aud, claims.iss]).toEqual(['2.0', SSO_APP.clientId, `${entra.url}/${CONTOSO}/v2.0`]);

    const sso = await ssoValidator(entra.url).validate(token);
    expect(sso.user).toEqual({ oid: USERS.adele.oid, tid: CONTOSO, upn: USERS.adele.upn, name: USERS.adele.name });
  });

  test('discovery happens once per tenant, not once per token', async () => {
    const validator = ssoValidator(relay.url);
    for (const user of ['alex', 'adele', 'alex'] as const) expect((await validator.validate(await mint(user))).user.oid).toBe(USERS[user].oid);
    // v2 discovery for the keys and v2 issuer; v1 discovery for the v1 issuer (this authority is not the public cloud's).
    expect(relay.requests.map((r) => r.url).sort()).toEqual([`/${CONTOSO}/.well-known/openid-configuration`, `/${CONTOSO}/v2.0/.well-known/openid-configuration`]);
  });
});

describe('tokens that are refused', () => {
  test('expired', async () => {
    const err = await refusal(await mint('alex', { expiresInSeconds: -600 }));
    expect(err.code).toBe('sso_token_invalid');
    expect(err.message).toContain('expired');
  });

  test('not valid yet', async () => {
    const err = await refusal(await mint('alex', { notBeforeOffsetSeconds: 600 }));
    expect(err.code).toBe('sso_token_invalid');
    expect(err.message).toContain('nbf');
  });

  test('for another audience', async () => {
    const err = await refusal(await mint('alex', { audience: 'api://localhost/11111111-2222-4333-8444-555555555555' }));
    expect(err.code).toBe('sso_token_invalid');
    expect(err.message).toContain('aud');
  });

  test('a v2 token for Graph instead of this app', async () => {
    const err = await refusal(await mint('alex', { version: '2.0', audience: '00000003-0000-0000-c000-000000000000' }));
    expect([err.code, err.message.includes('aud')]).toEqual(['sso_token_invalid', true]);
  });

  test('from another issuer', async () => {
    // Signed by Entra's key, but claiming to come from another tenant's issuer.
    const err = await refusal(await mint('alex', { issuer: `https://sts.windows.net/${TENANTS.fabrikam.id}/` }));
    expect(err.code).toBe('sso_token_invalid');
    expect(err.message).toContain('iss');
  });

  test('signed with a key Entra does not publish', async () => {
    const err = await refusal(await mint('alex', { signWithUnknownKey: true }));
    expect(err.code).toBe('sso_token_invalid');
    expect(err.message).toContain('signature does not verify');
  });

  test('unsigned (alg none), even with valid claims', async () => {
    const claims = decodeJwt(await mint('alex'));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const err = await refusal(`${b64({ typ: 'JWT', alg: 'none' })}.${b64(claims)}.`);
    expect(err.code).toBe('sso_token_invalid');
  });

  test('without the access_as_user scope', async () => {
    const other = await refusal(await mint('alex', { extraClaims: { scp: 'User.Read openid' } }));
    expect([other.code, other.message]).toEqual(['sso_token_invalid', expect.stringContaining('access_as_user')]);
    const none = await refusal(await mint('alex', { extraClaims: { scp: null } }));
    expect(none.code).toBe('sso_token_invalid');
  });

  test('without a tenant', async () => {
    const err = await refusal(await mint('alex', { extraClaims: { tid: null } }), relay.url);
    expect([err.code, err.message]).toEqual(['sso_token_invalid', expect.stringContaining('no tenant')]);
    expect(relay.requests).toEqual([]);
  });
});

describe('refused before any network call', () => {
  test('a tenant that is not allowed (lee, Fabrikam)', async () => {
    const err = await refusal(await mint('lee'), relay.url);
    expect(err.code).toBe('tenant_not_allowed');
    expect(err.details.serviceCode).toBe(TENANTS.fabrikam.id);
    expect(relay.requests).toEqual([]);
  });

  test('a personal Microsoft account (sam)', async () => {
    const err = await refusal(await mint('sam'), relay.url);
    expect(err.code).toBe('personal_account');
    expect(relay.requests).toEqual([]);
    expect(entra.stats().oboCalls).toBe(0);
  });

  test('something that is not a JWT', async () => {
    for (const token of ['not-a-jwt', 'a.b.c', '']) {
      const err = await refusal(token, relay.url);
      expect([err.code, err.message]).toEqual(['sso_token_invalid', expect.stringContaining('not a JWT')]);
    }
    expect(relay.requests).toEqual([]);
  });

  test('while an allowed tenant’s token does reach the authority', async () => {
    // The control for the tests above: the relay does see discovery when validation needs it.
    await ssoValidator(relay.url).validate(await mint('alex'));
    // v2 and v1 discovery (the v1 issuer of a non-public authority comes from its v1 document).
    expect(relay.requests).toHaveLength(2);
  });
});

describe('UserCredentials: one OBO credential per SSO token', () => {
  const validate = async (user: UserKey, opts?: SsoTokenOptions): Promise<ValidatedSsoToken> =>
    ssoValidator(entra.url).validate(await mint(user, opts));

  test('the same token keeps the same credential, so MSAL’s cache saves the second OBO exchange', async () => {
    const credentials = userCredentials(entra.url);
    const sso = await validate('alex');
    const first = credentials.remember(sso);
    const graphToken = await first.getToken(GRAPH_DEFAULT);

    const again = credentials.remember(sso);
    expect(again).toBe(first);
    expect(credentials.get(sso.user)).toBe(first);
    expect((await again.getToken(GRAPH_DEFAULT))?.token).toBe(graphToken?.token);
    expect(entra.stats()).toMatchObject({ oboCalls: 1, oboByUser: { alex: 1 } });
    expect(decodeJwt(graphToken?.token ?? '')).toMatchObject({ oid: USERS.alex.oid, aud: 'https://graph.microsoft.com' });
  });

  test('a new token for the same user replaces the credential', async () => {
    const credentials = userCredentials(entra.url);
    const older = await validate('alex');
    const newer = await validate('alex');
    expect(newer.token).not.toBe(older.token);

    const first = credentials.remember(older);
    await first.getToken(GRAPH_DEFAULT);
    const second = credentials.remember(newer);
    expect(second).not.toBe(first);
    expect(credentials.get(newer.user)).toBe(second);
    expect(credentials.size).toBe(1);
    await second.getToken(GRAPH_DEFAULT);
    expect(entra.stats().oboByUser).toEqual({ alex: 2 });
  });

  test('users do not share credentials', async () => {
    const credentials = userCredentials(entra.url);
    const alex = credentials.remember(await validate('alex'));
    const adele = credentials.remember(await validate('adele'));
    expect(adele).not.toBe(alex);
    expect(credentials.get(USERS.alex)).toBe(alex);
    expect(credentials.get(USERS.adele)).toBe(adele);
    expect(decodeJwt((await adele.getToken(GRAPH_DEFAULT))?.token ?? '').oid).toBe(USERS.adele.oid);
    expect(credentials.forget(USERS.alex)).toBe(true);
    expect(credentials.get(USERS.alex)).toBeUndefined();
    expect(credentials.size).toBe(1);
  });

  test('after the SSO token expires (less a minute’s margin) there is no credential: ask Teams again', async () => {
    let now = Date.now();
    const credentials = userCredentials(entra.url, () => now);
    const sso = await validate('alex', { expiresInSeconds: 3600 });
    const credential = credentials.remember(sso);

    now = sso.expiresAt - 61_000;
    expect(credentials.get(sso.user)).toBe(credential);
    now = sso.expiresAt - 59_000;
    expect(credentials.get(sso.user)).toBeUndefined();
    expect(credentials.size).toBe(0);
  });

  test('remembering someone drops other users’ expired entries', async () => {
    let now = Date.now();
    const credentials = userCredentials(entra.url, () => now);
    const alex = await validate('alex', { expiresInSeconds: 600 });
    credentials.remember(alex);
    now = alex.expiresAt + 1;
    credentials.remember(await validate('adele', { expiresInSeconds: 3600 }));
    expect(credentials.size).toBe(1);
    expect(credentials.get(USERS.adele)).toBeDefined();
  });
});
