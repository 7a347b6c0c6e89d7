/**
 * The chat command grammar: one table of commands (COMMANDS) and the parsers it names. Pure: text in, a Command or a
 * ParseFailure out. The table is also the help card's command list (cards/index.ts), the Teams manifest's command
 * menu (tools/package-app.ts) and the README's command table (test/unit/readme-commands.test.ts checks it).
 *
 * Keywords and statuses are case-insensitive; ids are normalised to lower case without braces. Every failure names
 * what was wrong in one sentence (`message`, ./messages.ts) and, where one exists, carries a `suggestion`: always
 * something the person can type back, usually a full corrected command (`set upload <id> to complete`), sometimes a
 * usage pattern (`show upload <id>`) or just `help`.
 */
import { EXAMPLE_UPLOAD_ID } from '../../cards/ids';
import { normaliseImportId, normaliseUploadId, isUploadId } from '../guid';
import { type Command, type CommandKind, type ParseFailure, type ParseResult, failure, formatCommand, openForm } from './command';
import { lookup } from './lookup';
import * as say from './messages';
import { closest } from './similarity';
import { parseStatus } from './status';
import { suggestCommandWords, suggestStatus } from './suggestions';
import { compact, tokenize } from './tokenize';

/** Where a command works, in the Teams manifest's words (`bots[].scopes`). */
export type Scope = 'personal' | 'groupChat' | 'team';
export const SCOPES: readonly Scope[] = ['personal', 'groupChat', 'team'];

/**
 * How a command is recognised. `keyword`: its first word, exactly (any case), then `read` takes the rest.
 * `noArguments`: its name, compared in compact form (`Sign-Out`, `log off` → `signout`, `logoff`), with nothing after.
 */
export type Parser =
  | { by: 'keyword'; keywords: readonly string[]; read: (rest: string[]) => ParseResult }
  | { by: 'noArguments'; names: readonly string[]; command: Command };

export interface CommandSpec {
  /** The words that start it: the command menu's title. */
  name: string;
  /** As shown to admins on the help card and in the README: `<id>`, `<importId>`, `<status>` stand for values. */
  syntax: string;
  /** One line for the help card. */
  summary: string;
  /** Something to type that is this command. */
  example: string;
  /** What the example (and any instance of the syntax) parses to. */
  kind: CommandKind;
  /** Where it works, when that is not everywhere the bot is. */
  scopes?: readonly Scope[];
  /** The Teams command menu's description; without one the command is left out of the menu. */
  menu?: string;
  parser: Parser;
}

const HELP: Parser = { by: 'keyword', keywords: ['help', '?'], read: () => ({ kind: 'help' }) };
const SET: Parser = { by: 'keyword', keywords: ['set'], read: parseSet };
const SHOW: Parser = { by: 'keyword', keywords: ['show'], read: parseShow };
const LIST: Parser = { by: 'keyword', keywords: ['list'], read: parseList };
const noArguments = (command: Command, names = [formatCommand(command)]): Parser => ({ by: 'noArguments', names: names.map(compact), command });

const ID = EXAMPLE_UPLOAD_ID;
const TEAM_ONLY: readonly Scope[] = ['team'];

