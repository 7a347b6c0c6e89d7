/**
 * The uploads client as the signed-in user: real HTTPS to the Entra and Graph stand-ins, the real
 * @azure/identity OnBehalfOfCredential and the real Microsoft Graph client. Nothing is mocked.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { BotError } from '../../bot/errors';
import { graphScope, toBotError } from '../../bot/graph/uploads';
import type { UploadStatus } from '../../bot/model';
import { GRAPH_SCOPES, USERS } from '../../sandbox/directory';
import { SEED } from '../../sandbox/graph';
import { sendJson } from '../../sandbox/http';
import { startRecorder, type Recorder } from '../support/standins-recorder';
import { signIn, ssoValidator, startStandIns, until, uploadsClient, userCredentials, type StandIns } from '../support/standins';

const UPLOADS = '/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads';
const ODATA_TYPE = '#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SPEC = path.join(__dirname, '../fixtures/graph/update-importedwindowsautopilotdeviceidentityupload.md');

let s: StandIns;

beforeAll(async () => {
  s = await startStandIns();
});

afterAll(async () => {
  await s?.close();
});

beforeEach(() => s.entra.resetStats());
afterEach(() => {
  s.graph.reset();
  s.entra.failNextTokenRequests(0, { status: 200, body: {} });
});

/** A fresh sign-in: fresh credential store, so every test counts its own OBO calls. */
async function clientFor(user: Parameters<typeof signIn>[2], options?: Parameters<typeof uploadsClient>[2]) {
  const { credential } = await signIn(s, userCredentials(s.entra.url), user);
  return { credential, uploads: uploadsClient(credential, s.graph.url, options) };
}

async function rejection(promise: Promise<unknown>): Promise<BotError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection, got a result');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BotError);
  return err as BotError;
}

