/** The facade's pure checks: what counts as an activity, and the x-ms-tenant-id agreement. */
import { HttpError } from '../../../bot/http/errors';
import { asActivity, checkTenantHeader } from '../../../bot/http/messages';

const CONTOSO = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';
const FABRIKAM = '7c1e4a2d-9b3f-4e6a-8d5c-1f2e3a4b5c6d';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    if (err instanceof HttpError) return `${err.status} ${err.code}`;
    throw err;
  }
};

describe('asActivity', () => {
  it('an object with a non-empty string type and a conversation is an activity', () => {
    expect(asActivity({ type: 'message', conversation: { id: 'c' } })).toEqual({ type: 'message', conversation: { id: 'c' } });
  });
  it.each([
    [null], [[{ type: 'message' }]], ['message'], [42], [{}], [{ type: 5 }], [{ type: '  ' }], [{ type: null }],
    // Found by the fuzz suite: accounts of the wrong shape made turns throw.
    [{ type: 'message' }], [{ type: 'invoke', conversation: { id: [] } }], [{ type: 'invoke', conversation: { id: 'c' }, from: { id: 'u', aadObjectId: {} } }],
    [{ type: 'message', conversation: { id: 'c' }, recipient: [] }],
    // Found by the 100,000-case fuzz run (seed 832379885): an invoke whose name was an object
    // without a prototype made the turn throw ("Cannot convert object to primitive value").
    [{ type: 'invoke', conversation: { id: 'c' }, name: Object.create(null) }],
    [{ type: 'message', conversation: { id: 'c' }, text: ['help'] }],
    [{ type: 'message', conversation: { id: 'c' }, serviceUrl: { href: 'https://x' } }],
  ])('%j is a 400', (body) => {
    expect(codeOf(() => asActivity(body))).toBe('400 NotAnActivity');
  });
});

describe('checkTenantHeader', () => {
  const activity = (tenant: { channelData?: string; conversation?: string }) =>
    asActivity({
      type: 'message',
      ...(tenant.channelData ? { channelData: { tenant: { id: tenant.channelData } } } : {}),
      conversation: { id: 'a:1', ...(tenant.conversation ? { tenantId: tenant.conversation } : {}) },
    });

  it('no header (or an empty one), nothing to agree with', () => {
    expect(codeOf(() => checkTenantHeader({}, activity({ channelData: CONTOSO })))).toBeUndefined();
    expect(codeOf(() => checkTenantHeader({ 'x-ms-tenant-id': ' ' }, activity({})))).toBeUndefined();
  });
  it('agrees with channelData.tenant.id and conversation.tenantId, ignoring case', () => {
    expect(codeOf(() => checkTenantHeader({ 'x-ms-tenant-id': CONTOSO.toUpperCase() }, activity({ channelData: CONTOSO, conversation: CONTOSO })))).toBeUndefined();
    expect(codeOf(() => checkTenantHeader({ 'x-ms-tenant-id': CONTOSO }, activity({ conversation: CONTOSO })))).toBeUndefined();
  });
  it.each([
    ['another tenant in channelData', { channelData: FABRIKAM }],
    ['another tenant in the conversation', { conversation: FABRIKAM }],
    ['the two disagreeing', { channelData: CONTOSO, conversation: FABRIKAM }],
    ['no tenant at all', {}],
  ])('%s is a 400', (_what, tenant) => {
    expect(codeOf(() => checkTenantHeader({ 'x-ms-tenant-id': CONTOSO }, activity(tenant)))).toBe('400 TenantMismatch');
  });
});