/** The commands, in the order the help card and the README show them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'set upload',
    syntax: 'set upload <id> to <status>',
    summary: "Ask to change an upload's status. I show the upload and the change; it happens only when you confirm.",
    example: `set upload ${ID} to complete`,
    kind: 'setStatus',
    menu: 'set upload <id> to <status> (noUpload, pending, complete, error): changes it only when you confirm',
    parser: SET,
  },
  {
    name: 'set upload',
    syntax: 'set upload',
    summary: 'Open a form to fill in the upload id and the status.',
    example: 'set upload',
    kind: 'openForm',
    parser: SET,
  },
  {
    name: 'list uploads',
    syntax: 'list uploads',
    summary: 'List the uploads, newest first, 10 at a time, each with Show and Change status.',
    example: 'list uploads',
    kind: 'listUploads',
    menu: 'list uploads [<status>]: the newest uploads, 10 at a time, each with Show and Change status',
    parser: LIST,
  },
  {
    name: 'list uploads',
    syntax: 'list uploads <status>',
    summary: 'List only the uploads with that status.',
    example: 'list uploads error',
    kind: 'listUploads',
    parser: LIST,
  },
  {
    name: 'show upload',
    syntax: 'show upload <id>',
    summary: 'Show an upload and its devices: import status and errors, errors first.',
    example: `show upload ${ID}`,
    kind: 'show',
    menu: 'show upload <id>: the upload and its devices, errors first',
    parser: SHOW,
  },
  {
    name: 'show imports',
    syntax: 'show imports',
    summary: 'Show imported Autopilot devices grouped by import, imports with errors first.',
    example: 'show imports',
    kind: 'showImports',
    menu: 'show imports: imported Autopilot devices by import, imports with errors first',
    parser: SHOW,
  },
  {
    name: 'show import',
    syntax: 'show import <importId>',
    summary: "Show one import's devices, errors first.",
    example: `show import ${ID}`,
    kind: 'showImport',
    parser: SHOW,
  },
  {
    name: 'subscribe',
    syntax: 'subscribe',
    summary: 'In a team channel: post a notice here whenever an upload status changes.',
    example: 'subscribe',
    kind: 'subscribe',
    scopes: TEAM_ONLY,
    menu: 'Post a notice in this channel whenever an upload status changes',
    parser: noArguments({ kind: 'subscribe' }),
  },
  {
    name: 'unsubscribe',
    syntax: 'unsubscribe',
    summary: 'Stop those notices in this channel.',
    example: 'unsubscribe',
    kind: 'unsubscribe',
    scopes: TEAM_ONLY,
    menu: 'Stop those notices in this channel',
    parser: noArguments({ kind: 'unsubscribe' }),
  },
  {
    name: 'subscriptions',
    syntax: 'subscriptions',
    summary: 'List the channels that receive change notices.',
    example: 'subscriptions',
    kind: 'subscriptions',
    scopes: TEAM_ONLY,
    menu: 'List the channels that receive change notices',
    parser: noArguments({ kind: 'subscriptions' }),
  },
  {
    name: 'diag',
    syntax: 'diag',
    summary: 'Check your sign-in, Microsoft Graph and the bot itself, one line each. Changes nothing; in a channel only you see the results.',
    example: 'diag',
    kind: 'diag',
    menu: 'Check your sign-in, Microsoft Graph and the bot; changes nothing',
    parser: noArguments({ kind: 'diag' }),
  },
  {
    name: 'sign out',
    syntax: 'sign out',
    summary: 'Forget your sign-in; I ask Teams for a new one the next time it is needed.',
    example: 'sign out',
    kind: 'signOut',
    menu: 'Forget your sign-in; Teams signs you in again when needed',
    parser: noArguments({ kind: 'signOut' }, ['sign out', 'logout', 'logoff']),
  },
  {
    name: 'help',
    syntax: 'help',
    summary: 'Show this list.',
    example: 'help',
    kind: 'help',
    menu: 'Show what the bot understands',
    parser: HELP,
  },
];

/** Longer messages are refused by length alone, before any of the text is looked at. */
export const MAX_COMMAND_LENGTH = 500;

export function parseCommand(text: string): ParseResult {
  const raw = typeof text === 'string' ? text : '';
  // Length first, on the raw string: a 20,000-character message costs nothing more than this comparison.
  if (raw.length > MAX_COMMAND_LENGTH) return failure('tooLong', say.tooLongMessage(raw.length, MAX_COMMAND_LENGTH), 'help');
  const words = tokenize(raw);
  if (words.length === 0) return failure('empty', say.emptyMessage(), 'help');
  return parseWords(words, true);
}

// --- dispatch ----------------------------------------------------------------------------------------------------

const BY_KEYWORD: ReadonlyMap<string, Extract<Parser, { by: 'keyword' }>> = new Map(
  COMMANDS.flatMap(({ parser }) => (parser.by === 'keyword' ? parser.keywords.map((k) => [k, parser] as const) : [])),
);
const BY_NAME: Readonly<Record<string, Command>> = Object.fromEntries(
  COMMANDS.flatMap(({ parser }) => (parser.by === 'noArguments' ? parser.names.map((n) => [n, parser.command] as const) : [])),
);