describe('as the signed-in user, through on-behalf-of', () => {
  test('get returns the upload as Graph has it', async () => {
    const { uploads } = await clientFor('alex');
    const upload = await uploads.get(SEED.pending);
    expect(upload).toMatchObject({ '@odata.type': ODATA_TYPE, id: SEED.pending, createdDateTimeUtc: '2024-05-20T14:02:11.9034501Z', status: 'pending' });
    expect(s.graph.requests()).toEqual([
      expect.objectContaining({ method: 'GET', path: `/v1.0${UPLOADS}/${SEED.pending}`, status: 200, oid: USERS.alex.oid }),
    ]);
  });

  test('list pages with $top and reports the next link; without $top it returns every upload of the tenant', async () => {
    const { uploads } = await clientFor('alex');
    const first = await uploads.list({ top: 2 });
    expect(first.items).toHaveLength(2);
    // Newest first: the bot asks Graph to order by creation time, and the next link keeps the order.
    expect(first.nextLink).toMatch(new RegExp(`^${s.graph.url}/v1\\.0${UPLOADS}\\?\\$top=2&\\$orderby=createdDateTimeUtc%20desc&\\$skiptoken=`));

    const all = await uploads.list();
    expect(all.nextLink).toBeUndefined();
    expect(all.items.map((u) => u.id).sort()).toEqual([SEED.docExample, SEED.complete, SEED.pending, SEED.error, SEED.noUpload, SEED.large].sort());
    expect(all.items.map((u) => u.id)).toEqual(expect.arrayContaining(first.items.map((u) => u.id)));
    expect(s.graph.requests().map((r) => r.query)).toEqual(['$orderby=createdDateTimeUtc%20desc&$top=2', '$orderby=createdDateTimeUtc%20desc']);
    // Newest first, as Graph ordered them.
    expect(all.items.map((u) => u.id)).toEqual([SEED.large, SEED.noUpload, SEED.error, SEED.pending, SEED.complete, SEED.docExample]);
  });

  test('deviceIdentities returns the devices of one upload', async () => {
    const { uploads } = await clientFor('alex');
    const page = await uploads.deviceIdentities(SEED.error);
    expect(page.nextLink).toBeUndefined();
    expect(page.items.map((d) => d.serialNumber).sort()).toEqual(['PF3ABCDE', 'PF3ABCDF']);
    const rejected = page.items.find((d) => d.id === SEED.devices.errorRejected);
    expect(rejected?.state).toMatchObject({
      deviceImportStatus: 'error',
      deviceRegistrationId: null,
      deviceErrorCode: 806,
      deviceErrorName: 'ZtdDeviceAlreadyAssigned',
    });
  });

  test('updateStatus sends exactly the documented PATCH body and, after Intune’s 204, returns the entity read back', async () => {
    const { uploads } = await clientFor('alex');
    const updated = await uploads.updateStatus(SEED.pending, 'complete');
    expect(updated).toMatchObject({ id: SEED.pending, status: 'complete', createdDateTimeUtc: '2024-05-20T14:02:11.9034501Z' });
    expect(s.graph.patchCount(SEED.pending)).toBe(1);
    const log = s.graph.requests();
    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`PATCH /v1.0${UPLOADS}/${SEED.pending} 204`, `GET /v1.0${UPLOADS}/${SEED.pending} 200`]);
    expect(JSON.stringify(log[0].body)).toBe(`{"@odata.type":"${ODATA_TYPE}","status":"complete"}`);
    expect(log.map((r) => r.oid)).toEqual([USERS.alex.oid, USERS.alex.oid]);
  });

  test('updateStatus takes the entity from a 200 answer (the API page’s behaviour) without a second request', async () => {
    s.graph.mode.patchResponse = 'entity';
    const { uploads } = await clientFor('alex');
    const updated = await uploads.updateStatus(SEED.pending, 'complete');
    expect(updated).toMatchObject({ id: SEED.pending, status: 'complete', createdDateTimeUtc: '2024-05-20T14:02:11.9034501Z' });
    expect(s.graph.upload(SEED.pending)?.status).toBe('complete');
    expect(s.graph.patchCount(SEED.pending)).toBe(1);

    // Graph answered 200 with the entity, so there is no follow-up GET.
    const log = s.graph.requests();
    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`PATCH /v1.0${UPLOADS}/${SEED.pending} 200`]);
    expect(JSON.stringify(log[0].body)).toBe(`{"@odata.type":"${ODATA_TYPE}","status":"complete"}`);
    expect(log[0].oid).toBe(USERS.alex.oid);
  });

  test('ten Graph calls for one user cost exactly one OBO exchange', async () => {
    const { uploads } = await clientFor('alex');
    for (let i = 0; i < 4; i++) await uploads.get(SEED.complete);
    for (let i = 0; i < 3; i++) await uploads.list({ top: 3 });
    for (let i = 0; i < 2; i++) await uploads.deviceIdentities(SEED.pending);
    await uploads.updateStatus(SEED.noUpload, 'pending');

    expect(s.entra.stats()).toMatchObject({ oboCalls: 1, oboByUser: { alex: 1 }, tokenErrors: [] });
    const log = s.graph.requests();
    expect(log).toHaveLength(11); // ten calls, and the GET after Intune's 204
    expect(new Set(log.map((r) => r.oid))).toEqual(new Set([USERS.alex.oid]));
  });

  test('a second user gets their own OBO exchange and acts as themselves', async () => {
    const alex = await clientFor('alex');
    const adele = await clientFor('adele');
    await alex.uploads.get(SEED.pending);
    await adele.uploads.updateStatus(SEED.pending, 'error');
    await alex.uploads.get(SEED.pending);
    await adele.uploads.get(SEED.pending);

    expect(s.entra.stats()).toMatchObject({ oboCalls: 2, oboByUser: { alex: 1, adele: 1 } });
    expect(s.graph.requests().map((r) => [r.method, r.oid])).toEqual([
      ['GET', USERS.alex.oid],
      ['PATCH', USERS.adele.oid],
      ['GET', USERS.adele.oid],
      ['GET', USERS.alex.oid],
      ['GET', USERS.adele.oid],
    ]);
  });

  test('missing consent (megan) is consent_required with AADSTS65001, and Graph is never called', async () => {
    const { uploads } = await clientFor('megan');
    const err = await rejection(uploads.get(SEED.pending));
    expect(err.code).toBe('consent_required');
    expect(err.details.serviceCode).toBe('AADSTS65001');
    expect(s.entra.stats()).toMatchObject({ oboCalls: 0, tokenErrors: [{ error: 'invalid_grant', code: 65001 }] });
    expect(s.graph.requests()).toEqual([]);
  });

  test('a personal account (sam) is refused by SSO validation before any OBO exchange', async () => {
    const token = await s.entra.mintSsoToken('sam');
    const err = await rejection(ssoValidator(s.entra.url).validate(token));
    expect(err.code).toBe('personal_account');
    expect(s.entra.stats()).toEqual({ oboCalls: 0, oboByUser: {}, clientCredentialCalls: 0, tokenErrors: [] });
    expect(s.graph.requests()).toEqual([]);
  });

  test('Read.All only (diego): reading works, the PATCH is forbidden with Graph’s code and request-id', async () => {
    const { uploads } = await clientFor('diego');
    expect((await uploads.get(SEED.pending)).status).toBe('pending');

    const err = await rejection(uploads.updateStatus(SEED.pending, 'complete'));
    expect(err.code).toBe('forbidden');
    expect(err.details).toMatchObject({ serviceCode: 'Forbidden', httpStatus: 403 });
    expect(err.details.requestId).toMatch(GUID);
    expect(s.graph.upload(SEED.pending)?.status).toBe('pending');
    expect(s.graph.patchCount(SEED.pending)).toBe(0);
    expect(s.graph.requests().map((r) => [r.method, r.status, r.oid])).toEqual([
      ['GET', 200, USERS.diego.oid],
      ['PATCH', 403, USERS.diego.oid],
    ]);
  });

  test('an unknown id is not_found with the request-id to quote', async () => {
    const { uploads } = await clientFor('alex');
    const err = await rejection(uploads.get('00000000-1111-4222-8333-444444444444'));
    expect(err.code).toBe('not_found');
    expect(err.details).toMatchObject({ serviceCode: 'ResourceNotFound', httpStatus: 404 });
    expect(err.details.requestId).toMatch(GUID);

    // An upload of another tenant does not exist for this one.
    expect((await rejection(uploads.updateStatus(SEED.fabrikam, 'complete'))).code).toBe('not_found');
    expect(s.graph.upload(SEED.fabrikam)?.status).toBe('pending');
  });

  test('a status Graph does not know is invalid_request and changes nothing', async () => {
    const { uploads } = await clientFor('alex');
    const err = await rejection(uploads.updateStatus(SEED.pending, 'completed' as UploadStatus));
    expect(err.code).toBe('invalid_request');
    expect(err.details).toMatchObject({ serviceCode: 'ModelValidationFailure', httpStatus: 400 });
    expect(err.details.requestId).toMatch(GUID);
    expect(s.graph.upload(SEED.pending)?.status).toBe('pending');
    expect(s.graph.requests()[0].body).toEqual({ '@odata.type': ODATA_TYPE, status: 'completed' });
  });
});

