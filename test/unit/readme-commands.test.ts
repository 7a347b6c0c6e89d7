/**
 * The README's command table is a promise to admins: it lists exactly the commands of the grammar's table, in its
 * order, each understood by the bot as that command, with every status spelling it mentions, and says where a
 * command works only in some places.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HELP_COMMANDS } from '../../cards';
import { EXAMPLE_UPLOAD_ID } from '../../cards/ids';
import { COMMANDS, UPLOAD_STATUSES, parseCommand, parseStatus } from '../../bot/commands/parse';

const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');

/** The "## Commands" section: its table's rows (first code span, the rest of the row) and its "Statuses:" line. */
function commandsSection(): { rows: Array<{ syntax: string; does: string }>; statusSpellings: string[] } {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Commands'));
  if (!section) throw new Error('README.md has no "## Commands" section');
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [, syntax, does] = /^\| `([^`]+)`[^|]*\| (.*) \|$/.exec(line) ?? [];
      if (!syntax || does === undefined) throw new Error(`README.md: a command row the test cannot read: ${line}`);
      return { syntax, does };
    });
  const statusLine = section.split('\n').find((line) => line.startsWith('Statuses:')) ?? '';
  const statusSpellings = [...statusLine.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return { rows, statusSpellings };
}

const { rows, statusSpellings } = commandsSection();

/** A README pattern made concrete: `<id>` → a GUID, `<status>` → each status. */
function instances(pattern: string): string[] {
  const withId = pattern.replace('<id>', EXAMPLE_UPLOAD_ID).replace('<importId>', EXAMPLE_UPLOAD_ID);
  return withId.includes('<status>') ? UPLOAD_STATUSES.map((s) => withId.replace('<status>', s)) : [withId];
}

describe('README command table', () => {
  it('lists exactly the commands of the grammar table, in its order', () => {
    expect(rows.map((r) => r.syntax)).toEqual(COMMANDS.map((c) => c.syntax));
    expect(statusSpellings.length).toBeGreaterThanOrEqual(UPLOAD_STATUSES.length);
  });

  it.each(COMMANDS.map((c) => [c.syntax, c] as const))('`%s` is understood by the bot as that command', (syntax, entry) => {
    for (const text of instances(syntax)) {
      const parsed = parseCommand(text);
      expect(parsed.kind).toBe(entry.kind);
      // Case-insensitive, as the README says.
      expect(parseCommand(text.toUpperCase()).kind).toBe(parsed.kind);
    }
  });

  it.each(COMMANDS.map((c) => [c.syntax, c] as const))('`%s` says where it works when that is not everywhere', (syntax, entry) => {
    const does = rows.find((r) => r.syntax === syntax)?.does ?? '';
    const teamOnly = entry.scopes?.length === 1 && entry.scopes[0] === 'team';
    if (entry.scopes && !teamOnly) throw new Error(`${syntax} works in ${entry.scopes.join(', ')}: give that its README wording here`);
    expect(/^\(in a team channel\) /.test(does)).toBe(teamOnly);
  });

  it.each(rows.map((r) => r.syntax))('`%s` is on the bot\'s help card', (pattern) => {
    expect(HELP_COMMANDS.map((c) => c.usage)).toContain(pattern);
  });

  it('every status spelling the README mentions is accepted', () => {
    for (const spelling of statusSpellings) {
      const status = parseStatus(spelling);
      expect(status).toBeDefined();
      const parsed = parseCommand(`set upload ${EXAMPLE_UPLOAD_ID} to ${spelling}`);
      expect(parsed).toEqual({ kind: 'setStatus', uploadId: EXAMPLE_UPLOAD_ID, status });
    }
    expect(new Set(statusSpellings.map(parseStatus))).toEqual(new Set(UPLOAD_STATUSES));
  });
});
