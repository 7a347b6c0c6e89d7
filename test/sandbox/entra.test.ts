/**
 * The Entra ID stand-in over real HTTPS, driven by the real @azure/identity (OBO) and the
 * msal-node botbuilder uses (client credentials), plus raw requests where the exact bytes matter.
 */
import crypto from 'node:crypto';
import { OnBehalfOfCredential, type MultiTenantTokenCredentialOptions, type OnBehalfOfCredentialSecretOptions } from '@azure/identity';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ensureCerts } from '../../sandbox/certs';
import { BOT_APP, GRAPH_SCOPES, MSA_TENANT_ID, SSO_APP, TEAMS_CLIENT_IDS, TENANTS, USERS } from '../../sandbox/directory';
import { BOT_FRAMEWORK_TENANT_ID, connectEntra, startEntra, type EntraStandIn } from '../../sandbox/entra';
import interactionRequired from './entra-error-interaction-required.json';
import { ENTRA_TIMESTAMP, GUID, getJson, oboForm, postToken, verifyWithJwks } from './entra-helpers';

// botbuilder's own msal-node (2.x), not the one @azure/identity brings.
const botMsal = require(require.resolve('@azure/msal-node', { paths: [require.resolve('botframework-connector')] })) as typeof import('@azure/msal-node');

const CONTOSO = TENANTS.contoso.id;
const FABRIKAM = TENANTS.fabrikam.id;
const GRAPH = 'https://graph.microsoft.com';

let entra: EntraStandIn;

beforeAll(async () => {
  entra = await startEntra({ certs: ensureCerts(), port: 0 });
});

afterAll(async () => {
  await entra?.close();
});

beforeEach(() => entra.resetStats());

function oboCredential(assertion: string, tenantId = CONTOSO, clientSecret: string = SSO_APP.clientSecret): OnBehalfOfCredential {
  // disableInstanceDiscovery is honoured at run time but missing from the OBO option types.
  const options: OnBehalfOfCredentialSecretOptions & MultiTenantTokenCredentialOptions & { disableInstanceDiscovery: boolean } = {
    tenantId,
    clientId: SSO_APP.clientId,
    clientSecret,
    userAssertionToken: assertion,
    authorityHost: entra.url,
    disableInstanceDiscovery: true,
  };
  return new OnBehalfOfCredential(options);
}