describe('throttling, outages and timeouts', () => {
  test('one 429 with Retry-After: 1 is retried by the Graph client and the PATCH succeeds once', async () => {
    const { uploads } = await clientFor('alex');
    s.graph.faults.next(1, { status: 429, retryAfterSeconds: 1 });
    const updated = await uploads.updateStatus(SEED.pending, 'complete');
    expect(updated.status).toBe('complete');
    const log = s.graph.requests();
    expect(log.map((r) => `${r.method} ${r.status}`)).toEqual(['PATCH 429', 'PATCH 204', 'GET 200']);
    // The retry re-sent the same body.
    expect(log[1].body).toEqual(log[0].body);
    expect(s.graph.patchCount(SEED.pending)).toBe(1);
  });

  test('503 on every try is unavailable once the client’s retries are spent', async () => {
    const { uploads } = await clientFor('alex', { retryDelaySeconds: 0.05, maxRetries: 2 });
    s.graph.faults.next(10, { status: 503 });
    const err = await rejection(uploads.get(SEED.pending));
    expect(err.code).toBe('unavailable');
    expect(err.details).toMatchObject({ serviceCode: 'serviceNotAvailable', httpStatus: 503 });
    expect(err.details.requestId).toMatch(GUID);
    // The first try plus maxRetries.
    expect(s.graph.requests().map((r) => r.status)).toEqual([503, 503, 503]);
  });

  test('429 on every try is throttled, with Graph’s Retry-After', async () => {
    const { uploads } = await clientFor('alex', { maxRetries: 1 });
    s.graph.faults.next(5, { status: 429, retryAfterSeconds: 1 });
    const err = await rejection(uploads.updateStatus(SEED.pending, 'complete'));
    expect(err.code).toBe('throttled');
    expect(err.details).toMatchObject({ serviceCode: 'TooManyRequests', httpStatus: 429, retryAfterSeconds: 1 });
    expect(s.graph.requests().map((r) => r.status)).toEqual([429, 429]);
    expect(s.graph.patchCount(SEED.pending)).toBe(0);
  });

  test('a Graph nobody listens on is unavailable', async () => {
    const { credential } = await clientFor('alex');
    const gone = await startRecorder(s.certs, (_req, res) => sendJson(res, 500, undefined));
    await gone.close();
    const err = await rejection(uploadsClient(credential, gone.url).get(SEED.pending));
    expect(err.code).toBe('unavailable');
    expect(gone.requests).toEqual([]);
  });

  test('Entra answering the OBO exchange with 503 temporarily_unavailable is unavailable, not a refused sign-in', async () => {
    // Entra's transient-failure answer: OAuth error temporarily_unavailable with an AADSTS code.
    const transient = {
      error: 'temporarily_unavailable',
      error_description: 'AADSTS90033: A transient error has occurred. Please try again.',
      error_codes: [90033],
    };
    const { uploads } = await clientFor('alex', { timeoutMs: 25_000 });
    // More than @azure/identity's own retries.
    s.entra.failNextTokenRequests(10, { status: 503, body: transient });
    const err = await rejection(uploads.get(SEED.pending));
    expect(err.code).toBe('unavailable');
    expect(err.details.serviceCode).toBe('AADSTS90033');
    expect(s.entra.stats().tokenErrors.length).toBeGreaterThan(0);
    expect(s.graph.requests()).toEqual([]);
  });

  test('a Graph slower than timeoutMs is a timeout, raised before Graph answers', async () => {
    const { credential, uploads: warm } = await clientFor('alex');
    // Obtain the OBO token first, so the budget below is spent on Graph alone.
    await warm.get(SEED.pending);
    s.graph.reset();

    s.graph.faults.next(1, { delayMs: 2_000 });
    const uploads = uploadsClient(credential, s.graph.url, { timeoutMs: 250 });
    const err = await rejection(uploads.get(SEED.pending));
    expect(err.code).toBe('timeout');
    expect(err.message).toContain('250 ms');
    // "Promptly": the stand-in has not answered yet (it logs a request when it answers).
    expect(s.graph.requests()).toEqual([]);

    // Let the delayed request finish so no stand-in timer outlives the test.
    if (s.graph.faults.pending() === 0) await until(() => s.graph.requests().length === 1, 'the delayed request to finish');
  });
});

