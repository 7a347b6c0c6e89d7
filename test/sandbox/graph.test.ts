/**
 * The Graph stand-in over real HTTPS, with tokens minted by the Entra stand-in and verified
 * against its JWKS.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import zlib from 'node:zlib';
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { ensureCerts } from '../../sandbox/certs';
import { GRAPH_APP_ID, GRAPH_SCOPES, USERS } from '../../sandbox/directory';
import { startEntra } from '../../sandbox/entra';
import type { EntraStandIn } from '../../sandbox/entra';
import { SEED, startGraph } from '../../sandbox/graph';
import type { GraphStandIn } from '../../sandbox/graph';
import { Throttle } from '../../sandbox/graph/throttle';
import { resolveRoute } from '../../sandbox/graph/routes';
import { deviceManagementSegments } from '../../sandbox/graph/schema';
import { GUID, UPLOADS_PATH, call, intuneMessage } from './graph-http';

const UPLOAD_TYPE = '#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload';
const ODATA_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const V1 = `/v1.0${UPLOADS_PATH}`;

let entra: EntraStandIn;
let graph: GraphStandIn;
let alex: string; // ReadWrite.All
let diego: string; // Read.All

beforeAll(async () => {
  const certs = ensureCerts();
  entra = await startEntra({ certs, port: 0 });
  graph = await startGraph({ certs, entraUrl: entra.url, port: 0 });
  alex = await entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite]);
  diego = await entra.mintGraphToken('diego', [GRAPH_SCOPES.read]);
});

afterEach(() => graph.reset());

afterAll(async () => {
  await graph?.close();
  await entra?.close();
});

const get = (path: string, token = alex, headers?: Record<string, string>) => call(graph.url, 'GET', path, { token, headers });
const patch = (id: string, body: unknown, token = alex, headers?: Record<string, string>) =>
  call(graph.url, 'PATCH', `${V1}/${id}`, { token, body, headers });

describe('reading uploads', () => {
  test('lists every seeded Contoso upload with the OData envelope and Graph headers', async () => {
    const reply = await get(V1);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(ODATA_CONTENT_TYPE);
    expect(reply.headers.get('odata-version')).toBe('4.0');
    expect(reply.headers.get('request-id')).toMatch(GUID);
    expect(reply.headers.get('client-request-id')).toBe(reply.headers.get('request-id'));
    expect(Date.parse(reply.headers.get('date') ?? '')).not.toBeNaN();
    expect(reply.body['@odata.context']).toBe(`${graph.url}/v1.0/$metadata#deviceManagement/importedWindowsAutopilotDeviceIdentityUploads`);
    const ids = reply.body.value.map((u: { id: string }) => u.id);
    expect(ids.sort()).toEqual([SEED.docExample, SEED.complete, SEED.pending, SEED.error, SEED.noUpload, SEED.large].sort());
    expect(ids).not.toContain(SEED.fabrikam);
    expect(new Set(reply.body.value.map((u: { status: string }) => u.status))).toEqual(new Set(['noUpload', 'pending', 'complete', 'error']));
  });

  test('echoes the caller’s client-request-id', async () => {
    const reply = await get(`${V1}/${SEED.complete}`, alex, { 'client-request-id': 'bot-turn-42' });
    expect(reply.headers.get('client-request-id')).toBe('bot-turn-42');
    expect(reply.headers.get('request-id')).toMatch(GUID);
    expect(graph.requests().at(-1)).toMatchObject({ clientRequestId: 'bot-turn-42', oid: USERS.alex.oid, status: 200 });
  });

  test('pages with $top and @odata.nextLink until every upload was seen once', async () => {
    const seen: string[] = [];
    let next: string | undefined = `${V1}?$top=2`;
    const pageSizes: number[] = [];
    while (next) {
      const reply = await get(next);
      expect(reply.status).toBe(200);
      pageSizes.push(reply.body.value.length);
      seen.push(...reply.body.value.map((u: { id: string }) => u.id));
      next = reply.body['@odata.nextLink'];
      if (next) expect(next.startsWith(`${graph.url}/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads?$top=2&$skiptoken=`)).toBe(true);
    }
    expect(pageSizes).toEqual([2, 2, 2]);
    expect(new Set(seen).size).toBe(6);
  });

  test('refuses a malformed $top and query options the stand-in does not implement', async () => {
    const top = await get(`${V1}?$top=-1`);
    expect(top.status).toBe(400);
    expect(top.body.error.message).toBe("Invalid value '-1' for $top query option found. The $top query option requires a non-negative integer value.");
    const filter = await get(`${V1}?$filter=createdDateTimeUtc gt 2020-01-01T00:00:00Z`);
    expect(filter.status).toBe(400);
    expect(filter.body.error.message).toContain("'$filter'");
    const order = await get(`${V1}?$orderby=status`);
    expect(order.status).toBe(400);
    // What the bot's list asks for: one status, newest first.
    const pending = await get(`${V1}?$filter=status eq 'pending'&$orderby=createdDateTimeUtc desc`);
    expect(pending.status).toBe(200);
    expect(pending.body.value.map((u: { id: string }) => u.id)).toEqual([SEED.pending, SEED.docExample]);
  });

  test('gets the API page’s example upload exactly as published', async () => {
    const reply = await get(`${V1}/${SEED.docExample}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      '@odata.context': `${graph.url}/v1.0/$metadata#deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/$entity`,
      '@odata.type': UPLOAD_TYPE,
      id: '8d639524-9524-8d63-2495-638d2495638d',
      createdDateTimeUtc: '2016-12-31T23:59:45.8788427-08:00',
      status: 'pending',
    });
  });

  test('accepts OData key syntax and upper-case ids', async () => {
    const reply = await get(`${V1}('${SEED.complete.toUpperCase()}')`);
    expect(reply.status).toBe(200);
    expect(reply.body.id).toBe(SEED.complete);
  });

  test('serves the same resource under /beta (version segment case-insensitive)', async () => {
    const reply = await get(`/Beta${UPLOADS_PATH}/${SEED.error}`);
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe('error');
    expect(reply.body['@odata.context']).toBe(`${graph.url}/beta/$metadata#deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/$entity`);
  });

  test('$expand=deviceIdentities and $select', async () => {
    const expanded = await get(`${V1}/${SEED.complete}?$expand=deviceIdentities`);
    expect(expanded.status).toBe(200);
    expect(expanded.body.deviceIdentities).toHaveLength(2);
    const selected = await get(`${V1}/${SEED.complete}?$select=status`);
    expect(selected.body).toEqual({
      '@odata.context': `${graph.url}/v1.0/$metadata#deviceManagement/importedWindowsAutopilotDeviceIdentityUploads(status)/$entity`,
      '@odata.type': UPLOAD_TYPE,
      status: 'complete',
    });
  });
});

describe('Intune and gateway errors', () => {
  test('an unknown id is Intune’s 404 with its JSON-in-a-string message', async () => {
    const missing = '00000000-1111-2222-3333-444444444444';
    const reply = await get(`${V1}/${missing}`, alex, { 'client-request-id': 'c0ffee00-0000-4000-8000-000000000001' });
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-type')).toBe('application/json');
    expect(reply.body.error.code).toBe('ResourceNotFound');
    expect(reply.body.error.message).toContain('\r\n  "_version": 3,');
    const inner = intuneMessage(reply);
    expect(inner).toMatchObject({ _version: 3, CustomApiErrorPhrase: '', RetryAfter: null, ErrorSourceService: '', HttpHeaders: '{}' });
    expect(inner.Message).toMatch(/^An error has occurred - Operation ID \(for customer support\): 00000000-0000-0000-0000-000000000000 - Activity ID: c0ffee00-0000-4000-8000-000000000001 - Url: https:\/\/fef\./);
    expect(inner.Message).toContain(`importedWindowsAutopilotDeviceIdentityUploads%28%27${missing}%27%29?api-version=`);
    expect(reply.body.error.innerError).toEqual({
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      'request-id': reply.headers.get('request-id'),
      'client-request-id': 'c0ffee00-0000-4000-8000-000000000001',
    });
  });

  test('an unknown segment is 400, an unknown version 404, an unsupported verb Intune’s route error', async () => {
    const segment = await get('/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUpload');
    expect(segment.status).toBe(400);
    expect(segment.body.error).toMatchObject({ code: 'BadRequest', message: "Resource not found for the segment 'importedWindowsAutopilotDeviceIdentityUpload'." });

    const version = await get(`/v2.0${UPLOADS_PATH}`);
    expect(version.status).toBe(404);
    expect(version.body.error).toMatchObject({ code: 'ResourceNotFound', message: 'Invalid version: v2.0' });

    const put = await call(graph.url, 'PUT', `${V1}/${SEED.pending}`, { token: alex, body: { status: 'complete' } });
    expect(put.status).toBe(400);
    expect(put.body.error.code).toBe('No method match route template');
    expect(put.body.error.message).toBe(
      `No OData route exists that match template ~/singleton/navigation/key with http verb PUT for request ` +
        `/DeviceEnrollmentFE_2311/StatelessDeviceEnrollmentFEService/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads('${SEED.pending}').`,
    );
    expect(graph.upload(SEED.pending)?.status).toBe('pending');
  });

  test('uploads are per tenant: Contoso cannot see Fabrikam’s', async () => {
    expect((await get(`${V1}/${SEED.fabrikam}`)).status).toBe(404);
    const lee = await entra.mintGraphToken('lee', [GRAPH_SCOPES.readWrite]);
    const reply = await get(`${V1}/${SEED.fabrikam}`, lee);
    expect(reply.status).toBe(200);
    expect((await get(V1, lee)).body.value.map((u: { id: string }) => u.id)).toEqual([SEED.fabrikam]);
  });
});

describe('creating, updating and deleting', () => {
  test('POST creates with a server-assigned id and timestamp (201)', async () => {
    const reply = await call(graph.url, 'POST', V1, {
      token: alex,
      body: { '@odata.type': UPLOAD_TYPE, createdDateTimeUtc: '2016-12-31T23:59:45.8788427-08:00', status: 'pending' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.id).toMatch(GUID);
    expect(reply.body.id).not.toBe(SEED.docExample);
    expect(reply.body.status).toBe('pending');
    expect(reply.body.createdDateTimeUtc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(reply.body.createdDateTimeUtc).not.toBe('2016-12-31T23:59:45.8788427-08:00');
    expect((await get(`${V1}/${reply.body.id}`)).body.status).toBe('pending');
    expect((await get(V1)).body.value).toHaveLength(7);
  });

  test('POST may carry its device identities (deep insert); the devices get server ids', async () => {
    const reply = await call(graph.url, 'POST', `/beta${UPLOADS_PATH}`, {
      token: alex,
      body: { status: 'pending', deviceIdentities: [{ serialNumber: 'NEW-0001', groupTag: 'Contoso-Lab' }] },
    });
    expect(reply.status).toBe(201);
    const stored = graph.upload(reply.body.id);
    expect(stored?.deviceIdentities).toEqual([
      expect.objectContaining({ serialNumber: 'NEW-0001', groupTag: 'Contoso-Lab', id: expect.stringMatching(GUID) }),
    ]);
    const badDevice = await call(graph.url, 'POST', V1, { token: alex, body: { deviceIdentities: [{ serial: 'x' }] } });
    expect(badDevice.status).toBe(400);
    expect(badDevice.body.error.message).toContain("The property 'serial' does not exist on type 'microsoft.management.services.api.importedWindowsAutopilotDeviceIdentity'.");
  });

  test('PATCH answers 204 No Content with an empty body, as Intune does (fixtures/real-cloud/intune-patch-204.txt)', async () => {
    const reply = await call(graph.url, 'PATCH', `${V1}/${SEED.pending}`, { token: alex, body: { '@odata.type': UPLOAD_TYPE, status: 'complete' } });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect(reply.headers.get('request-id')).toMatch(GUID);
    expect(reply.headers.get('client-request-id')).toMatch(GUID);
    expect(graph.upload(SEED.pending)?.status).toBe('complete');
    expect(graph.patchCount(SEED.pending)).toBe(1);
  });

  test('PATCH answers 200 with the whole updated upload when the API page’s behaviour is selected, and changes only status', async () => {
    graph.mode.patchResponse = 'entity';
    const reply = await patch(SEED.pending, { '@odata.type': UPLOAD_TYPE, status: 'complete' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(ODATA_CONTENT_TYPE);
    expect(reply.body).toEqual({
      '@odata.context': `${graph.url}/v1.0/$metadata#deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/$entity`,
      '@odata.type': UPLOAD_TYPE,
      id: SEED.pending,
      createdDateTimeUtc: '2024-05-20T14:02:11.9034501Z',
      status: 'complete',
    });
    expect(graph.upload(SEED.pending)?.status).toBe('complete');
    expect(graph.upload(SEED.pending)?.deviceIdentities).toHaveLength(3);
    expect(graph.patchCount(SEED.pending)).toBe(1);
    expect(graph.requests().at(-1)).toMatchObject({
      method: 'PATCH',
      path: `${V1}/${SEED.pending}`,
      status: 200,
      oid: USERS.alex.oid,
      body: { '@odata.type': UPLOAD_TYPE, status: 'complete' },
    });
  });

  test('the API page’s PATCH request gets the response the page shows (API-page mode)', async () => {
    graph.mode.patchResponse = 'entity';
    // Request and response verbatim from the "Update importedWindowsAutopilotDeviceIdentityUpload" page.
    const requestBody =
      '{\n  "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload",\n' +
      '  "createdDateTimeUtc": "2016-12-31T23:59:45.8788427-08:00",\n  "status": "pending"\n}';
    const reply = await call(graph.url, 'PATCH', `${V1}/${SEED.docExample}`, {
      token: alex,
      body: requestBody,
      headers: { 'Content-type': 'application/json' },
    });
    expect(reply.status).toBe(200);
    const { '@odata.context': context, ...entity } = reply.body;
    expect(context).toBe(`${graph.url}/v1.0/$metadata#deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/$entity`);
    expect(entity).toEqual({
      '@odata.type': '#microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload',
      id: '8d639524-9524-8d63-2495-638d2495638d',
      createdDateTimeUtc: '2016-12-31T23:59:45.8788427-08:00',
      status: 'pending',
    });
  });

  test('read-only id and createdDateTimeUtc in a PATCH body are accepted and ignored', async () => {
    const reply = await patch(SEED.noUpload, {
      id: '11111111-2222-3333-4444-555555555555',
      createdDateTimeUtc: '2001-01-01T00:00:00Z',
      status: 'pending',
    });
    expect(reply.status).toBe(204);
    expect((await get(`${V1}/${SEED.noUpload}`)).body).toMatchObject({ id: SEED.noUpload, createdDateTimeUtc: '2024-07-01T16:30:00.0000000Z', status: 'pending' });
  });

  test.each([
    ['an invalid status', { status: 'completed' }, "Requested value 'completed' was not found."],
    ['a status of the wrong case', { status: 'Complete' }, "Requested value 'Complete' was not found."],
    [
      'a number for status',
      { status: 5 },
      "Cannot convert the literal '5' to the expected type 'microsoft.management.services.api.importedWindowsAutopilotDeviceIdentityUploadStatus'.",
    ],
    [
      'a null status',
      { status: null },
      "A null value was found for the property named 'status', which has the expected type " +
        "'microsoft.management.services.api.importedWindowsAutopilotDeviceIdentityUploadStatus[Nullable=False]'. The expected type " +
        "'microsoft.management.services.api.importedWindowsAutopilotDeviceIdentityUploadStatus[Nullable=False]' does not allow null values.",
    ],
    [
      'an unknown property',
      { status: 'complete', comment: 'done' },
      "The property 'comment' does not exist on type 'microsoft.management.services.api.importedWindowsAutopilotDeviceIdentityUpload'. " +
        'Make sure to only use property names that are defined by the type.',
    ],
    [
      'the wrong @odata.type',
      { '@odata.type': '#microsoft.graph.importedWindowsAutopilotDeviceIdentity', status: 'complete' },
      "An entry with type 'microsoft.management.services.api.importedWindowsAutopilotDeviceIdentity' was found, but it is not assignable " +
        "to the expected type 'microsoft.management.services.api.importedWindowsAutopilotDeviceIdentityUpload'. The type specified in the " +
        'entry must be equal to either the expected type or a derived type.',
    ],
    [
      'an @odata.type the model does not know',
      { '@odata.type': '#microsoft.graph.autopilotUpload', status: 'complete' },
      "A type named 'microsoft.graph.autopilotUpload' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.",
    ],
    [
      'a number for createdDateTimeUtc',
      { createdDateTimeUtc: 20161231 },
      "Cannot convert the literal '20161231' to the expected type 'Edm.DateTimeOffset'.",
    ],
    [
      'a navigation property',
      { deviceIdentities: [] },
      "Cannot apply PATCH to navigation property 'deviceIdentities' on entity type 'microsoft.management.services.api.importedWindowsAutopilotDeviceIdentityUpload'.",
    ],
    ['an array body', [{ status: 'complete' }], "An unexpected 'StartArray' node was found when reading from the JSON reader. A 'StartObject' node was expected."],
  ])('PATCH with %s is ModelValidationFailure', async (_name, body, message) => {
    const reply = await patch(SEED.pending, body);
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('ModelValidationFailure');
    expect(reply.body.error.message).toBe(message);
    expect(reply.body.error.innerError.message).toBe(message);
    expect(graph.upload(SEED.pending)?.status).toBe('pending');
    expect(graph.patchCount(SEED.pending)).toBe(0);
  });

  test('PATCH with malformed JSON, or without a JSON Content-Type, is the gateway’s 400', async () => {
    const message = 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.';
    const malformed = await patch(SEED.pending, '{"status": "complete",', alex, { 'Content-Type': 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: 'BadRequest', message });
    const untyped = await patch(SEED.pending, '{"status":"complete"}', alex, { 'Content-Type': 'text/plain' });
    expect(untyped.status).toBe(400);
    expect(untyped.body.error.message).toBe(message);
    const empty = await patch(SEED.pending, '', alex, { 'Content-Type': 'application/json' });
    expect(empty.body.error.message).toBe('Empty Payload. JSON content expected.');
    expect(graph.upload(SEED.pending)?.status).toBe('pending');
  });

  test('PATCH of an unknown id is 404 after a valid body', async () => {
    const reply = await patch('9d639524-9524-8d63-2495-638d2495638d', { status: 'complete' });
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('ResourceNotFound');
  });

  test('DELETE answers 204 with no body, then the upload is gone', async () => {
    const reply = await call(graph.url, 'DELETE', `${V1}/${SEED.noUpload}`, { token: alex });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect((await get(`${V1}/${SEED.noUpload}`)).status).toBe(404);
    expect((await call(graph.url, 'DELETE', `${V1}/${SEED.noUpload}`, { token: alex })).status).toBe(404);
    expect(graph.upload(SEED.noUpload)).toBeUndefined();
  });
});

describe('deviceIdentities', () => {
  test('lists, gets and creates device identities in the documented shape', async () => {
    const list = await get(`${V1}/${SEED.complete}/deviceIdentities`);
    expect(list.status).toBe(200);
    expect(list.body['@odata.context']).toBe(
      `${graph.url}/v1.0/$metadata#deviceManagement/importedWindowsAutopilotDeviceIdentityUploads('${SEED.complete}')/deviceIdentities`,
    );
    expect(list.body.value).toHaveLength(2);

    const one = await get(`${V1}/${SEED.complete}/deviceIdentities/${SEED.devices.completeFirst}`);
    expect(one.status).toBe(200);
    expect(Object.keys(one.body).sort()).toEqual(
      ['@odata.context', '@odata.type', 'id', 'groupTag', 'serialNumber', 'productKey', 'importId', 'hardwareIdentifier', 'state', 'assignedUserPrincipalName'].sort(),
    );
    expect(one.body).toMatchObject({
      '@odata.type': '#microsoft.graph.importedWindowsAutopilotDeviceIdentity',
      serialNumber: 'CZC1234ABC',
      assignedUserPrincipalName: 'AlexW@contoso.onmicrosoft.com',
      state: { deviceImportStatus: 'complete', deviceErrorCode: 0, deviceErrorName: null },
    });

    const failed = await get(`${V1}/${SEED.error}/deviceIdentities/${SEED.devices.errorRejected}`);
    expect(failed.body.state).toMatchObject({ deviceImportStatus: 'error', deviceErrorCode: 806, deviceErrorName: 'ZtdDeviceAlreadyAssigned' });

    const created = await call(graph.url, 'POST', `${V1}/${SEED.noUpload}/deviceIdentities`, {
      token: alex,
      body: {
        '@odata.type': '#microsoft.graph.importedWindowsAutopilotDeviceIdentity',
        groupTag: 'Group Tag value',
        serialNumber: 'Serial Number value',
        productKey: 'Product Key value',
        importId: 'Import Id value',
        hardwareIdentifier: 'aGFyZHdhcmVJZGVudGlmaWVy',
        assignedUserPrincipalName: 'Assigned User Principal Name value',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(GUID);
    expect(created.body.state).toEqual({
      '@odata.type': 'microsoft.graph.importedWindowsAutopilotDeviceIdentityState',
      deviceImportStatus: 'unknown',
      deviceRegistrationId: null,
      deviceErrorCode: 0,
      deviceErrorName: null,
    });
    expect(graph.upload(SEED.noUpload)?.deviceIdentities.map((d) => d.serialNumber)).toEqual(['Serial Number value']);
  });

  test('bad device bodies and unknown devices', async () => {
    const badBinary = await call(graph.url, 'POST', `${V1}/${SEED.noUpload}/deviceIdentities`, {
      token: alex,
      body: { hardwareIdentifier: 'not base64!' },
    });
    expect(badBinary.status).toBe(400);
    expect(badBinary.body.error.message).toBe("Cannot convert the literal 'not base64!' to the expected type 'Edm.Binary'.");
    const badState = await call(graph.url, 'POST', `${V1}/${SEED.noUpload}/deviceIdentities`, {
      token: alex,
      body: { state: { deviceImportStatus: 'imported' } },
    });
    expect(badState.body.error.message).toBe("Requested value 'imported' was not found.");
    const missing = await get(`${V1}/${SEED.complete}/deviceIdentities/00000000-0000-0000-0000-000000000000`);
    expect(missing.status).toBe(404);
    expect(intuneMessage(missing).Message).toContain('/deviceIdentities%28%2700000000-0000-0000-0000-000000000000%27%29');
  });
});

describe('authentication and permissions', () => {
  test('no token: 401 "Access token is empty." with Graph’s challenge', async () => {
    const reply = await call(graph.url, 'GET', V1);
    expect(reply.status).toBe(401);
    expect(reply.body.error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Access token is empty.' });
    expect(reply.headers.get('www-authenticate')).toContain('client_id="00000003-0000-0000-c000-000000000000"');
    expect(reply.headers.get('request-id')).toMatch(GUID);
  });

  test('an expired token', async () => {
    const expired = await entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite], { expiresInSeconds: -60 });
    const reply = await get(V1, expired);
    expect(reply.status).toBe(401);
    expect(reply.body.error.message).toBe('Lifetime validation failed, the token is expired.');
  });

  test('a token signed with a key Entra does not publish', async () => {
    const forged = await entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite], { signWithUnknownKey: true });
    const reply = await get(V1, forged);
    expect(reply.status).toBe(401);
    expect(reply.body.error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Signature is invalid.' });
  });

  test('a token for another audience; the Graph app id is accepted as audience', async () => {
    const other = await entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite], { audience: 'api://localhost/someone-else' });
    const reply = await get(V1, other);
    expect(reply.status).toBe(401);
    expect(reply.body.error.message).toBe('Access token validation failure. Invalid audience.');
    const byAppId = await entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite], { audience: GRAPH_APP_ID });
    expect((await get(V1, byAppId)).status).toBe(200);
  });

  test('a token that is not a JWT', async () => {
    const reply = await get(V1, 'EwBwA8l6BAAUkj1oO3ZDbV');
    expect(reply.status).toBe(401);
    expect(reply.body.error.message).toMatch(/^IDX14100: JWT is not well formed, there are no dots/);
  });

  test('Read.All reads but cannot PATCH (Intune’s 403)', async () => {
    expect((await get(`${V1}/${SEED.pending}`, diego)).status).toBe(200);
    const reply = await patch(SEED.pending, { status: 'complete' }, diego);
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('Forbidden');
    expect(intuneMessage(reply).Message).toMatch(
      /^Application is not authorized to perform this operation\. Application must have one of the following scopes: DeviceManagementServiceConfig\.ReadWrite\.All - Operation ID/,
    );
    expect(graph.upload(SEED.pending)?.status).toBe('pending');
  });

  test('personal Microsoft accounts are not supported', async () => {
    const sam = await entra.mintGraphToken('sam', [GRAPH_SCOPES.readWrite]);
    const reply = await get(V1, sam);
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('Forbidden');
  });

  test('app-only tokens are not supported, even with the role', async () => {
    const appOnly = await entra.mintGraphToken('alex', [GRAPH_SCOPES.readWrite], { appOnly: true });
    const reply = await get(V1, appOnly);
    expect(reply.status).toBe(403);
    expect(intuneMessage(reply).Message).toContain(
      'Application must have one of the following scopes: DeviceManagementServiceConfig.Read.All, DeviceManagementServiceConfig.ReadWrite.All',
    );
  });
});

describe('faults and throttling', () => {
  test('an injected 429 is Intune’s (its JSON document inside message), with Retry-After when asked, then service resumes', async () => {
    graph.faults.next(1, { status: 429, retryAfterSeconds: 7 });
    const throttled = await get(`${V1}/${SEED.complete}`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body.error).toMatchObject({ code: 'TooManyRequests', innerError: { 'request-id': throttled.headers.get('request-id') } });
    expect(intuneMessage(throttled)).toMatchObject({ _version: 3, RetryAfter: null, HttpHeaders: '{}' });
    expect(intuneMessage(throttled).Message).toMatch(/^An error has occurred - Operation ID \(for customer support\): /);
    expect((await get(`${V1}/${SEED.complete}`)).status).toBe(200);
  });

  test('an injected 429 without Retry-After has the shape of the recorded Intune answer', async () => {
    const recorded = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/real-cloud/intune-429-no-retry-after.json'), 'utf8'));
    graph.faults.next(1, { status: 429, retryAfterSeconds: null });
    const throttled = await get(`${V1}/${SEED.complete}`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBeNull();
    expect(throttled.headers.get('content-type')).toBe(recorded.headers['content-type']);
    expect(Object.keys(throttled.body.error).sort()).toEqual(Object.keys(recorded.body.error).sort());
    expect(throttled.body.error.code).toBe(recorded.body.error.code);
    expect(Object.keys(intuneMessage(throttled)).sort()).toEqual(Object.keys(JSON.parse(recorded.body.error.message)).sort());
  });

  test('injected 500 and 504 use Intune’s and the gateway’s error shapes', async () => {
    graph.faults.next(1, { status: 500 });
    graph.faults.next(1, { status: 504 });
    const internal = await get(`${V1}/${SEED.complete}`);
    expect(internal.status).toBe(500);
    expect(intuneMessage(internal).Message).toMatch(/^An internal server error has occurred - Operation ID/);
    const timeout = await get(`${V1}/${SEED.complete}`);
    expect(timeout.status).toBe(504);
    expect(timeout.body.error.innerError['request-id']).toBe(timeout.headers.get('request-id'));
  });

  test('injected 503s hit exactly the next N requests', async () => {
    graph.faults.next(2, { status: 503 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(`${V1}/${SEED.complete}`)).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(graph.requests().map((r) => r.status)).toEqual([503, 503, 200]);
  });

  test('an injected delay holds that request while later ones are served', async () => {
    graph.faults.next(1, { delayMs: 400 });
    let slowDone = false;
    const slow = get(`${V1}/${SEED.complete}`).then((reply) => {
      slowDone = true;
      return reply;
    });
    while (graph.faults.pending() > 0) await new Promise((r) => setTimeout(r, 5));
    const fast = await get(`${V1}/${SEED.pending}`);
    expect(fast.status).toBe(200);
    expect(slowDone).toBe(false);
    expect((await slow).status).toBe(200);
    expect(graph.requests().map((r) => r.path)).toEqual([`${V1}/${SEED.pending}`, `${V1}/${SEED.complete}`]);
  });

  test('Intune’s write limit: 100 writes per 20 s per app per tenant, then 429 with Retry-After; reads still pass', async () => {
    for (let batch = 0; batch < 5; batch++) {
      const requests = Array.from({ length: 20 }, (_, i) => ({
        id: String(i + 1),
        method: 'PATCH',
        url: `${UPLOADS_PATH}/${SEED.pending}`,
        headers: { 'Content-Type': 'application/json' },
        body: { status: i % 2 ? 'pending' : 'complete' },
      }));
      const reply = await call(graph.url, 'POST', '/v1.0/$batch', { token: alex, body: { requests } });
      expect(reply.body.responses.map((r: { status: number }) => r.status)).toEqual(Array(20).fill(204));
    }
    const refused = await patch(SEED.pending, { status: 'error' });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(graph.upload(SEED.pending)?.status).not.toBe('error');
    expect((await get(`${V1}/${SEED.pending}`)).status).toBe(200);
  });

  test('the throttle’s sliding window (fake clock)', () => {
    const throttle = new Throttle({ writes: 2, any: 3, windowMs: 20_000 });
    expect(throttle.admit('t|a', true, 0)).toEqual({ allowed: true });
    expect(throttle.admit('t|a', true, 5_000)).toEqual({ allowed: true });
    expect(throttle.admit('t|a', true, 6_000)).toEqual({ allowed: false, retryAfterSeconds: 14 });
    expect(throttle.admit('t|b', true, 6_000)).toEqual({ allowed: true });
    expect(throttle.admit('t|a', false, 6_000)).toEqual({ allowed: true });
    expect(throttle.admit('t|a', false, 7_000)).toEqual({ allowed: false, retryAfterSeconds: 13 });
    expect(throttle.admit('t|a', true, 20_001)).toEqual({ allowed: true });
  });
});

describe('$batch', () => {
  test('runs entries with the outer token, honours dependsOn, answers per entry', async () => {
    const reply = await call(graph.url, 'POST', '/v1.0/$batch', {
      token: alex,
      headers: { 'client-request-id': 'batch-1' },
      body: {
        requests: [
          { id: '1', method: 'GET', url: `${UPLOADS_PATH}/${SEED.pending}` },
          {
            id: '2',
            dependsOn: ['1'],
            method: 'PATCH',
            url: `${UPLOADS_PATH}/${SEED.pending}`,
            headers: { 'Content-Type': 'application/json' },
            body: { '@odata.type': UPLOAD_TYPE, status: 'complete' },
          },
          { id: '3', dependsOn: ['2'], method: 'GET', url: `deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/${SEED.pending}` },
          { id: '4', dependsOn: ['3'], method: 'GET', url: `${UPLOADS_PATH}/00000000-0000-0000-0000-000000000000` },
        ],
      },
    });
    expect(reply.status).toBe(200);
    const byId = Object.fromEntries(reply.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId['1']).toMatchObject({ status: 200, body: { status: 'pending' } });
    expect(byId['2']).toMatchObject({ status: 204 });
    expect(byId['2'].body).toBeUndefined();
    expect(byId['3']).toMatchObject({ status: 200, body: { status: 'complete' } });
    expect(byId['4'].status).toBe(404);
    expect(byId['4'].body.error.innerError['client-request-id']).toBe('batch-1');
    expect(graph.patchCount(SEED.pending)).toBe(1);
    const log = graph.requests();
    expect(log.filter((r) => r.inBatch).map((r) => [r.inBatch, r.method, r.status])).toEqual([
      ['1', 'GET', 200],
      ['2', 'PATCH', 204],
      ['3', 'GET', 200],
      ['4', 'GET', 404],
    ]);
    expect(log.at(-1)).toMatchObject({ method: 'POST', path: '/v1.0/$batch', status: 200, oid: USERS.alex.oid });
  });

  test('each entry is authorised: Read.All gets its GET, not its PATCH', async () => {
    const reply = await call(graph.url, 'POST', '/beta/$batch', {
      token: diego,
      body: {
        requests: [
          { id: 'read', method: 'GET', url: `${UPLOADS_PATH}/${SEED.error}` },
          { id: 'write', method: 'PATCH', url: `${UPLOADS_PATH}/${SEED.error}`, headers: { 'content-type': 'application/json' }, body: { status: 'complete' } },
        ],
      },
    });
    const byId = Object.fromEntries(reply.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.read.status).toBe(200);
    expect(byId.read.body['@odata.context']).toContain('/beta/$metadata#');
    expect(byId.write.status).toBe(403);
    expect(graph.upload(SEED.error)?.status).toBe('error');
  });

  test('a failed dependency turns its dependants into 424', async () => {
    const reply = await call(graph.url, 'POST', '/v1.0/$batch', {
      token: alex,
      body: {
        requests: [
          { id: 'a', method: 'PATCH', url: `${UPLOADS_PATH}/${SEED.pending}`, headers: { 'Content-Type': 'application/json' }, body: { status: 'done' } },
          { id: 'b', dependsOn: ['a'], method: 'DELETE', url: `${UPLOADS_PATH}/${SEED.pending}` },
        ],
      },
    });
    const byId = Object.fromEntries(reply.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.a.status).toBe(400);
    expect(byId.b.status).toBe(424);
    expect(graph.upload(SEED.pending)).toBeDefined();
  });

  test('more than 20 requests, a write without Content-Type, mixed ordering: the whole batch is 400', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: `${UPLOADS_PATH}/${SEED.complete}` }));
    const tooMany = await call(graph.url, 'POST', '/v1.0/$batch', { token: alex, body: { requests: many } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('BadRequest');
    expect(tooMany.body.error.message).toContain('20');

    const untyped = await call(graph.url, 'POST', '/v1.0/$batch', {
      token: alex,
      body: { requests: [{ id: '7', method: 'PATCH', url: `${UPLOADS_PATH}/${SEED.pending}`, body: { status: 'complete' } }] },
    });
    expect(untyped.status).toBe(400);
    expect(untyped.body.error.message).toBe('Write request id : 7 does not contain Content-Type header or body.');

    const mixed = await call(graph.url, 'POST', '/v1.0/$batch', {
      token: alex,
      body: {
        requests: [
          { id: '1', method: 'GET', url: `${UPLOADS_PATH}/${SEED.complete}` },
          { id: '2', method: 'GET', url: `${UPLOADS_PATH}/${SEED.complete}` },
          { id: '3', dependsOn: ['1'], method: 'GET', url: `${UPLOADS_PATH}/${SEED.complete}` },
        ],
      },
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.message).toBe('Batch should be either fully sequential or fully parallel');
    expect(graph.requests().filter((r) => r.inBatch)).toEqual([]);
    expect(graph.upload(SEED.pending)?.status).toBe('pending');
  });

  test('a batch without a valid token is refused as a whole', async () => {
    const reply = await call(graph.url, 'POST', '/v1.0/$batch', {
      body: { requests: [{ id: '1', method: 'GET', url: `${UPLOADS_PATH}/${SEED.complete}` }] },
    });
    expect(reply.status).toBe(401);
    expect(graph.requests()).toHaveLength(1);
  });
});

describe('@microsoft/microsoft-graph-client against the stand-in', () => {
  const clientFor = (token: string) =>
    Client.initWithMiddleware({
      authProvider: { getAccessToken: async () => token },
      baseUrl: `${graph.url}/`,
      customHosts: new Set(['127.0.0.1']),
      defaultVersion: 'v1.0',
    });

  test('reaches the stand-in with the bearer token attached, reads and PATCHes', async () => {
    const client = clientFor(alex);
    const upload = await client.api(`${UPLOADS_PATH}/${SEED.docExample}`).get();
    expect(upload).toMatchObject({ id: SEED.docExample, status: 'pending' });
    expect(graph.requests().at(-1)).toMatchObject({ method: 'GET', status: 200, oid: USERS.alex.oid });

    // Intune's 204: the client returns undefined, so a caller that needs the entity must GET it.
    const updated = await client
      .api(`${UPLOADS_PATH}/${SEED.docExample}`)
      .patch({ '@odata.type': UPLOAD_TYPE, status: 'complete' });
    expect(updated).toBeUndefined();
    expect(await client.api(`${UPLOADS_PATH}/${SEED.docExample}`).get()).toMatchObject({ id: SEED.docExample, status: 'complete' });
    expect(graph.patchCount(SEED.docExample)).toBe(1);
  });

  test('surfaces Graph errors as GraphError with code and request id', async () => {
    const client = clientFor(diego);
    const error: unknown = await client
      .api(`${UPLOADS_PATH}/${SEED.docExample}`)
      .patch({ status: 'complete' })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    const graphError = error as GraphError;
    expect(graphError.statusCode).toBe(403);
    expect(graphError.code).toBe('Forbidden');
    expect(graphError.requestId).toMatch(GUID);
    expect(graph.requests().at(-1)).toMatchObject({ method: 'PATCH', status: 403, oid: USERS.diego.oid });
  });

  test('its RetryHandler honours the stand-in’s 429 Retry-After and then succeeds', async () => {
    graph.faults.next(1, { status: 429, retryAfterSeconds: 1 });
    const upload = await clientFor(alex).api(`${UPLOADS_PATH}/${SEED.complete}`).get();
    expect(upload.id).toBe(SEED.complete);
    expect(graph.requests().map((r) => r.status)).toEqual([429, 200]);
  });
});

describe('routing (no network)', () => {
  test('key segment and key syntax resolve to the same resource', () => {
    const routed = deviceManagementSegments('documented', 'v1.0');
    const a = resolveRoute(`/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/${SEED.pending}/deviceIdentities/x`, routed);
    const b = resolveRoute(`/DEVICEMANAGEMENT/importedWindowsAutopilotDeviceIdentityUploads('${SEED.pending}')/deviceIdentities('x')`, routed);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ ok: true, route: { resource: { kind: 'device', uploadId: SEED.pending, deviceId: 'x' } } });
    expect(resolveRoute('/users', routed)).toEqual({ ok: false, reason: 'segment', segment: 'users' });
  });
});

describe('the published schema (what Microsoft’s metadata routes)', () => {
  const IDENTITIES = '/deviceManagement/importedWindowsAutopilotDeviceIdentities';
  const recorded = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/real-cloud/graph-400-segment-not-found.json'), 'utf8'));

  test.each(['v1.0', 'beta'])('%s: every uploads path answers exactly the recorded 400, with request-id headers', async (version) => {
    graph.mode.schema = 'published';
    for (const [method, suffix] of [['GET', ''], ['GET', `/${SEED.pending}`], ['PATCH', `/${SEED.pending}`], ['GET', `/${SEED.pending}/deviceIdentities`]] as const) {
      const reply = await call(graph.url, method, `/${version}${UPLOADS_PATH}${suffix}`, {
        token: alex,
        ...(method === 'PATCH' ? { body: { '@odata.type': UPLOAD_TYPE, status: 'complete' } } : {}),
      });
      expect(reply.status).toBe(recorded.status);
      expect(reply.headers.get('content-type')).toBe(recorded.headers['content-type']);
      expect(reply.headers.get('request-id')).toMatch(GUID);
      expect(reply.headers.get('client-request-id')).toMatch(GUID);
      expect(reply.body.error.code).toBe(recorded.body.error.code);
      expect(reply.body.error.message).toBe("Resource not found for the segment 'importedWindowsAutopilotDeviceIdentityUploads'.");
      expect(Object.keys(reply.body.error.innerError)).toEqual(expect.arrayContaining(Object.keys(recorded.body.error.innerError)));
      expect(reply.body.error.innerError['request-id']).toBe(reply.headers.get('request-id'));
    }
    expect(graph.patchCount(SEED.pending)).toBe(0);
    expect(graph.upload(SEED.pending)?.status).toBe('pending');
  });

  test('the device-identities collection is routed in both schemas and versions', async () => {
    for (const schema of ['documented', 'published'] as const) {
      graph.mode.schema = schema;
      for (const version of ['v1.0', 'beta']) {
        const reply = await get(`/${version}${IDENTITIES}?$top=1`);
        expect(reply.status).toBe(200);
        expect(reply.body['@odata.context']).toBe(`${graph.url}/${version}/$metadata#deviceManagement/importedWindowsAutopilotDeviceIdentities`);
        expect(reply.body.value).toHaveLength(1);
      }
    }
  });

  test('a navigation property the schema has but the stand-in does not serve is an honest 501, an unknown one the 400', async () => {
    graph.mode.schema = 'published';
    expect((await get('/v1.0/deviceManagement/windowsAutopilotDeviceIdentities')).status).toBe(501);
    const unknown = await get('/v1.0/deviceManagement/autopilotUploads');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe("Resource not found for the segment 'autopilotUploads'.");
  });
});

describe('imported device identities', () => {
  const IDENTITIES = '/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities';
  type Identity = { id: string; importId: string; state: { deviceImportStatus: string; deviceErrorCode: number; deviceErrorName: string | null } };

  test('lists the tenant’s identities with paging; every page link keeps the filter', async () => {
    const seen: Identity[] = [];
    let next: string | undefined = `${IDENTITIES}?$top=10&$filter=${encodeURIComponent(`importId eq '${SEED.large}'`)}`;
    while (next) {
      const reply = await get(next);
      expect(reply.status).toBe(200);
      expect(reply.body.value.length).toBeLessThanOrEqual(10);
      seen.push(...reply.body.value);
      next = reply.body['@odata.nextLink'];
    }
    expect(seen).toHaveLength(40);
    expect(new Set(seen.map((d) => d.id)).size).toBe(40);
    expect(seen.every((d) => d.importId === SEED.large)).toBe(true);
    const all = (await get(IDENTITIES)).body.value as Identity[];
    expect(all.length).toBeGreaterThan(40);
    expect(all.map((d) => d.id)).not.toContain(SEED.fabrikam);
  });

  test('filters on state/deviceImportStatus as Intune accepts, and refuses other filters', async () => {
    const errors = (await get(`${IDENTITIES}?$filter=${encodeURIComponent("state/deviceImportStatus eq 'error'")}`)).body.value as Identity[];
    expect(errors.length).toBeGreaterThan(5);
    expect(errors.every((d) => d.state.deviceImportStatus === 'error' && d.state.deviceErrorCode > 0 && d.state.deviceErrorName)).toBe(true);
    expect(new Set(errors.map((d) => `${d.state.deviceErrorCode} ${d.state.deviceErrorName}`))).toEqual(
      new Set(['806 ZtdDeviceAlreadyAssigned', '808 ZtdDeviceAssignedToOtherTenant', '802 InvalidZtdHardwareHash']),
    );
    const both = await get(`${IDENTITIES}?$filter=${encodeURIComponent(`importId eq '${SEED.large}' and state/deviceImportStatus eq 'pending'`)}`);
    expect(both.body.value).toHaveLength(3);
    const refused = await get(`${IDENTITIES}?$filter=${encodeURIComponent("serialNumber eq 'x'")}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('Invalid filter clause');
  });

  test('gets one identity by id; unknown ids are Intune’s 404', async () => {
    const one = await get(`${IDENTITIES}/${SEED.devices.errorRejected}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: SEED.devices.errorRejected, importId: SEED.error, state: { deviceErrorCode: 806 } });
    expect((await get(`${IDENTITIES}/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
  });
});

describe('compression', () => {
  const raw = (acceptEncoding?: string) =>
    new Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }>((resolve, reject) => {
      const url = new URL(`${graph.url}${V1}/${SEED.pending}`);
      const req = https.request(url, { headers: { Authorization: `Bearer ${alex}`, ...(acceptEncoding ? { 'Accept-Encoding': acceptEncoding } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });

  test('JSON is gzip-compressed for a client that accepts it, plain otherwise', async () => {
    const zipped = await raw('gzip, deflate');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(zlib.gunzipSync(zipped.bytes).toString('utf8'))).toMatchObject({ id: SEED.pending });
    const plain = await raw();
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.bytes.toString('utf8'))).toMatchObject({ id: SEED.pending });
    expect((await raw('gzip;q=0')).headers['content-encoding']).toBeUndefined();
  });
});
