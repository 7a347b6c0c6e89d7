/**
 * The body check of POST /api/notify (validateNotifyBody), one refusal at a time: each names the
 * field that was wrong, and nothing that passes is changed beyond trimming and lower-casing ids.
 * The bearer comparison beside it answers the same whatever the header looks like.
 */
import { ACTOR_MAX_CHARS, bearerMatches, NOTE_MAX_CHARS, presentedKey, validateNotifyBody } from '../../bot/http/notify';

const UPLOAD = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const TENANT = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';
const VALID = { uploadId: UPLOAD, status: 'complete' };

/** The field a refusal names, or 'ok'. */
const fieldOf = (body: unknown): string => {
  const r = validateNotifyBody(body);
  return r.ok ? 'ok' : r.field;
};

describe('validateNotifyBody refuses', () => {
  it.each([
    ['null', null],
    ['an array', [VALID]],
    ['a string', JSON.stringify(VALID)],
    ['a number', 42],
    ['a boolean', true],
    ['nothing', undefined],
  ])('a body that is %s: field "body"', (_what, body) => {
    const r = validateNotifyBody(body);
    expect(r).toEqual({ ok: false, field: 'body', message: 'The body must be a JSON object.' });
  });

  it('a field that is not one of a notification, naming it (cut to 40 characters) and the allowed ones', () => {
    const r = validateNotifyBody({ ...VALID, deviceName: 'x' });
    expect(r).toMatchObject({ ok: false, field: 'deviceName' });
    expect(!r.ok && r.message).toBe('"deviceName" is not a field of a notification (allowed: uploadId, status, previousStatus, actor, note, tenantId).');
    const long = 'a'.repeat(100);
    const cut = validateNotifyBody({ ...VALID, [long]: 1 });
    expect(cut).toMatchObject({ ok: false, field: long });
    expect(!cut.ok && cut.message.startsWith(`"${'a'.repeat(40)}" is not`)).toBe(true);
  });

  it('an unknown field before any other mistake (the first refusal is the one reported)', () => {
    expect(fieldOf({ status: 'nope', extra: 1 })).toBe('extra');
  });

  it.each([
    ['missing', undefined],
    ['not a string', 12345],
    ['empty', ''],
    ['not a GUID', 'upload-1'],
    ['a GUID with a character too many', `${UPLOAD}0`],
    ['a GUID in braces', `{${UPLOAD}}`],
  ])('an uploadId that is %s', (_what, uploadId) => {
    const r = validateNotifyBody({ ...VALID, uploadId });
    expect(r).toEqual({ ok: false, field: 'uploadId', message: "uploadId must be the upload's id, a GUID." });
  });

  it.each([
    ['missing', undefined],
    ['not a status', 'done'],
    ['in the wrong case', 'Complete'],
    ['not a string', 1],
  ])('a status that is %s, listing the statuses', (_what, status) => {
    const r = validateNotifyBody({ uploadId: UPLOAD, status });
    expect(r).toEqual({ ok: false, field: 'status', message: 'status must be one of noUpload, pending, complete, error.' });
  });

  it.each([
    ['not a status', 'old'],
    ['null', null],
    ['not a string', 0],
  ])('a previousStatus that is %s', (_what, previousStatus) => {
    const r = validateNotifyBody({ ...VALID, previousStatus });
    expect(r).toEqual({ ok: false, field: 'previousStatus', message: 'previousStatus must be one of noUpload, pending, complete, error.' });
  });

  describe.each([
    ['actor', ACTOR_MAX_CHARS],
    ['note', NOTE_MAX_CHARS],
  ] as const)('%s', (field, max) => {
    it.each([
      ['empty', ''],
      ['only white space', ' \t\n '],
      ['not a string', 7],
      ['null', null],
      ['one character too long', 'x'.repeat(max + 1)],
      ['with a control character', 'Intune\u0000sync'],
      ['with an escape', 'Intune\u001b[31msync'],
      ['with DEL', 'Intune\u007fsync'],
    ])(`refused when %s`, (_what, value) => {
      const r = validateNotifyBody({ ...VALID, [field]: value });
      expect(r).toEqual({ ok: false, field, message: `${field} must be non-empty text of at most ${max} characters, without control characters.` });
    });

    it(`accepted at exactly ${max} characters, with tabs and line breaks, trimmed`, () => {
      const at = validateNotifyBody({ ...VALID, [field]: 'x'.repeat(max) });
      expect(at.ok && at.value[field]).toBe('x'.repeat(max));
      const lines = validateNotifyBody({ ...VALID, [field]: '  line one\n\tline two\r\n ' });
      expect(lines.ok && lines.value[field]).toBe('line one\n\tline two');
    });
  });

  it('the actor before the note', () => {
    expect(fieldOf({ ...VALID, actor: '', note: '' })).toBe('actor');
  });

  it.each([
    ['not a GUID', 'contoso.onmicrosoft.com'],
    ['not a string', 1],
    ['null', null],
    ['empty', ''],
  ])('a tenantId that is %s', (_what, tenantId) => {
    const r = validateNotifyBody({ ...VALID, tenantId });
    expect(r).toEqual({ ok: false, field: 'tenantId', message: 'tenantId must be a tenant id, a GUID.' });
  });
});