describe('API versions and clouds', () => {
  test('the beta API version reads and patches under /beta', async () => {
    const { uploads } = await clientFor('alex', { apiVersion: 'beta' });
    expect((await uploads.get(SEED.noUpload)).status).toBe('noUpload');
    expect((await uploads.updateStatus(SEED.noUpload, 'pending')).status).toBe('pending');
    expect(s.graph.requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /beta${UPLOADS}/${SEED.noUpload} 200`,
      `PATCH /beta${UPLOADS}/${SEED.noUpload} 204`,
      `GET /beta${UPLOADS}/${SEED.noUpload} 200`,
    ]);
  });

  test('graphScope: the sandbox and the global service use graph.microsoft.com, national clouds their own host', () => {
    expect(graphScope(s.graph.url)).toBe('https://graph.microsoft.com/.default');
    expect(graphScope('https://graph.microsoft.com')).toBe('https://graph.microsoft.com/.default');
    // "Any permission scope value (including the .default scope) that contains the Microsoft Graph domain MUST use
    // the domain of the Microsoft Graph service root endpoint for the national cloud deployment."
    // (learn.microsoft.com/graph/sdks/national-clouds; endpoints from learn.microsoft.com/graph/deployments)
    expect(graphScope('https://graph.microsoft.us')).toBe('https://graph.microsoft.us/.default');
    expect(graphScope('https://dod-graph.microsoft.us/')).toBe('https://dod-graph.microsoft.us/.default');
    expect(graphScope('https://microsoftgraph.chinacloudapi.cn')).toBe('https://microsoftgraph.chinacloudapi.cn/.default');
    expect(graphScope('https://GRAPH.microsoft.us/v1.0')).toBe('https://graph.microsoft.us/.default');
  });
});

describe('a Graph that answers the PATCH with 204 No Content', () => {
  let remote: Recorder;
  const entity = { '@odata.type': ODATA_TYPE, id: SEED.pending, createdDateTimeUtc: '2024-05-20T14:02:11.9034501Z', status: 'complete' };

  beforeAll(async () => {
    remote = await startRecorder(s.certs, (req, res) => {
      const headers = { 'request-id': '11111111-2222-4333-8444-555555555555' };
      if (req.method === 'PATCH') sendJson(res, 204, undefined, headers);
      else sendJson(res, 200, entity, headers);
    });
  });

  afterAll(async () => {
    await remote?.close();
  });

  test('updateStatus follows the 204 with a GET, with the same bearer token, and returns that entity', async () => {
    const { credential } = await clientFor('alex');
    const uploads = uploadsClient(credential, remote.url);
    const updated = await uploads.updateStatus(SEED.pending, 'complete');
    expect(updated).toEqual(entity);

    const itemPath = `/v1.0${UPLOADS}/${SEED.pending}`;
    expect(remote.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`PATCH ${itemPath}`, `GET ${itemPath}`]);
    expect(remote.requests[0].body).toBe(`{"@odata.type":"${ODATA_TYPE}","status":"complete"}`);
    const graphToken = (await credential.getToken(graphScope(remote.url)))?.token;
    expect(graphToken).toBeTruthy();
    for (const r of remote.requests) expect(r.headers.authorization).toBe(`Bearer ${graphToken}`);
    expect(s.entra.stats().oboCalls).toBe(1);
  });
});

describe('stand-in fidelity', () => {
  const itemUrl = () => `${s.graph.url}/v1.0${UPLOADS}/${SEED.pending}`;

  interface GraphErrorBody {
    error: { code: string; message: string; innerError: Record<string, string> };
  }

  function expectGraph401(status: number, body: GraphErrorBody, message: string): void {
    expect(status).toBe(401);
    expect(body.error).toMatchObject({ code: 'InvalidAuthenticationToken', message });
    expect(body.error.innerError['request-id']).toMatch(GUID);
    expect(body.error.innerError['client-request-id']).toMatch(GUID);
    expect(body.error.innerError.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  }

  test('a request without a token is 401 with Graph’s error body', async () => {
    const res = await fetch(itemUrl(), { headers: { Accept: 'application/json' } });
    expectGraph401(res.status, (await res.json()) as GraphErrorBody, 'Access token is empty.');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  test('an expired token is 401 with Graph’s error body', async () => {
    const expired = await s.entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite], { expiresInSeconds: -600 });
    const res = await fetch(itemUrl(), { headers: { Accept: 'application/json', Authorization: `Bearer ${expired}` } });
    expectGraph401(res.status, (await res.json()) as GraphErrorBody, 'Lifetime validation failed, the token is expired.');
  });

  test('through the Graph client, a 401 becomes sign_in_failed', async () => {
    const expired = await s.entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite], { expiresInSeconds: -600 });
    // A credential that hands out a stale token, as a broken cache would.
    const stale: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: expired, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const err = await rejection(uploadsClient(stale, s.graph.url).get(SEED.pending));
    expect(err.code).toBe('sign_in_failed');
    expect(err.details).toMatchObject({ serviceCode: 'InvalidAuthenticationToken', httpStatus: 401 });
    expect(s.graph.requests()).toEqual([expect.objectContaining({ status: 401 })]);
  });

  test('the API page’s PATCH example round-trips through the real Graph client', async () => {
    const spec = fs.readFileSync(SPEC, 'utf8');
    const [request, response] = [...spec.matchAll(/^\{\n[\s\S]*?^\}$/gm)].map((m) => JSON.parse(m[0]) as Record<string, unknown>);
    const requestUrl = /^PATCH (https:\/\/graph\.microsoft\.com\/v1\.0\/\S+)$/m.exec(spec)?.[1];
    expect(requestUrl).toBe(`https://graph.microsoft.com/v1.0${UPLOADS}/{importedWindowsAutopilotDeviceIdentityUploadId}`);
    expect(request).toEqual({ '@odata.type': ODATA_TYPE, createdDateTimeUtc: '2016-12-31T23:59:45.8788427-08:00', status: 'pending' });

    // The page shows 200 with the entity; Intune answers 204 (fixtures/real-cloud): the page's behaviour is selected here.
    s.graph.mode.patchResponse = 'entity';
    const { credential } = await clientFor('alex');
    const client = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [graphScope(s.graph.url)] }),
      baseUrl: `${s.graph.url}/`,
      customHosts: new Set([new URL(s.graph.url).hostname]),
    });
    const id = response.id as string;
    expect(id).toBe(SEED.docExample);
    // The page's URL, pointed at the stand-in.
    const url = (requestUrl as string).replace('https://graph.microsoft.com', s.graph.url).replace(/\{[^}]+\}$/, id);
    const answer = (await client.api(url).patch(request)) as Record<string, unknown>;

    // The page's response (which "may be truncated") is contained in what Graph answered.
    expect(answer).toMatchObject(response);
    expect(s.graph.requests()).toEqual([
      expect.objectContaining({ method: 'PATCH', path: `/v1.0${UPLOADS}/${id}`, status: 200, oid: USERS.alex.oid, body: request }),
    ]);
  });
});

describe('toBotError', () => {
  test('passes BotErrors through and maps non-HTTP failures by name and AADSTS code', () => {
    const original = new BotError('not_found', 'gone');
    expect(toBotError(original)).toBe(original);
    expect(toBotError(Object.assign(new Error('aborted'), { name: 'AbortError' })).code).toBe('timeout');
    const other = toBotError(new Error('AADSTS7000215: Invalid client secret provided.'));
    expect([other.code, other.details.serviceCode]).toEqual(['sign_in_failed', 'AADSTS7000215']);
    expect(toBotError(new TypeError('fetch failed')).code).toBe('unavailable');
  });
});