/** The syntax to suggest for command words that did not parse: the first entry they start (`show` → `show upload <id>`). */
function usage(commandWords: string): string {
  const words = commandWords.split(' ');
  const entry = COMMANDS.find(({ parser }) =>
    parser.by === 'keyword' ? words.length === 1 && parser.keywords.includes(words[0]!) : parser.names.includes(compact(commandWords)),
  );
  return entry?.syntax ?? commandWords;
}

function parseWords(words: string[], suggestCorrections: boolean): ParseResult {
  const first = words[0]!.toLowerCase();
  const keyword = BY_KEYWORD.get(first);
  if (keyword) return keyword.read(words.slice(1));

  // Two-word spellings (`sign out`, `log out`, `log off`) read as one word.
  const twoWord = words.length >= 2 ? compact(`${first}${words[1]}`) : '';
  const byTwo = twoWord ? lookup(BY_NAME, twoWord) : undefined;
  const [command, argumentCount] = byTwo ? [byTwo, words.length - 2] : [lookup(BY_NAME, compact(first)), words.length - 1];
  if (command) {
    if (argumentCount === 0) return command;
    const name = formatCommand(command);
    return failure('syntax', say.noExtraWordsMessage(name), name);
  }
  return unknownCommand(words, suggestCorrections);
}

function unknownCommand(words: string[], suggestCorrections: boolean): ParseFailure {
  const first = words[0]!;
  const fallback = failure('unknownCommand', say.unknownCommandMessage(first), 'help');
  if (!suggestCorrections) return fallback;

  const candidate = suggestCommandWords(words);
  if (candidate) {
    const corrected = parseWords([...candidate.words.split(' '), ...words.slice(candidate.replaces)], false);
    const suggestion = corrected.kind !== 'invalid' ? formatCommand(corrected) : correctedSuggestion(corrected) ?? usage(candidate.words);
    return failure('unknownCommand', say.didYouMeanMessage(first, suggestion), suggestion);
  }
  const uploadId = words.map((word) => normaliseUploadId(word)).find((id) => id !== undefined);
  if (uploadId) {
    const suggestion = formatCommand({ kind: 'show', uploadId });
    return failure('unknownCommand', say.didYouMeanMessage(first, suggestion), suggestion);
  }
  return fallback;
}

/** A corrected command from a failure one level down (`update … to done` → `set upload … to complete`). */
function correctedSuggestion(failed: ParseFailure): string | undefined {
  const suggestion = failed.suggestion;
  if (!suggestion || suggestion === 'help') return undefined;
  const words = tokenize(suggestion);
  return words.length > 0 && parseWords(words, false).kind !== 'invalid' ? suggestion : undefined;
}

// --- the parsers of commands with arguments ----------------------------------------------------------------------

const UPLOAD_WORD = /^uploads?$/i;
const IMPORT_WORD = /^imports?$/i;

function parseShow(rest: string[]): ParseResult {
  if (rest.length > 0 && IMPORT_WORD.test(rest[0]!)) return parseShowImport(rest[0]!.toLowerCase() === 'imports', rest.slice(1));
  const args = rest.length > 0 && UPLOAD_WORD.test(rest[0]!) ? rest.slice(1) : rest;
  if (args.length === 0) return failure('syntax', say.showUploadNeedsIdMessage(), usage('show'));
  const uploadId = normaliseUploadId(args[0]!);
  if (!uploadId) return failure('badId', say.badIdMessage(args[0]!));
  if (args.length > 1) {
    return failure('syntax', say.onlyAnIdMessage('show upload', 'upload', args.slice(1).join(' ')), formatCommand({ kind: 'show', uploadId }));
  }
  return { kind: 'show', uploadId };
}

