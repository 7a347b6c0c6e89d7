/**
 * The grammar's table (bot/commands/grammar.ts) is the one list of commands: its examples parse to its kinds, and
 * the help card shows exactly its entries. (The command menu: app-package.test.ts; the README: readme-commands.test.ts.)
 */
import { EXAMPLE_UPLOAD_ID } from '../../cards/ids';
import { helpCard } from '../../cards';
import { COMMANDS, SCOPES } from '../../bot/commands/grammar';
import { COMMAND_SYNONYMS, COMMAND_WORDS } from '../../bot/commands/suggestions';
import { compact } from '../../bot/commands/tokenize';
import { UPLOAD_STATUSES, formatCommand, parseCommand } from '../../bot/commands/parse';

/** The syntax made concrete: `<id>`/`<importId>` → a GUID, `<status>` → each status. */
function instances(syntax: string): string[] {
  const withId = syntax.replace('<id>', EXAMPLE_UPLOAD_ID).replace('<importId>', EXAMPLE_UPLOAD_ID);
  return withId.includes('<status>') ? UPLOAD_STATUSES.map((s) => withId.replace('<status>', s)) : [withId];
}

describe.each(COMMANDS.map((c) => [c.syntax, c] as const))('`%s`', (_syntax, entry) => {
  test('its example parses to its kind, and formats back to itself', () => {
    const parsed = parseCommand(entry.example);
    expect(parsed.kind).toBe(entry.kind);
    expect(formatCommand(parsed as Exclude<typeof parsed, { kind: 'invalid' }>)).toBe(entry.example);
  });

  test('its syntax, made concrete, parses to its kind in any case, and the example is one such', () => {
    for (const text of instances(entry.syntax)) {
      expect(parseCommand(text).kind).toBe(entry.kind);
      expect(parseCommand(text.toUpperCase()).kind).toBe(entry.kind);
    }
    expect(instances(entry.syntax)).toContain(entry.example);
  });

  test('its name starts its syntax and is what its parser recognises', () => {
    expect(`${entry.syntax} `.startsWith(`${entry.name} `)).toBe(true);
    const { parser } = entry;
    if (parser.by === 'keyword') {
      expect(parser.keywords).toContain(entry.name.split(' ')[0]);
    } else {
      expect(parser.names).toContain(compact(entry.name));
      expect(parser.command.kind).toBe(entry.kind);
    }
  });

  test('its texts are one line, its scopes real ones', () => {
    for (const text of [entry.summary, entry.menu ?? '', entry.syntax]) expect(text).not.toMatch(/[\r\n]/);
    expect(entry.summary.length).toBeGreaterThan(0);
    if (entry.scopes) {
      expect(entry.scopes.length).toBeGreaterThan(0);
      for (const scope of entry.scopes) expect(SCOPES).toContain(scope);
    }
  });

  test('"did you mean" can suggest it', () => {
    const first = entry.parser.by === 'keyword' ? entry.name.split(' ')[0]! : compact(entry.name);
    expect(Object.keys(COMMAND_WORDS)).toContain(first);
  });
});

describe('the table as a whole', () => {
  test('no word starts two different parsers', () => {
    const owner = new Map<string, unknown>();
    for (const { parser } of COMMANDS) {
      for (const word of parser.by === 'keyword' ? parser.keywords : parser.names) {
        if (owner.has(word)) expect(owner.get(word)).toBe(parser);
        owner.set(word, parser);
      }
    }
    expect(owner.size).toBeGreaterThan(0);
  });

  test('every syntax is listed once, and every kind of command has an entry', () => {
    expect(new Set(COMMANDS.map((c) => c.syntax)).size).toBe(COMMANDS.length);
    const kinds = ['setStatus', 'openForm', 'show', 'listUploads', 'showImports', 'showImport', 'help', 'signOut', 'subscribe', 'unsubscribe', 'subscriptions', 'diag'];
    expect(new Set(COMMANDS.map((c) => c.kind))).toEqual(new Set(kinds));
  });

  test('every word "did you mean" suggests starts a command of the table', () => {
    for (const words of new Set([...Object.values(COMMAND_WORDS), ...Object.values(COMMAND_SYNONYMS)])) {
      expect(COMMANDS.some((c) => `${c.syntax} `.startsWith(`${words} `))).toBe(true);
      expect(parseCommand(words)).not.toMatchObject({ reason: 'unknownCommand' });
    }
  });
});

describe('the help card lists the table', () => {
  type Node = Record<string, unknown>;
  const all = (node: unknown): Node[] =>
    Array.isArray(node) ? node.flatMap(all) : node && typeof node === 'object' ? [node as Node, ...Object.values(node).flatMap(all)] : [];

  test('one row per entry, in the table order: the syntax in monospace, then the summary', () => {
    const rows = all(helpCard().content)
      .filter((n) => n.type === 'ColumnSet')
      .map((row) => {
        const runs = all(row).filter((n) => n.type === 'TextRun' || n.type === 'TextBlock');
        return runs.map((n) => (n.type === 'TextRun' && n.fontType === 'Monospace' ? `mono:${String(n.text)}` : String(n.text)));
      });
    expect(rows).toEqual(COMMANDS.map((c) => [`mono:${c.syntax}`, c.summary]));
  });
});
