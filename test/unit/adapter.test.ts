/** The anonymous adapter only on the explicit opt-in, never because BOT_ID happens to be empty. */
import { createAdapter } from '../../bot/adapter';

const base = { type: 'MultiTenant' as const, frameworkAuth: {} };

it('refuses an empty bot id unless anonymous mode was chosen', () => {
  expect(() => createAdapter({ ...base, id: undefined, anonymous: false })).toThrow(/ALLOW_ANONYMOUS=true/);
  expect(() => createAdapter({ ...base, id: '', anonymous: false })).toThrow(/ALLOW_ANONYMOUS=true/);
  expect(createAdapter({ ...base, id: undefined, anonymous: true })).toBeDefined();
});
