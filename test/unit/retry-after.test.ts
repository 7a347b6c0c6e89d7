/** Retry-After as both Graph (uploads.ts) and the Bot Connector (sender.ts) read it. */
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryAfterHeader } from '../../bot/retryAfter';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds, with or without a fraction and surrounding space', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('1.5', NOW)).toBe(1500);
  });

  it('reads an HTTP-date relative to the injected now, a past date as 0', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:30 GMT', NOW + 10_000)).toBe(20_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', NOW)).toBe(0);
  });

  it('bounds what it returns, by default and by the caller', () => {
    expect(parseRetryAfter('999999999999999999999', NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Fri, 01 Dec 2056 12:00:00 GMT', NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('120', NOW, 60_000)).toBe(60_000);
  });

  it.each([undefined, null, '', '   ', '-5', '12:00', 'soon', '5s', 'Tue, 99 Foo 2026'])('%p is not a Retry-After', (value) => {
    expect(parseRetryAfter(value as string | undefined, NOW)).toBeUndefined();
  });
});

describe('retryAfterHeader', () => {
  it('finds the header in Fetch Headers and in plain records, whatever its case', () => {
    expect(retryAfterHeader(new Headers({ 'Retry-After': '3' }))).toBe('3');
    expect(retryAfterHeader({ 'RETRY-AFTER': '4' })).toBe('4');
    expect(retryAfterHeader({ other: '4' })).toBeUndefined();
    expect(retryAfterHeader(undefined)).toBeUndefined();
  });
});