/** `show imports` (all of them) or `show import <importId>` (one); `show imports <id>` reads as the latter. */
function parseShowImport(plural: boolean, args: string[]): ParseResult {
  if (args.length === 0) return plural ? { kind: 'showImports' } : failure('syntax', say.showImportNeedsIdMessage(), 'show imports');
  const importId = normaliseImportId(args[0]!);
  if (!importId) return failure('badId', say.badIdMessage(args[0]!, 'import'));
  if (args.length > 1) {
    return failure('syntax', say.onlyAnIdMessage('show import', 'import', args.slice(1).join(' ')), formatCommand({ kind: 'showImport', importId }));
  }
  return { kind: 'showImport', importId };
}

/** `list uploads` and `list uploads <status>` (`list` alone and `list upload` mean the same). */
function parseList(rest: string[]): ParseResult {
  let args = rest;
  if (args.length > 0 && UPLOAD_WORD.test(args[0]!)) {
    args = args.slice(1);
  } else if (args.length > 0 && IMPORT_WORD.test(args[0]!)) {
    return failure('syntax', say.importsAreShownMessage(), 'show imports');
  } else if (args.length > 0 && !parseStatus(args.join(' '))) {
    return failure('syntax', say.mustBeFollowedByMessage('list', 'uploads', args[0]!), usage('list'));
  }
  if (args.length === 0) return { kind: 'listUploads' };
  const statusText = args.join(' ');
  const status = parseStatus(statusText);
  if (status) return { kind: 'listUploads', status };
  const suggested = suggestStatus(statusText);
  return failure('badStatus', say.badStatusMessage(statusText), suggested ? formatCommand({ kind: 'listUploads', status: suggested }) : usage('list'));
}

const STATUS_SEPARATORS = new Set(['to', 'as', '=', '->', '\u2192']);

/** `set upload <id> [to] <status>`; with parts missing, the form (prefilled with what was given). */
function parseSet(rest: string[]): ParseResult {
  let args = rest;
  if (args.length > 0 && UPLOAD_WORD.test(args[0]!)) {
    args = args.slice(1);
  } else if (args.length > 0 && !isUploadId(args[0]!)) {
    // `set <id> to complete` is accepted as a shortcut; anything else after `set` is a mistake worth naming.
    const near = closest(args[0]!.toLowerCase(), ['upload', 'uploads']);
    const corrected = near ? parseSet(['upload', ...args.slice(1)]) : undefined;
    return failure(
      'syntax',
      say.mustBeFollowedByMessage('set', 'upload', args[0]!),
      corrected && corrected.kind !== 'invalid' ? formatCommand(corrected) : usage('set'),
    );
  }
  if (args.length === 0) return openForm();

  // `set upload to complete`: the id is missing.
  if (STATUS_SEPARATORS.has(args[0]!.toLowerCase())) {
    const statusText = args.slice(1).join(' ');
    if (statusText === '') return openForm();
    const status = parseStatus(statusText);
    return status ? openForm(undefined, status) : openForm(undefined, undefined, say.badStatusMessage(statusText));
  }

  const idText = args[0]!;
  const uploadId = normaliseUploadId(idText);
  // `set upload complete`: only a status was given.
  if (!uploadId) {
    const statusOnly = parseStatus(args.join(' '));
    if (statusOnly) return openForm(undefined, statusOnly);
  }
  const afterId = args.slice(1);
  const statusWords = afterId.length > 0 && STATUS_SEPARATORS.has(afterId[0]!.toLowerCase()) ? afterId.slice(1) : afterId;
  const statusText = statusWords.join(' ');

  if (statusText === '') {
    // A partial command opens the form; a bad id is reported on the form rather than refused.
    return uploadId ? openForm(uploadId) : openForm(undefined, undefined, say.badIdMessage(idText));
  }
  // Fully specified: a bad part is an error, not a form.
  if (!uploadId) return failure('badId', say.badIdMessage(idText));
  const status = parseStatus(statusText);
  if (!status) {
    const suggested = suggestStatus(statusText);
    return failure('badStatus', say.badStatusMessage(statusText), suggested ? formatCommand({ kind: 'setStatus', uploadId, status: suggested }) : undefined);
  }
  return { kind: 'setStatus', uploadId, status };
}
