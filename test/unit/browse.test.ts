/**
 * The pure parts of browsing: sealed page tokens (with an injected clock), the errors-first device report, grouping
 * by import, the typeahead matcher, and the new commands' grammar.
 */
import { PageTokens } from '../../bot/browse/pageToken';
import { groupByImport, summarise } from '../../bot/browse/report';
import { parseCommand } from '../../bot/commands/parse';
import { matchUploads } from '../../bot/handlers/browse';
import { plainText } from '../../cards/text';
import type { DeviceIdentity } from '../../bot/model';

const GRAPH = 'https://graph.example.test';
const ALEX = { oid: 'c0a8e1f2-3b4d-4e5f-8a6b-7c8d9e0f1a2b', tid: '11111111-2222-3333-4444-555555555555' };
const ADELE = { oid: 'd1b9f2a3-4c5e-4f60-9b7c-8d9e0f1a2b3c', tid: ALEX.tid };
const NEXT = `${GRAPH}/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads?$top=10&$skiptoken=b2Zmc2V0PTEw`;
const ID = 'b2d4f6a8-1c3e-4a5b-9d7f-0e2c4a6b8d0f';

function tokens(now: { t: number }, secret = 'client-secret') {
  return new PageTokens({ secret, graphBaseUrl: GRAPH, apiVersion: 'v1.0', lifetimeMs: 60_000, now: () => now.t });
}

describe('page tokens', () => {
  it('round-trips the position for the same user and view', () => {
    const now = { t: 1_000_000 };
    const t = tokens(now);
    const token = t.seal({ kind: 'uploads', subject: 'error', nextLink: NEXT, offset: 10 }, ALEX);
    expect(t.open(token, ALEX, 'uploads')).toEqual({ ok: true, position: { kind: 'uploads', subject: 'error', nextLink: NEXT, offset: 10 } });
  });

  it('refuses expired, other users\', other views\', altered and foreign tokens', () => {
    const now = { t: 1_000_000 };
    const t = tokens(now);
    const token = t.seal({ kind: 'uploads', nextLink: NEXT }, ALEX);
    expect(t.open(token, ADELE, 'uploads')).toEqual({ ok: false, reason: 'wrong_user' });
    expect(t.open(token, { ...ALEX, tid: 'other' }, 'uploads')).toEqual({ ok: false, reason: 'wrong_user' });
    expect(t.open(token, ALEX, 'imports')).toEqual({ ok: false, reason: 'wrong_view' });
    const [body, mac] = token.split('.');
    const altered = Buffer.from(Buffer.from(body!, 'base64url').toString().replace('"oid":"c0', '"oid":"d1')).toString('base64url');
    expect(t.open(`${altered}.${mac}`, ADELE, 'uploads')).toEqual({ ok: false, reason: 'signature' });
    // Sealed with another secret: not ours.
    expect(tokens(now, 'another-secret').open(token, ALEX, 'uploads')).toEqual({ ok: false, reason: 'signature' });
    for (const junk of ['', 'a.b.c', 'nodot', 42, null, 'x'.repeat(5000)]) expect(t.open(junk, ALEX, 'uploads').ok).toBe(false);
    now.t += 60_000;
    expect(t.open(token, ALEX, 'uploads')).toEqual({ ok: false, reason: 'expired' });
  });

  it('only seals and accepts nextLinks on GRAPH_BASE_URL, under the view\'s collection', () => {
    const t = tokens({ t: 0 });
    expect(t.linkAllowed('uploads', NEXT)).toBe(true);
    expect(t.linkAllowed('uploads', NEXT.replace(GRAPH, 'https://evil.example'))).toBe(false);
    expect(t.linkAllowed('uploads', NEXT.replace('https:', 'http:'))).toBe(false);
    expect(t.linkAllowed('uploads', NEXT.replace('https://', 'https://user:pw@'))).toBe(false);
    expect(t.linkAllowed('uploads', NEXT.replace('/v1.0/', '/beta/'))).toBe(false);
    expect(t.linkAllowed('uploads', `${GRAPH}/v1.0/me/messages`)).toBe(false);
    expect(t.linkAllowed('uploads', `${GRAPH}/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/../../me`)).toBe(false);
    expect(t.linkAllowed('imports', `${GRAPH}/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities?$skiptoken=x`)).toBe(true);
    expect(t.linkAllowed('devices', `${GRAPH}/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/${ID}/deviceIdentities?$skiptoken=x`)).toBe(true);
    expect(t.linkAllowed('uploads', 'not a url')).toBe(false);
    expect(() => t.seal({ kind: 'uploads', nextLink: 'https://evil.example/v1.0/x' }, ALEX)).toThrow();
  });
});

const device = (serial: string, status: string, code = 0, name: string | null = null, importId = ID): DeviceIdentity => ({
  id: serial,
  serialNumber: serial,
  importId,
  state: { deviceImportStatus: status as 'complete', deviceErrorCode: code, deviceErrorName: name },
});