async function oboRejection(assertion: string, tenantId = CONTOSO, clientSecret?: string): Promise<string> {
  const err = await oboCredential(assertion, tenantId, clientSecret).getToken(`${GRAPH}/.default`).then(
    () => {
      throw new Error('getToken resolved, expected a rejection');
    },
    (e: unknown) => e as Error,
  );
  return err.message;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('OpenID Connect discovery', () => {
  const V2_FIELDS = [
    'token_endpoint', 'token_endpoint_auth_methods_supported', 'jwks_uri', 'response_modes_supported',
    'subject_types_supported', 'id_token_signing_alg_values_supported', 'response_types_supported', 'scopes_supported',
    'issuer', 'request_uri_parameter_supported', 'userinfo_endpoint', 'authorization_endpoint',
    'device_authorization_endpoint', 'http_logout_supported', 'frontchannel_logout_supported', 'end_session_endpoint',
    'claims_supported', 'kerberos_endpoint', 'tenant_region_scope', 'cloud_instance_name', 'cloud_graph_host_name',
    'msgraph_host', 'rbac_url',
  ];

  it('serves a tenant v2 document, by id or by domain, naming the tenant id everywhere', async () => {
    for (const segment of [CONTOSO, TENANTS.contoso.domain]) {
      const { status, body, headers } = await getJson(`${entra.url}/${segment}/v2.0/.well-known/openid-configuration`);
      expect(status).toBe(200);
      expect(headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(body)).toEqual(V2_FIELDS);
      expect(body).toMatchObject({
        issuer: `${entra.url}/${CONTOSO}/v2.0`,
        token_endpoint: `${entra.url}/${CONTOSO}/oauth2/v2.0/token`,
        jwks_uri: `${entra.url}/${CONTOSO}/discovery/v2.0/keys`,
        authorization_endpoint: `${entra.url}/${CONTOSO}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${entra.url}/${CONTOSO}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${entra.url}/${CONTOSO}/oauth2/v2.0/logout`,
        kerberos_endpoint: `${entra.url}/${CONTOSO}/kerberos`,
        userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        subject_types_supported: ['pairwise'],
        request_uri_parameter_supported: false,
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      });
      expect(body.claims_supported).toEqual(expect.arrayContaining(['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'ver', 'preferred_username', 'name']));
    }
  });

  it('keeps the alias in common/organizations endpoints and the literal {tenantid} in their issuer', async () => {
    for (const alias of ['common', 'organizations']) {
      const { status, body } = await getJson(`${entra.url}/${alias}/v2.0/.well-known/openid-configuration`);
      expect(status).toBe(200);
      expect(body.issuer).toBe(`${entra.url}/{tenantid}/v2.0`);
      expect(body.token_endpoint).toBe(`${entra.url}/${alias}/oauth2/v2.0/token`);
      expect(body.jwks_uri).toBe(`${entra.url}/${alias}/discovery/v2.0/keys`);
      expect(body.tenant_region_scope).toBeNull();
    }
    const consumers = (await getJson(`${entra.url}/consumers/v2.0/.well-known/openid-configuration`)).body;
    expect(consumers.issuer).toBe(`${entra.url}/${MSA_TENANT_ID}/v2.0`);
    expect(consumers.token_endpoint).toBe(`${entra.url}/consumers/oauth2/v2.0/token`);
  });

  it('knows botframework.com as the real Bot Framework tenant', async () => {
    const { status, body } = await getJson(`${entra.url}/botframework.com/v2.0/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(BOT_FRAMEWORK_TENANT_ID).toBe('d6d49420-f39b-4df7-a1dc-d59a935871db');
    expect(body.issuer).toBe(`${entra.url}/${BOT_FRAMEWORK_TENANT_ID}/v2.0`);
    expect(body.token_endpoint).toBe(`${entra.url}/${BOT_FRAMEWORK_TENANT_ID}/oauth2/v2.0/token`);
  });

  it('serves the v1 document with the sts.windows.net issuer', async () => {
    const { status, body } = await getJson(`${entra.url}/${FABRIKAM}/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      issuer: `https://sts.windows.net/${FABRIKAM}/`,
      token_endpoint: `${entra.url}/${FABRIKAM}/oauth2/token`,
      jwks_uri: `${entra.url}/${FABRIKAM}/discovery/keys`,
      authorization_endpoint: `${entra.url}/${FABRIKAM}/oauth2/authorize`,
      userinfo_endpoint: `${entra.url}/${FABRIKAM}/openid/userinfo`,
      check_session_iframe: `${entra.url}/${FABRIKAM}/oauth2/checksession`,
      microsoft_multi_refresh_token: true,
      scopes_supported: ['openid'],
      tenant_region_scope: 'EU',
    });
    expect((await getJson(`${entra.url}/common/.well-known/openid-configuration`)).body.issuer).toBe('https://sts.windows.net/{tenantid}/');
  });

  it('answers an unknown tenant with AADSTS90002 in the Entra error shape', async () => {
    const { status, body } = await getJson(`${entra.url}/nobody.onmicrosoft.com/v2.0/.well-known/openid-configuration`);
    expect(status).toBe(400);
    expect(Object.keys(body).sort()).toEqual(['correlation_id', 'error', 'error_codes', 'error_description', 'error_uri', 'timestamp', 'trace_id']);
    expect(body.error).toBe('invalid_tenant');
    expect(body.error_codes).toEqual([90002]);
    expect(body.error_description).toMatch(
      /^AADSTS90002: Tenant 'nobody\.onmicrosoft\.com' not found\. Check to make sure you have the correct tenant ID and are signing into the correct cloud\..*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s,
    );
    expect(body.timestamp).toMatch(ENTRA_TIMESTAMP);
    expect(body.trace_id).toMatch(GUID);
    expect(body.error_uri).toBe(`${entra.url}/error?code=90002`);
  });
});

describe('JWKS', () => {
  it('publishes the same RSA keys for every tenant, with x5c certificates whose thumbprint is x5t', async () => {
    const contoso = (await getJson(`${entra.url}/${CONTOSO}/discovery/v2.0/keys`)).body.keys as Array<Record<string, unknown>>;
    expect(contoso).toHaveLength(2);
    for (const key of contoso) {
      expect(Object.keys(key)).toEqual(['kty', 'use', 'kid', 'x5t', 'n', 'e', 'x5c', 'issuer']);
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', e: 'AQAB', issuer: `${entra.url}/${CONTOSO}/v2.0` });
      expect(key.kid).toBe(key.x5t);
      const der = Buffer.from((key.x5c as string[])[0], 'base64');
      expect(crypto.createHash('sha1').update(der).digest('base64url')).toBe(key.x5t);
      const cert = new crypto.X509Certificate(der);
      expect(cert.publicKey.export({ format: 'jwk' }).n).toBe(key.n);
    }
    const kids = contoso.map((k) => k.kid);
    for (const path of ['common/discovery/v2.0/keys', 'botframework.com/discovery/v2.0/keys', `${FABRIKAM}/discovery/keys`]) {
      const keys = (await getJson(`${entra.url}/${path}`)).body.keys as Array<Record<string, unknown>>;
      expect(keys.map((k) => k.kid)).toEqual(kids);
    }
    const common = (await getJson(`${entra.url}/common/discovery/v2.0/keys`)).body.keys as Array<Record<string, unknown>>;
    expect(common[0].issuer).toBe(`${entra.url}/{tenantid}/v2.0`);
    const v1 = (await getJson(`${entra.url}/common/discovery/keys`)).body.keys as Array<Record<string, unknown>>;
    expect(v1[0]).not.toHaveProperty('issuer');
  });

  it('signs SSO tokens with a published key, and the forged ones with a key it never publishes', async () => {
    const good = await entra.mintSsoToken('alex');
    await expect(verifyWithJwks(entra.url, CONTOSO, good)).resolves.toMatchObject({ oid: USERS.alex.oid });
    const forged = await entra.mintSsoToken('alex', { signWithUnknownKey: true });
    await expect(verifyWithJwks(entra.url, CONTOSO, forged)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});

describe('SSO tokens (what Teams hands the bot)', () => {
  it('defaults to a v1 token for the app ID URI issued to the Teams client', async () => {
    const token = await entra.mintSsoToken('alex');
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    expect(header.x5t).toBe(header.kid);
    const c = decodeJwt(token);
    expect(c).toMatchObject({
      aud: SSO_APP.appIdUri,
      iss: `https://sts.windows.net/${CONTOSO}/`,
      ver: '1.0',
      scp: 'access_as_user',
      appid: TEAMS_CLIENT_IDS[0],
      appidacr: '0',
      oid: USERS.alex.oid,
      tid: CONTOSO,
      upn: USERS.alex.upn,
      unique_name: USERS.alex.upn,
      name: USERS.alex.name,
      given_name: 'Alex',
      family_name: 'Wilber',
    });
    expect(c.exp! - nowSeconds()).toBeGreaterThan(3500);
    expect(c.exp! - nowSeconds()).toBeLessThanOrEqual(3600);
    expect(c.nbf).toBeLessThan(nowSeconds());
  });

  it('mints a v2 token with the client id as audience and the v2 issuer', async () => {
    const token = await entra.mintSsoToken('adele', { version: '2.0' });
    expect(decodeProtectedHeader(token)).not.toHaveProperty('x5t');
    expect(decodeJwt(token)).toMatchObject({
      aud: SSO_APP.clientId,
      iss: `${entra.url}/${CONTOSO}/v2.0`,
      ver: '2.0',
      azp: TEAMS_CLIENT_IDS[0],
      preferred_username: USERS.adele.upn,
      scp: 'access_as_user',
    });
  });

  it('lets tests forge variants: tenant, issuer, extra and removed claims', async () => {
    const c = decodeJwt(await entra.mintSsoToken('alex', { tid: FABRIKAM, extraClaims: { scp: 'something_else', upn: null } }));
    expect(c.tid).toBe(FABRIKAM);
    expect(c.iss).toBe(`https://sts.windows.net/${FABRIKAM}/`);
    expect(c.scp).toBe('something_else');
    expect(c).not.toHaveProperty('upn');
    expect(decodeJwt(await entra.mintSsoToken('alex', { issuer: 'https://evil.example/' })).iss).toBe('https://evil.example/');
  });
});

describe('on-behalf-of through @azure/identity OnBehalfOfCredential', () => {
  it('exchanges a consented user\'s SSO token for a Graph token with the documented claims', async () => {
    const assertion = await entra.mintSsoToken('alex');
    const result = await oboCredential(assertion).getToken(`${GRAPH}/.default`);
    const header = decodeProtectedHeader(result.token);
    expect(header).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    const c = await verifyWithJwks(entra.url, CONTOSO, result.token);
    expect(c).toMatchObject({
      aud: GRAPH,
      iss: `https://sts.windows.net/${CONTOSO}/`,
      appid: SSO_APP.clientId,
      appidacr: '1',
      idtyp: 'user',
      ver: '1.0',
      oid: USERS.alex.oid,
      tid: CONTOSO,
      upn: USERS.alex.upn,
      name: USERS.alex.name,
    });
    expect(String(c.scp).split(' ')).toEqual([GRAPH_SCOPES.readWrite, 'openid', 'profile']);
    expect(c.uti).toEqual(expect.any(String));
    expect(c.iat).toBe(c.nbf);
    expect(result.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3500_000);
    expect(Math.abs(result.expiresOnTimestamp - c.exp! * 1000)).toBeLessThanOrEqual(5000);
    expect(entra.stats()).toMatchObject({ oboCalls: 1, oboByUser: { alex: 1 }, tokenErrors: [] });
  });

  it('answers the second getToken from the MSAL cache: one OBO call for two tokens', async () => {
    const credential = oboCredential(await entra.mintSsoToken('adele'));
    const first = await credential.getToken(`${GRAPH}/.default`);
    const second = await credential.getToken(`${GRAPH}/.default`);
    expect(second.token).toBe(first.token);
    expect(entra.stats().oboCalls).toBe(1);
    expect(entra.stats().oboByUser).toEqual({ adele: 1 });
  });

  it('rejects a user without consent with AADSTS65001, then succeeds once consent is granted', async () => {
    const assertion = await entra.mintSsoToken('megan');
    expect(await oboRejection(assertion)).toContain('AADSTS65001');
    expect(entra.stats()).toMatchObject({ oboCalls: 0, tokenErrors: [{ error: 'invalid_grant', code: 65001 }] });
    entra.setConsent('megan', [GRAPH_SCOPES.readWrite]);
    try {
      const c = decodeJwt((await oboCredential(assertion).getToken(`${GRAPH}/.default`)).token);
      expect(String(c.scp).split(' ')).toContain(GRAPH_SCOPES.readWrite);
      expect(entra.stats().oboByUser).toEqual({ megan: 1 });
    } finally {
      entra.setConsent('megan', []);
    }
  });

  it('grants a Read.All-only user exactly that Graph scope', async () => {
    const result = await oboCredential(await entra.mintSsoToken('diego')).getToken(`${GRAPH}/.default`);
    const graphScopes = String(decodeJwt(result.token).scp).split(' ').filter((s) => !['openid', 'profile', 'email'].includes(s));
    expect(graphScopes).toEqual([GRAPH_SCOPES.read]);
  });

  it('rejects a wrong client secret with AADSTS7000215', async () => {
    expect(await oboRejection(await entra.mintSsoToken('alex'), CONTOSO, 'not-the-secret')).toContain('AADSTS7000215');
    expect(entra.stats().tokenErrors).toEqual([{ error: 'invalid_client', code: 7000215 }]);
  });

  it('rejects an expired or not-yet-valid assertion with AADSTS500133', async () => {
    expect(await oboRejection(await entra.mintSsoToken('alex', { expiresInSeconds: -60 }))).toContain('AADSTS500133');
    expect(await oboRejection(await entra.mintSsoToken('alex', { notBeforeOffsetSeconds: 600 }))).toContain('AADSTS500133');
    expect(entra.stats().oboCalls).toBe(0);
  });

  it('rejects an assertion for another audience with AADSTS500131, and accepts the client id as audience', async () => {
    const message = await oboRejection(await entra.mintSsoToken('alex', { audience: 'api://localhost/someone-else' }));
    expect(message).toContain('AADSTS500131');
    expect(message).toContain("The audience in the assertion was 'api://localhost/someone-else'");
    const byClientId = await oboCredential(await entra.mintSsoToken('alex', { audience: SSO_APP.clientId })).getToken(`${GRAPH}/.default`);
    expect(decodeJwt(byClientId.token).oid).toBe(USERS.alex.oid);
  });

  it("refuses an assertion at another tenant's authority, and accepts it at organizations", async () => {
    expect(await oboRejection(await entra.mintSsoToken('alex'), FABRIKAM)).toContain('AADSTS50020');
    expect(await oboRejection(await entra.mintSsoToken('lee'), CONTOSO)).toContain('AADSTS50020');
    const viaOrganizations = await oboCredential(await entra.mintSsoToken('lee'), 'organizations').getToken(`${GRAPH}/.default`);
    expect(decodeJwt(viaOrganizations.token).tid).toBe(FABRIKAM);
  });

  it('refuses a token signed by a key Entra never published with AADSTS50013', async () => {
    const message = await oboRejection(await entra.mintSsoToken('alex', { signWithUnknownKey: true }));
    expect(message).toContain('AADSTS50013');
    expect(message).toContain('The key was not found');
  });

  it('refuses a personal Microsoft account at organizations with AADSTS500200', async () => {
    const assertion = await entra.mintSsoToken('sam');
    expect(decodeJwt(assertion)).toMatchObject({ tid: MSA_TENANT_ID, ver: '2.0' });
    expect(await oboRejection(assertion, 'organizations')).toContain('AADSTS500200');
  });

  it('surfaces an injected token-endpoint error (the documented interaction_required body) once', async () => {
    entra.failNextTokenRequests(1, { status: 400, body: interactionRequired });
    const assertion = await entra.mintSsoToken('alex');
    expect(await oboRejection(assertion)).toContain('AADSTS50079');
    expect(entra.stats().tokenErrors).toEqual([{ error: 'interaction_required', code: 50079 }]);
    await expect(oboCredential(assertion).getToken(`${GRAPH}/.default`)).resolves.toMatchObject({ token: expect.any(String) });
  });
});

describe('token endpoint, raw', () => {
  it('answers a successful OBO with the body Entra sends when MSAL adds openid/profile/offline_access', async () => {
    const { status, body, headers } = await postToken(entra.url, CONTOSO, oboForm(await entra.mintSsoToken('alex')));
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store, no-cache');
    expect(Object.keys(body)).toEqual(['token_type', 'scope', 'expires_in', 'ext_expires_in', 'access_token', 'refresh_token', 'id_token', 'client_info']);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      scope: `profile openid ${GRAPH}/${GRAPH_SCOPES.readWrite} ${GRAPH}/.default`,
      expires_in: 3599,
      ext_expires_in: 3599,
    });
    expect(JSON.parse(Buffer.from(String(body.client_info), 'base64url').toString())).toEqual({ uid: USERS.alex.oid, utid: CONTOSO });
    expect(await verifyWithJwks(entra.url, CONTOSO, String(body.id_token))).toMatchObject({
      aud: SSO_APP.clientId,
      iss: `${entra.url}/${CONTOSO}/v2.0`,
      oid: USERS.alex.oid,
      preferred_username: USERS.alex.upn,
      ver: '2.0',
    });
  });

  it('answers missing consent with the exact AADSTS65001 body', async () => {
    const { status, body, headers, clientRequestId } = await postToken(entra.url, CONTOSO, oboForm(await entra.mintSsoToken('megan')));
    expect(status).toBe(400);
    expect(Object.keys(body).sort()).toEqual(
      ['correlation_id', 'error', 'error_codes', 'error_description', 'error_uri', 'suberror', 'timestamp', 'trace_id'],
    );
    expect(body.error).toBe('invalid_grant');
    expect(body.error_codes).toEqual([65001]);
    expect(body.suberror).toBe('consent_required');
    const description = String(body.error_description);
    expect(description.startsWith(
      `AADSTS65001: The user or administrator has not consented to use the application with ID '${SSO_APP.clientId}' named 'Autopilot Uploads bot SSO'. Send an interactive authorization request for this user and resource.\r\nTrace ID: `,
    )).toBe(true);
    expect(description.endsWith(`\r\nCorrelation ID: ${clientRequestId}\r\nTimestamp: ${String(body.timestamp)}`)).toBe(true);
    expect(description).toContain(`Trace ID: ${String(body.trace_id)}\r\n`);
    expect(body.timestamp).toMatch(ENTRA_TIMESTAMP);
    expect(body.trace_id).toMatch(GUID);
    expect(body.correlation_id).toBe(clientRequestId);
    expect(body.error_uri).toBe(`${entra.url}/error?code=65001`);
    expect(headers.get('x-ms-request-id')).toBe(body.trace_id);
  });

  it('needs an explicitly requested Graph scope to be consented', async () => {
    const diego = await entra.mintSsoToken('diego');
    const refused = await postToken(entra.url, CONTOSO, oboForm(diego, { scope: `${GRAPH}/${GRAPH_SCOPES.readWrite} openid` }));
    expect(refused.status).toBe(400);
    expect(refused.body.error_codes).toEqual([65001]);
    const granted = await postToken(entra.url, CONTOSO, oboForm(diego, { scope: `${GRAPH}/${GRAPH_SCOPES.read} openid` }));
    expect(granted.status).toBe(200);
    expect(granted.body.scope).toBe(`openid ${GRAPH}/${GRAPH_SCOPES.read}`);
  });

  it('authenticates the client: unknown app, missing secret, wrong secret, secret in Basic auth', async () => {
    const assertion = await entra.mintSsoToken('alex');
    const unknown = await postToken(entra.url, CONTOSO, oboForm(assertion, { client_id: '11111111-2222-3333-4444-555555555555' }));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    expect(String(unknown.body.error_description)).toMatch(
      /^AADSTS700016: Application with identifier '11111111-2222-3333-4444-555555555555' was not found in the directory 'Contoso'\./,
    );
    const form = oboForm(assertion);
    delete (form as Partial<typeof form>).client_secret;
    const missing = await postToken(entra.url, CONTOSO, form);
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ error: 'invalid_client', error_codes: [7000218] });
    const wrong = await postToken(entra.url, CONTOSO, oboForm(assertion, { client_secret: 'nope' }));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });

    const res = await fetch(`${entra.url}/${CONTOSO}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${SSO_APP.clientId}:${SSO_APP.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams(form).toString(),
    });
    expect(res.status).toBe(200);
  });

  it('answers unknown tenants, unsupported grants, GET and bad scopes with the real errors', async () => {
    const assertion = await entra.mintSsoToken('alex');
    const tenant = await postToken(entra.url, 'nobody.onmicrosoft.com', oboForm(assertion));
    expect(tenant.status).toBe(400);
    expect(tenant.body).toMatchObject({ error: 'invalid_request', error_codes: [90002] });

    const grant = await postToken(entra.url, CONTOSO, { ...oboForm(assertion), grant_type: 'magic' });
    expect(grant.status).toBe(400);
    expect(grant.body).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });
    expect(String(grant.body.error_description)).toMatch(/^AADSTS70003: The app requested an unsupported grant type 'magic'\./);

    const get = await getJson(`${entra.url}/${CONTOSO}/oauth2/v2.0/token`);
    expect(get.status).toBe(400);
    expect(get.body).toMatchObject({ error: 'invalid_request', error_codes: [900561] });

    const mixed = await postToken(entra.url, CONTOSO, oboForm(assertion, { scope: `${GRAPH}/.default ${GRAPH}/User.Read` }));
    expect(mixed.body).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
    const resource = await postToken(entra.url, CONTOSO, oboForm(assertion, { scope: 'https://unknown.example/.default' }));
    expect(resource.body).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
    const noScope = await postToken(entra.url, CONTOSO, oboForm(assertion, { scope: '' }));
    expect(noScope.body).toMatchObject({ error: 'invalid_request', error_codes: [900144] });
    const malformed = await postToken(entra.url, CONTOSO, oboForm('not-a-jwt'));
    expect(malformed.body).toMatchObject({ error: 'invalid_request', error_codes: [50027] });
  });

  it('injects plain HTTP faults such as 503 for the next n requests only', async () => {
    entra.failNextTokenRequests(2, { status: 503, body: { error: 'temporarily_unavailable' }, headers: { 'Retry-After': '1' } });
    const assertion = await entra.mintSsoToken('alex');
    for (let i = 0; i < 2; i++) {
      const r = await postToken(entra.url, CONTOSO, oboForm(assertion));
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
    }
    expect((await postToken(entra.url, CONTOSO, oboForm(assertion))).status).toBe(200);
    expect(entra.stats()).toMatchObject({ oboCalls: 1, tokenErrors: [{ error: 'temporarily_unavailable' }, { error: 'temporarily_unavailable' }] });
  });
});

describe('client credentials through the msal-node botbuilder uses', () => {
  function botApp(clientSecret: string = BOT_APP.password) {
    const port = new URL(entra.url).port;
    return new botMsal.ConfidentialClientApplication({
      auth: {
        clientId: BOT_APP.id,
        clientSecret,
        authority: `${entra.url}/botframework.com`,
        knownAuthorities: [`127.0.0.1:${port}`],
      },
    });
  }

  it('issues an app-only Bot Framework token from botframework.com, cached by MSAL', async () => {
    const app = botApp();
    const result = await app.acquireTokenByClientCredential({ scopes: ['https://api.botframework.com/.default'] });
    expect(result?.accessToken).toEqual(expect.any(String));
    const c = await verifyWithJwks(entra.url, 'botframework.com', result!.accessToken);
    expect(c).toMatchObject({
      aud: 'https://api.botframework.com',
      appid: BOT_APP.id,
      appidacr: '1',
      iss: `https://sts.windows.net/${BOT_FRAMEWORK_TENANT_ID}/`,
      tid: BOT_FRAMEWORK_TENANT_ID,
      idtyp: 'app',
      ver: '1.0',
    });
    expect(c).not.toHaveProperty('scp');
    expect(c).not.toHaveProperty('roles');
    expect(c.sub).toBe(c.oid);
    const again = await app.acquireTokenByClientCredential({ scopes: ['https://api.botframework.com/.default'] });
    expect(again?.accessToken).toBe(result!.accessToken);
    expect(entra.stats().clientCredentialCalls).toBe(1);
  });

  it('refuses a wrong bot password with AADSTS7000215', async () => {
    await expect(botApp('wrong').acquireTokenByClientCredential({ scopes: ['https://api.botframework.com/.default'] })).rejects.toThrow(
      /AADSTS7000215/,
    );
  });

  it('answers a scope without /.default and a tenant-less authority with the real errors', async () => {
    const form = { client_id: BOT_APP.id, client_secret: BOT_APP.password, grant_type: 'client_credentials' };
    const scope = await postToken(entra.url, 'botframework.com', { ...form, scope: 'https://api.botframework.com/user_impersonation' });
    expect(scope.body).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    const common = await postToken(entra.url, 'common', { ...form, scope: 'https://api.botframework.com/.default' });
    expect(common.body).toMatchObject({ error: 'invalid_request', error_codes: [50059] });
    const sso = await postToken(entra.url, 'botframework.com', {
      ...form, client_id: SSO_APP.clientId, client_secret: SSO_APP.clientSecret, scope: 'https://api.botframework.com/.default',
    });
    expect(sso.body).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
  });
});

