/**
 * The README's command table is a promise to admins: every command it lists must be one the bot
 * understands, with every status spelling it mentions, and appear on the bot's own help card.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HELP_COMMANDS } from '../../cards';
import { EXAMPLE_UPLOAD_ID } from '../../cards/ids';
import { type Command, UPLOAD_STATUSES, parseCommand, parseStatus } from '../../bot/commands/parse';

const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');

/** The "## Commands" section: its table's first column and its "Statuses:" line. */
function commandsSection(): { commands: string[]; statusSpellings: string[] } {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Commands'));
  if (!section) throw new Error('README.md has no "## Commands" section');
  const commands = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => /^\| `([^`]+)`/.exec(line)![1]!);
  const statusLine = section.split('\n').find((line) => line.startsWith('Statuses:')) ?? '';
  const statusSpellings = [...statusLine.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return { commands, statusSpellings };
}

const { commands, statusSpellings } = commandsSection();

/** A README pattern made concrete: `<id>` → a GUID, `<status>` → each status. */
function instances(pattern: string): string[] {
  const withId = pattern.replace('<id>', EXAMPLE_UPLOAD_ID).replace('<importId>', EXAMPLE_UPLOAD_ID);
  return withId.includes('<status>') ? UPLOAD_STATUSES.map((s) => withId.replace('<status>', s)) : [withId];
}

const EXPECTED_KIND: Record<string, Command['kind']> = {
  'set upload <id> to <status>': 'setStatus',
  'set upload': 'openForm',
  'show upload <id>': 'show',
  'list uploads': 'listUploads',
  'list uploads <status>': 'listUploads',
  'show imports': 'showImports',
  'show import <importId>': 'showImport',
  help: 'help',
  'sign out': 'signOut',
};

describe('README command table', () => {
  it('lists the commands (the table was found and read)', () => {
    expect(commands).toEqual(expect.arrayContaining(Object.keys(EXPECTED_KIND)));
    expect(statusSpellings.length).toBeGreaterThanOrEqual(UPLOAD_STATUSES.length);
  });

  it.each(commands)('`%s` is understood by the bot', (pattern) => {
    for (const text of instances(pattern)) {
      const parsed = parseCommand(text);
      expect(parsed.kind).not.toBe('invalid');
      if (EXPECTED_KIND[pattern]) expect(parsed.kind).toBe(EXPECTED_KIND[pattern]);
      // Case-insensitive, as the README says.
      expect(parseCommand(text.toUpperCase()).kind).toBe(parsed.kind);
    }
  });

  it.each(commands)('`%s` is on the bot\'s help card', (pattern) => {
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
