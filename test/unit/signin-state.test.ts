import { endResult } from '../../bot/signin/pages';
import { SignInStates, signInStateKey } from '../../bot/signin/state';

const user = { tid: '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10', oid: 'a1b2c3d4-0000-4000-8000-000000000001', exchangeId: 'e-1' };

describe('sign-in state', () => {
  let now = 1_000_000;
  const states = new SignInStates(signInStateKey('app-secret'), () => now, 60_000);

  it('opens what it sealed, for the same purpose, until it expires', () => {
    const token = states.seal('start', user);
    expect(states.open(token, 'start')).toEqual({ ok: true, state: { purpose: 'start', ...user, exp: now + 60_000 } });
    expect(states.open(token, 'done')).toEqual({ ok: false, reason: 'wrong-purpose' });
    now += 60_000;
    expect(states.open(token, 'start')).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a changed body, a changed mac, another key and junk', () => {
    const token = states.seal('done', user, now + 1000);
    const [body, mac] = token.split('.') as [string, string];
    const forgedBody = Buffer.from(Buffer.from(body, 'base64url').toString().replace(user.oid, 'someone-else')).toString('base64url');
    expect(states.open(`${forgedBody}.${mac}`, 'done')).toEqual({ ok: false, reason: 'bad-signature' });
    expect(states.open(`${body}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, 'done')).toEqual({ ok: false, reason: 'bad-signature' });
    const other = new SignInStates(signInStateKey('another-secret'), () => now);
    expect(other.open(token, 'done')).toEqual({ ok: false, reason: 'bad-signature' });
    for (const junk of [undefined, 42, '', 'a', 'a.b.c', 'x'.repeat(2000)]) expect(states.open(junk, 'done')).toMatchObject({ ok: false });
  });

  it('the end page turns Entra\'s answer into a done state only for consent granted in the state\'s tenant', () => {
    const start = states.seal('start', user, now + 1000);
    const q = (o: Record<string, string>) => new URLSearchParams(o);
    const ok = endResult(q({ admin_consent: 'True', tenant: user.tid, state: start }), states);
    expect(ok.outcome).toBe('success');
    expect(states.open(ok.outcome === 'success' ? ok.result : '', 'done')).toMatchObject({ ok: true, state: { ...user, purpose: 'done' } });
    expect(endResult(q({ admin_consent: 'True', tenant: 'other', state: start }), states)).toEqual({ outcome: 'failure', reason: 'tenant_mismatch' });
    expect(endResult(q({ error: 'access_denied', error_description: 'AADSTS65004: User declined.\r\nTrace ID: x', state: start }), states)).toEqual({
      outcome: 'failure',
      reason: 'access_denied: AADSTS65004: User declined.',
    });
    expect(endResult(q({ admin_consent: 'True', tenant: user.tid, state: states.seal('done', user) }), states)).toEqual({ outcome: 'failure', reason: 'invalid_state (wrong-purpose)' });
    expect(endResult(q({ tenant: user.tid, state: start }), states)).toEqual({ outcome: 'failure', reason: 'consent_not_granted' });
  });
});
