/** The bot's own pacing of notification sends against Teams' documented limits, on a fake clock. */
import { DEFAULT_PACING, Pacer } from '../../bot/notifications/rateLimits';

const TENANT = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';

function drive(pacer: Pacer, clock: { t: number }, conversations: (i: number) => string, sends: number): number[] {
  const at: number[] = [];
  for (let i = 0; i < sends; i++) {
    const conversation = conversations(i);
    for (let wait = pacer.waitFor(TENANT, conversation); wait > 0; wait = pacer.waitFor(TENANT, conversation)) clock.t += wait;
    // acquire() records when the wait is 0; it resolves without sleeping.
    void pacer.acquire(TENANT, conversation, 0);
    at.push(clock.t);
  }
  return at;
}

const maxInWindow = (times: number[], ms: number) => Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + ms).length));

describe('Pacer', () => {
  it('spreads sends to many channels evenly: never more than the per-app limit in any second, no bursts', () => {
    const clock = { t: 0 };
    const times = drive(new Pacer(DEFAULT_PACING, () => clock.t), clock, (i) => `19:channel-${i}@thread.tacv2`, 200);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(DEFAULT_PACING.perAppPerTenantPerSecond);
    // Evenly: no two sends closer than 1/45 s, so a delayed group cannot pile up in Teams' window.
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(Math.floor(1000 / DEFAULT_PACING.perAppPerTenantPerSecond));
  });

  it('keeps one conversation under 7 per second and 8 per 2 seconds (with its margin)', () => {
    const clock = { t: 0 };
    const times = drive(new Pacer(DEFAULT_PACING, () => clock.t), clock, () => '19:general@thread.tacv2', 40);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(6);
    expect(maxInWindow(times, 2000)).toBeLessThanOrEqual(7);
  });

  it('after a 429 nothing goes to that conversation before Retry-After', () => {
    const clock = { t: 1_000 };
    const pacer = new Pacer(DEFAULT_PACING, () => clock.t);
    pacer.pause('19:general@thread.tacv2;messageid=1', 3_000);
    expect(pacer.waitFor(TENANT, '19:general@thread.tacv2')).toBe(3_000);
    expect(pacer.waitFor(TENANT, '19:other@thread.tacv2')).toBe(0);
  });
});