describe('validateNotifyBody accepts', () => {
  it('the smallest notification, with no optional field set', () => {
    expect(validateNotifyBody(VALID)).toEqual({ ok: true, value: { uploadId: UPLOAD, status: 'complete', previousStatus: undefined, actor: undefined, note: undefined, tenantId: undefined } });
  });

  it('every field, ids trimmed and lower-cased, texts trimmed', () => {
    const r = validateNotifyBody({ uploadId: ` ${UPLOAD.toUpperCase()} `, status: 'error', previousStatus: 'pending', actor: ' Intune sync ', note: ' nightly ', tenantId: ` ${TENANT.toUpperCase()}` });
    expect(r).toEqual({ ok: true, value: { uploadId: UPLOAD, status: 'error', previousStatus: 'pending', actor: 'Intune sync', note: 'nightly', tenantId: TENANT } });
  });

  it.each(['noUpload', 'pending', 'complete', 'error'])('status %s', (status) => {
    expect(fieldOf({ uploadId: UPLOAD, status, previousStatus: status })).toBe('ok');
  });
});

describe('the bearer key', () => {
  const KEY = 'notify-key-0123456789abcdef';

  it.each([
    [`Bearer ${KEY}`, true],
    [`bearer ${KEY}`, true],
    [`Bearer   ${KEY}  `, true],
    [`Bearer ${KEY}x`, false],
    [`Bearer ${KEY.slice(0, -1)}`, false],
    [KEY, false],
    [`Basic ${KEY}`, false],
    ['Bearer ', false],
    ['', false],
    [undefined, false],
  ])('%j matches: %s', (header, expected) => {
    expect(bearerMatches(header, KEY)).toBe(expected);
  });

  it('an empty configured key is never matched by an empty token', () => {
    expect(bearerMatches('Bearer ', '')).toBe(false);
    expect(bearerMatches(undefined, '')).toBe(false);
  });

  it('presentedKey finds the key among several, and none for a wrong one', () => {
    const keys = [
      { key: 'key-of-contoso-0123456789', tenantId: TENANT },
      { key: 'key-of-fabrikam-012345678', tenantId: '7c1e4a2d-9b3f-4e6a-8d5c-1f2e3a4b5c6d' },
    ];
    expect(presentedKey('Bearer key-of-fabrikam-012345678', keys)).toBe(keys[1]);
    expect(presentedKey('Bearer key-of-contoso-0123456789', keys)).toBe(keys[0]);
    expect(presentedKey('Bearer key-of-nobody', keys)).toBeUndefined();
    expect(presentedKey(undefined, keys)).toBeUndefined();
  });
});