describe('control over HTTP (for other processes)', () => {
  it('mints tokens, changes consent, reads stats and injects faults through connectEntra', async () => {
    const remote = connectEntra(entra.url);
    const sso = await remote.mintSsoToken('megan', { version: '2.0' });
    expect(await verifyWithJwks(entra.url, CONTOSO, sso)).toMatchObject({ oid: USERS.megan.oid, ver: '2.0' });

    await remote.setConsent('megan', [GRAPH_SCOPES.read]);
    try {
      const ok = await postToken(entra.url, CONTOSO, oboForm(sso));
      expect(ok.status).toBe(200);
      expect(decodeJwt(String(ok.body.access_token)).scp).toBe(`${GRAPH_SCOPES.read} openid profile`);
    } finally {
      await remote.setConsent('megan', []);
    }
    expect(await remote.stats()).toMatchObject({ oboCalls: 1, oboByUser: { megan: 1 } });

    await remote.failNextTokenRequests(1, { status: 500, body: { error: 'server_error' } });
    expect((await postToken(entra.url, CONTOSO, oboForm(sso))).status).toBe(500);
    await remote.resetStats();
    expect(await remote.stats()).toEqual({ oboCalls: 0, oboByUser: {}, clientCredentialCalls: 0, tokenErrors: [] });

    const graph = decodeJwt(await remote.mintGraphToken('diego', [GRAPH_SCOPES.read]));
    expect(graph).toMatchObject({ aud: GRAPH, scp: GRAPH_SCOPES.read, idtyp: 'user', oid: USERS.diego.oid });
    const appOnly = decodeJwt(await remote.mintGraphToken('alex', [], { appOnly: true }));
    expect(appOnly).toMatchObject({ aud: GRAPH, idtyp: 'app', appid: SSO_APP.clientId });
    expect(appOnly).not.toHaveProperty('scp');

    await expect(remote.mintSsoToken('nobody' as never)).rejects.toThrow(/400.*unknown sandbox user 'nobody'/);
  });
});