describe('device report', () => {
  it('errors first, grouped by name (most frequent first), counts by status, the rest in Graph order', () => {
    const s = summarise([
      device('A', 'complete'),
      device('B', 'error', 808, 'ZtdDeviceAssignedToOtherTenant'),
      device('C', 'error', 806, 'ZtdDeviceAlreadyAssigned'),
      device('D', 'pending'),
      device('E', 'error', 806, 'ZtdDeviceAlreadyAssigned'),
      device('F', 'error', 0, null),
    ]);
    expect(s.total).toBe(6);
    expect(s.statusCounts).toEqual({ complete: 1, error: 4, pending: 1 });
    expect(s.errorGroups).toEqual([
      { name: 'ZtdDeviceAlreadyAssigned', codes: [806], count: 2 },
      { name: 'Unnamed error', codes: [], count: 1 },
      { name: 'ZtdDeviceAssignedToOtherTenant', codes: [808], count: 1 },
    ]);
    expect(s.ordered.map((d) => d.serialNumber)).toEqual(['C', 'E', 'F', 'B', 'A', 'D']);
  });

  it('groups by import: imports with errors first, otherwise in the order Graph listed them', () => {
    const other = '3f2a9c4e-7b1d-4e8a-9c6f-1d2e3f4a5b6c';
    const groups = groupByImport([device('A', 'complete', 0, null, other), device('B', 'complete'), device('C', 'error', 802, 'InvalidZtdHardwareHash'), device('D', 'complete', 0, null, '')]);
    expect(groups.map((g) => [g.importId, g.total, g.statusCounts.error ?? 0])).toEqual([[ID, 2, 1], [other, 1, 0], ['', 1, 0]]);
  });
});

describe('typeahead matching', () => {
  const uploads = [
    { id: ID, status: 'error' as const },
    { id: '8d639524-9524-8d63-2495-638d2495638d', status: 'pending' as const },
    { id: 'd4e6f8a0-5b7c-4d9e-a1f3-5c7e9a1b3d5f', status: 'noUpload' as const },
  ];
  it.each([
    ['', [ID, '8d639524-9524-8d63-2495-638d2495638d', 'd4e6f8a0-5b7c-4d9e-a1f3-5c7e9a1b3d5f']],
    ['B2D4', [ID]],
    ['{8d63', ['8d639524-9524-8d63-2495-638d2495638d']],
    ['error', [ID]],
    ['failed', [ID]],
    ['pend', ['8d639524-9524-8d63-2495-638d2495638d']],
    ['no upload', ['d4e6f8a0-5b7c-4d9e-a1f3-5c7e9a1b3d5f']],
    ['d4', ['d4e6f8a0-5b7c-4d9e-a1f3-5c7e9a1b3d5f']],
    ['zzzz', []],
  ])('%j → %j', (query, ids) => {
    expect(matchUploads(uploads, query).map((u) => u.id)).toEqual(ids);
  });
});

describe('grammar of the read commands', () => {
  it.each([
    ['list uploads', { kind: 'listUploads' }],
    ['LIST UPLOADS', { kind: 'listUploads' }],
    ['list', { kind: 'listUploads' }],
    ['list uploads error', { kind: 'listUploads', status: 'error' }],
    ['list uploads no upload', { kind: 'listUploads', status: 'noUpload' }],
    ['list complete', { kind: 'listUploads', status: 'complete' }],
    ['show imports', { kind: 'showImports' }],
    [`show import ${ID.toUpperCase()}`, { kind: 'showImport', importId: ID }],
    [`show import {${ID}}`, { kind: 'showImport', importId: ID }],
    [`show upload ${ID}`, { kind: 'show', uploadId: ID }],
  ])('%s', (text, command) => {
    expect(parseCommand(text)).toEqual(command);
  });

  it.each([
    ['list uploads completed', 'completed is not a status — did you mean complete?', 'list uploads complete'],
    ['list devices', 'list must be followed by uploads, not devices.', 'list uploads'],
    ['show import 1234', '1234 is not a valid import id — an import id is a GUID like 8d639524-9524-8d63-2495-638d2495638d.', undefined],
    ['show import', 'show import needs the id of the import to show', 'show imports'],
    [`show import ${ID} extra`, 'show import takes only an import id', `show import ${ID}`],
    ['lst uploads', 'did you mean list uploads?', 'list uploads'],
  ])('%s fails naming the word in bold', (text, message, suggestion) => {
    const parsed = parseCommand(text);
    if (parsed.kind !== 'invalid') throw new Error(`parsed: ${JSON.stringify(parsed)}`);
    expect(plainText(parsed.message)).toContain(message);
    expect(parsed.message.some((part) => part.bold)).toBe(true);
    expect(plainText(parsed.message)).not.toContain('`');
    expect(parsed.suggestion).toBe(suggestion);
  });
});
