/** Which tenant an activity is from, the gate's verdict and words, the v1 issuer by authority host. */
import type { Activity } from 'botbuilder';
import { fixedV1Issuer, PERSONAL_ACCOUNT_TENANT } from '../../bot/sso/validate';
import { tenantAllowed, tenantOf } from '../../bot/teams/activity';
import { refusalFor } from '../../bot/teams/tenantGate';

const CONTOSO = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';
const FABRIKAM = '7c1e4a2d-9b3f-4e6a-8d5c-1f2e3a4b5c6d';
const activity = (conversationTenant?: string, dataTenant?: string) =>
  ({ type: 'message', conversation: { id: 'a', tenantId: conversationTenant }, channelData: dataTenant ? { tenant: { id: dataTenant } } : {} }) as unknown as Activity;

describe('tenantOf', () => {
  it('reads channelData.tenant.id and conversation.tenantId, lower-cased', () => {
    expect(tenantOf(activity(CONTOSO.toUpperCase(), CONTOSO))).toBe(CONTOSO);
    expect(tenantOf(activity(undefined, CONTOSO.toUpperCase()))).toBe(CONTOSO);
    expect(tenantOf(activity(CONTOSO))).toBe(CONTOSO);
  });
  it('is undefined with no tenant, or two that disagree', () => {
    expect(tenantOf(activity())).toBeUndefined();
    expect(tenantOf(activity(CONTOSO, FABRIKAM))).toBeUndefined();
  });
});

describe('tenantAllowed', () => {
  it('allows only listed tenants; no tenant is never allowed', () => {
    expect(tenantAllowed(activity(CONTOSO), [CONTOSO])).toEqual({ tenantId: CONTOSO, allowed: true });
    expect(tenantAllowed(activity(FABRIKAM), [CONTOSO])).toEqual({ tenantId: FABRIKAM, allowed: false });
    expect(tenantAllowed(activity(), [CONTOSO])).toEqual({ tenantId: undefined, allowed: false });
  });
  it('refusals say why; personal accounts are told it is their account type', () => {
    expect(refusalFor(FABRIKAM).title).toBe('Organization not allowed');
    expect(refusalFor(PERSONAL_ACCOUNT_TENANT).message).toContain('Personal Microsoft accounts');
  });
});

describe('v1 issuer by authority host', () => {
  it('the public cloud is https://sts.windows.net/{tid}/ without asking', () => {
    expect(fixedV1Issuer('https://login.microsoftonline.com', CONTOSO)).toBe(`https://sts.windows.net/${CONTOSO}/`);
  });
  it('sovereign and other hosts are read from their v1 discovery document', () => {
    expect(fixedV1Issuer('https://login.microsoftonline.us', CONTOSO)).toBeUndefined();
    expect(fixedV1Issuer('https://login.chinacloudapi.cn', CONTOSO)).toBeUndefined();
    expect(fixedV1Issuer('https://127.0.0.1:3980', CONTOSO)).toBeUndefined();
  });
});