describe('admin consent (v1 and v2)', () => {
  const v2 = (query: Record<string, string>) => `${entra.url}/${CONTOSO}/v2.0/adminconsent?${new URLSearchParams(query)}`;
  const endPage = 'http://127.0.0.1:41234/auth/end';
  const base = { client_id: SSO_APP.clientId, scope: GRAPH_SCOPES.readWrite, redirect_uri: endPage, state: 's-1' };
  afterEach(() => {
    entra.setRedirectUris(SSO_APP.clientId, [...SSO_APP.redirectUris]);
    for (const user of Object.values(USERS)) entra.setConsent(user.key as keyof typeof USERS, [...user.consented]);
  });

  it('accepting redirects to the registered redirect_uri (any loopback port) with admin_consent, tenant, scope and state', async () => {
    const shown = await fetch(v2(base));
    expect(shown.status).toBe(200);
    expect(await shown.text()).toMatch(/<form method="post" id="consent">/);
    const accepted = await fetch(v2(base), { method: 'POST', body: 'decision=accept', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect(accepted.status).toBe(302);
    const to = new URL(accepted.headers.get('location')!);
    expect(to.origin + to.pathname).toBe(endPage);
    expect(Object.fromEntries(to.searchParams)).toEqual({ admin_consent: 'True', tenant: CONTOSO, scope: GRAPH_SCOPES.readWrite, state: 's-1' });
  });

  it('declining redirects with access_denied and AADSTS65004, granting nothing', async () => {
    const declined = await fetch(v2(base), { method: 'POST', body: 'decision=decline', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    const to = new URL(declined.headers.get('location')!);
    expect(Object.fromEntries(to.searchParams)).toEqual({ error: 'access_denied', error_description: 'AADSTS65004: User declined to consent to access the app.', state: 's-1' });
  });

  it('no redirect URI registered → AADSTS500113; an unregistered one → AADSTS50011; neither page redirects or grants', async () => {
    entra.setRedirectUris(SSO_APP.clientId, []);
    for (const method of ['GET', 'POST']) {
      const none = await fetch(v2(base), { method, redirect: 'manual' });
      expect([method, none.status, none.headers.get('location')]).toEqual([method, 400, null]);
      expect(await none.text()).toContain('AADSTS500113: No reply address is registered for the application.');
    }
    entra.setRedirectUris(SSO_APP.clientId, ['https://bot.contoso.com/auth/end']);
    for (const uri of ['https://evil.example/auth/end', 'https://bot.contoso.com/auth/end/', 'https://bot.contoso.com:8443/auth/end', 'http://bot.contoso.com/auth/end']) {
      const wrong = await fetch(v2({ ...base, redirect_uri: uri }), { method: 'POST', redirect: 'manual' });
      expect([uri, wrong.status, wrong.headers.get('location')]).toEqual([uri, 400, null]);
      const html = await wrong.text();
      expect(html).toContain(`AADSTS50011: The redirect URI &#39;${uri}&#39; specified in the request does not match the redirect URIs configured for the application &#39;${SSO_APP.clientId}&#39;.`);
    }
    // Port freedom is for loopback only, and the path still has to match.
    entra.setRedirectUris(SSO_APP.clientId, ['http://127.0.0.1/auth/end']);
    expect((await fetch(v2({ ...base, redirect_uri: 'http://127.0.0.1:9/auth/other' }), { method: 'POST', redirect: 'manual' })).status).toBe(400);
    expect((await fetch(v2(base), { method: 'POST', redirect: 'manual' })).status).toBe(302);
  });

  it('without redirect_uri Entra uses the registration\'s first one; over HTTP the control surface changes the registration', async () => {
    const remote = connectEntra(entra.url);
    await remote.setRedirectUris(SSO_APP.clientId, ['https://bot.contoso.com/auth/end']);
    const { redirect_uri: _omitted, ...rest } = base;
    const v1 = await fetch(`${entra.url}/${CONTOSO}/adminconsent?${new URLSearchParams(rest)}`, { method: 'POST', redirect: 'manual' });
    expect(v1.status).toBe(302);
    expect(v1.headers.get('location')).toBe(`https://bot.contoso.com/auth/end?admin_consent=True&tenant=${CONTOSO}&state=s-1`);
  });
});
