/**
 * One clock: every "now" in bot/ comes from the clock app.ts builds (bot/clock.ts), so tests can
 * move time past lifetimes, expiries and backoffs. A direct Date.now() or argument-less new Date()
 * anywhere else would be a second clock that no test can move.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '../../bot');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? files(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

it('bot/ reads the time only through bot/clock.ts', () => {
  const offenders: string[] = [];
  for (const file of files(ROOT)) {
    if (path.relative(ROOT, file) === 'clock.ts') continue;
    fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/\bDate\.now\b|new Date\(\s*\)/.test(line)) offenders.push(`bot/${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(offenders).toEqual([]);
});

it('the check sees a second clock', () => {
  expect(/\bDate\.now\b|new Date\(\s*\)/.test('const t = Date.now();')).toBe(true);
  expect(/\bDate\.now\b|new Date\(\s*\)/.test('const d = new Date();')).toBe(true);
  expect(/\bDate\.now\b|new Date\(\s*\)/.test('const d = new Date(at);')).toBe(false);
});
