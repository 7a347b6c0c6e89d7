/**
 * The chat command grammar. Pure: text in, a Command or a ParseFailure out.
 *
 *   set upload <id> [to] <status>    ask to change an upload's status (confirmed on a card)
 *   set upload [<id>] [to <status>]  with parts missing: open the form, prefilled with what was given
 *   show upload <id>                 show one upload and its device identities
 *   list uploads [<status>]          the uploads, newest first, optionally of one status
 *   show imports                     imported device identities, grouped by import
 *   show import <importId>           one import's device identities
 *   help | sign out | subscribe | unsubscribe | subscriptions | diag
 *
 * Text arrives after botbuilder removed the bot's @mention, so it may still carry whitespace, `&nbsp;`, a leading
 * `<at>…</at>` (when removal missed it), newlines, a trailing period or odd case; all of that is tolerated.
 * Keywords and statuses are case-insensitive; ids are normalised to lower case without braces.
 *
 * Every failure names what was wrong in one sentence (`message`) and, where one exists, carries a `suggestion`:
 * always something the person can type back, usually a full corrected command (`set upload <id> to complete`),
 * sometimes a usage pattern (`show upload <id>`) or just `help`. Messages are rich text that names the words they are
 * about in bold — what the person typed and the words to use instead — as separate runs, never as Markdown (Teams
 * would show a code span's backticks literally, and typed text must never become formatting). Text from the person
 * is echoed back truncated and stripped of control characters.
 */
import { EXAMPLE_UPLOAD_ID, FORM_INPUTS } from '../../cards/ids';
import { type RichText, type TextPart, bold, joinRich, rich } from '../../cards/text';
import { UPLOAD_STATUSES, type UploadStatus } from '../model';
import { closest } from './similarity';
import { GUID } from '../guid';

export { UPLOAD_STATUSES, type UploadStatus };

export type Command =
  | { kind: 'setStatus'; uploadId: string; status: UploadStatus }
  /** `set upload` with parts missing; `problem` says what was wrong with a part that was given. */
  | { kind: 'openForm'; uploadId?: string; status?: UploadStatus; problem?: RichText }
  | { kind: 'show'; uploadId: string }
  | { kind: 'listUploads'; status?: UploadStatus }
  | { kind: 'showImports' }
  | { kind: 'showImport'; importId: string }
  | { kind: 'help' }
  | { kind: 'signOut' }
  | { kind: 'subscribe' }
  | { kind: 'unsubscribe' }
  | { kind: 'subscriptions' }
  /** The admin's own end-to-end check (sign-in, Graph, state, queue). */
  | { kind: 'diag' };

export type ParseFailureReason = 'empty' | 'tooLong' | 'badId' | 'badStatus' | 'unknownCommand' | 'syntax';

export type ParseFailure = {
  kind: 'invalid';
  reason: ParseFailureReason;
  /** One clear sentence naming what was wrong, the words it is about in bold (`plainText()` for logs). */
  message: RichText;
  /** Something to type instead: a corrected command, a usage pattern, or `help`. */
  suggestion?: string;
};

/** Longer messages are refused by length alone, before any of the text is looked at. */
export const MAX_COMMAND_LENGTH = 500;

/** How much of a person's text is echoed back in a message. */
const ECHO_LIMIT = 40;


/** A GUID (any version: Graph's own example id is not an RFC 4122 one), optionally wrapped in braces. */
export function isUploadId(s: string): boolean {
  return normaliseUploadId(s) !== undefined;
}

/** The id in canonical form (lower case, no braces), or undefined when it is not a GUID. */
export function normaliseUploadId(s: string): string | undefined {
  if (typeof s !== 'string' || s.length > 38) return undefined;
  const bare = s.startsWith('{') && s.endsWith('}') ? s.slice(1, -1) : s;
  return GUID.test(bare) ? bare.toLowerCase() : undefined;
}

const STATUS_BY_COMPACT: Readonly<Record<string, UploadStatus>> = {
  noupload: 'noUpload',
  pending: 'pending',
  complete: 'complete',
  error: 'error',
};

/** Lower case without spaces, hyphens, underscores or surrounding quotes: `No-Upload` → `noupload`. */
function compact(s: string): string {
  return stripQuotes(s).toLowerCase().replace(/[\s_-]+/g, '');
}

/** A status in any friendly spelling (`noUpload`, `no upload`, `no-upload`, `NOUPLOAD`, `"complete"`), else undefined. */
export function parseStatus(input: string): UploadStatus | undefined {
  if (typeof input !== 'string' || input.length > 40) return undefined;
  return STATUS_BY_COMPACT[compact(input)];
}

/** Words people use for a status that is not its name. */
const STATUS_SYNONYMS: Readonly<Record<string, UploadStatus>> = {
  completed: 'complete',
  done: 'complete',
  finished: 'complete',
  success: 'complete',
  succeeded: 'complete',
  successful: 'complete',
  uploaded: 'complete',
  failed: 'error',
  failure: 'error',
  fail: 'error',
  errored: 'error',
  errors: 'error',
  inprogress: 'pending',
  processing: 'pending',
  queued: 'pending',
  waiting: 'pending',
  none: 'noUpload',
  notuploaded: 'noUpload',
  new: 'noUpload',
};

/** "Did you mean": the status closest to what was typed (synonym, typo or prefix), or undefined. */
export function suggestStatus(input: string): UploadStatus | undefined {
  if (typeof input !== 'string' || input.length > 40) return undefined;
  const exact = parseStatus(input);
  if (exact) return exact;
  const word = compact(input);
  const synonym = STATUS_SYNONYMS[word];
  if (synonym) return synonym;
  const near = closest(word, Object.keys(STATUS_BY_COMPACT));
  return near === undefined ? undefined : STATUS_BY_COMPACT[near];
}

/** The canonical text of a command, e.g. for "did you mean" suggestions and logs. */
export function formatCommand(command: Command): string {
  switch (command.kind) {
    case 'setStatus':
      return `set upload ${command.uploadId} to ${command.status}`;
    case 'openForm':
      return ['set upload', command.uploadId, command.status && `to ${command.status}`].filter(Boolean).join(' ');
    case 'show':
      return `show upload ${command.uploadId}`;
    case 'listUploads':
      return command.status ? `list uploads ${command.status}` : 'list uploads';
    case 'showImports':
      return 'show imports';
    case 'showImport':
      return `show import ${command.importId}`;
    case 'signOut':
      return 'sign out';
    default:
      return command.kind;
  }
}

export function parseCommand(text: string): Command | ParseFailure {
  const raw = typeof text === 'string' ? text : '';
  // Length first, on the raw string: a 20,000-character message costs nothing more than this comparison.
  if (raw.length > MAX_COMMAND_LENGTH) {
    return failure(
      'tooLong',
      rich`That message is ${raw.length.toLocaleString('en-US')} characters long, but a command is at most ${String(MAX_COMMAND_LENGTH)} characters.`,
      'help',
    );
  }
  const words = tokenize(raw);
  if (words.length === 0) {
    return failure('empty', rich`The message was empty, so there is no command to run.`, 'help');
  }
  return parseWords(words, true);
}

/**
 * The set-upload form's submitted `value` ({ action, uploadId, status }) as a command: `setStatus` when both inputs
 * are valid, otherwise `openForm` again with the valid parts kept and a `problem` saying what to fix.
 */
export function parseFormSubmission(value: unknown): Extract<Command, { kind: 'setStatus' | 'openForm' }> {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  // The change-status form has a picker and a paste field: a pasted id wins, else the picked one.
  const rawId = stringField(record[FORM_INPUTS.uploadId]) || stringField(record[FORM_INPUTS.uploadPick]);
  const rawStatus = stringField(record[FORM_INPUTS.status]);
  const uploadId = normaliseUploadId(rawId);
  const status = parseStatus(rawStatus);
  if (uploadId && status) return { kind: 'setStatus', uploadId, status };

  const problems: RichText[] = [];
  if (!uploadId) problems.push(rawId === '' ? rich`Enter the upload id.` : badIdMessage(rawId));
  if (!status) problems.push(rawStatus === '' ? rich`Choose a status.` : badStatusMessage(rawStatus));
  return openForm(uploadId, status, joinRich(problems));
}

// ---------------------------------------------------------------------------------------------------------------

const NBSP_ENTITY = /&(?:nbsp|#160|#x0*a0);/gi;
/** Zero-width characters and the soft hyphen: invisible, but they break keyword and GUID matching. */
const INVISIBLE = /[\u200b-\u200d\u2060\u00ad]/g;
const LEADING_MENTIONS = /^\s*(?:<at(?:\s[^>]*)?>[^<]*<\/at>\s*)+/i;
const QUOTES = /^["'`\u2018\u2019\u201c\u201d]+|["'`\u2018\u2019\u201c\u201d]+$/g;

function stripQuotes(s: string): string {
  return s.replace(QUOTES, '');
}

function tokenize(raw: string): string[] {
  let text = raw
    .replace(NBSP_ENTITY, ' ')
    .replace(INVISIBLE, '')
    .replace(LEADING_MENTIONS, '')
    .replace(/\s+/g, ' ') // JS \s covers U+00A0, U+FEFF, U+2000–U+200A, U+3000, newlines
    .trim()
    .replace(/^\/+/, ''); // "/help", as typed from a command menu habit
  // A trailing period (or ! ?) is punctuation, not part of the last word; a lone "?" is kept and means help.
  const withoutPunctuation = text.replace(/\s*[.!?\u3002]+$/u, '');
  if (withoutPunctuation !== '') text = withoutPunctuation;
  return text
    .split(' ')
    .map(stripQuotes)
    .filter((word) => word !== '');
}

const NO_ARGUMENT_COMMANDS: Readonly<Record<string, Command>> = {
  subscribe: { kind: 'subscribe' },
  unsubscribe: { kind: 'unsubscribe' },
  subscriptions: { kind: 'subscriptions' },
  diag: { kind: 'diag' },
  signout: { kind: 'signOut' },
  logout: { kind: 'signOut' },
  logoff: { kind: 'signOut' },
};

/** Every first word the grammar knows (compact form), mapped to the word to suggest. */
const COMMAND_WORDS: Readonly<Record<string, string>> = {
  help: 'help',
  set: 'set',
  show: 'show',
  list: 'list',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  subscriptions: 'subscriptions',
  diag: 'diag',
  signout: 'sign out',
  logout: 'sign out',
};

/** Words that are not commands but plainly mean one. */
const COMMAND_SYNONYMS: Readonly<Record<string, string>> = {
  get: 'show',
  view: 'show',
  display: 'show',
  status: 'show',
  ls: 'list',
  find: 'list',
  browse: 'list',
  update: 'set',
  change: 'set',
  mark: 'set',
  signoff: 'sign out',
  commands: 'help',
};

const USAGE: Readonly<Record<string, string>> = {
  set: 'set upload <id> to <status>',
  show: 'show upload <id>',
  list: 'list uploads',
};

function parseWords(words: string[], suggestCorrections: boolean): Command | ParseFailure {
  const first = words[0]!.toLowerCase();
  const rest = words.slice(1);

  if (first === 'help' || first === '?') return { kind: 'help' };
  if (first === 'set') return parseSet(rest);
  if (first === 'show') return parseShow(rest);
  if (first === 'list') return parseList(rest);

  // Two-word spellings (`sign out`, `log out`, `log off`) read as one word.
  const twoWord = words.length >= 2 ? compact(`${first}${words[1]}`) : '';
  const [commandWord, argumentCount] =
    twoWord in NO_ARGUMENT_COMMANDS ? [twoWord, words.length - 2] : [compact(first), rest.length];
  const noArgument = NO_ARGUMENT_COMMANDS[commandWord];
  if (noArgument) {
    if (argumentCount === 0) return noArgument;
    const name = formatCommand(noArgument);
    return failure('syntax', rich`${word(name)} takes no extra words, so I did not run it.`, name);
  }
  return unknownCommand(words, suggestCorrections);
}

function parseShow(rest: string[]): Command | ParseFailure {
  if (rest.length > 0 && /^imports?$/i.test(rest[0]!)) return parseShowImport(rest[0]!.toLowerCase() === 'imports', rest.slice(1));
  const args = rest.length > 0 && /^uploads?$/i.test(rest[0]!) ? rest.slice(1) : rest;
  if (args.length === 0) {
    return failure('syntax', rich`${word('show upload')} needs the id of the upload to show.`, USAGE.show);
  }
  const uploadId = normaliseUploadId(args[0]!);
  if (!uploadId) return failure('badId', badIdMessage(args[0]!));
  if (args.length > 1) {
    return failure(
      'syntax',
      rich`${word('show upload')} takes only an upload id, but more followed it: ${typed(args.slice(1).join(' '))}.`,
      formatCommand({ kind: 'show', uploadId }),
    );
  }
  return { kind: 'show', uploadId };
}

/** `show imports` (all of them) or `show import <importId>` (one); `show imports <id>` reads as the latter. */
function parseShowImport(plural: boolean, args: string[]): Command | ParseFailure {
  if (args.length === 0) {
    return plural ? { kind: 'showImports' } : failure('syntax', rich`${word('show import')} needs the id of the import to show, or type ${word('show imports')} for all of them.`, 'show imports');
  }
  const importId = normaliseUploadId(args[0]!);
  if (!importId) return failure('badId', badIdMessage(args[0]!, 'import'));
  if (args.length > 1) {
    return failure(
      'syntax',
      rich`${word('show import')} takes only an import id, but more followed it: ${typed(args.slice(1).join(' '))}.`,
      formatCommand({ kind: 'showImport', importId }),
    );
  }
  return { kind: 'showImport', importId };
}

/** `list uploads` and `list uploads <status>` (`list` alone and `list upload` mean the same). */
function parseList(rest: string[]): Command | ParseFailure {
  let args = rest;
  if (args.length > 0 && /^uploads?$/i.test(args[0]!)) {
    args = args.slice(1);
  } else if (args.length > 0 && /^imports?$/i.test(args[0]!)) {
    return failure('syntax', rich`Imports are listed with ${word('show imports')}.`, 'show imports');
  } else if (args.length > 0 && !parseStatus(args.join(' '))) {
    return failure('syntax', rich`${word('list')} must be followed by ${word('uploads')}, not ${typed(args[0]!)}.`, USAGE.list);
  }
  if (args.length === 0) return { kind: 'listUploads' };
  const statusText = args.join(' ');
  const status = parseStatus(statusText);
  if (status) return { kind: 'listUploads', status };
  const suggested = suggestStatus(statusText);
  return failure('badStatus', badStatusMessage(statusText), suggested ? formatCommand({ kind: 'listUploads', status: suggested }) : USAGE.list);
}

const STATUS_SEPARATORS = new Set(['to', 'as', '=', '->', '\u2192']);

function parseSet(rest: string[]): Command | ParseFailure {
  let args = rest;
  if (args.length > 0 && /^uploads?$/i.test(args[0]!)) {
    args = args.slice(1);
  } else if (args.length > 0 && !isUploadId(args[0]!)) {
    // `set <id> to complete` is accepted as a shortcut; anything else after `set` is a mistake worth naming.
    const near = closest(args[0]!.toLowerCase(), ['upload', 'uploads']);
    const corrected = near ? parseSet(['upload', ...args.slice(1)]) : undefined;
    return failure(
      'syntax',
      rich`${word('set')} must be followed by ${word('upload')}, not ${typed(args[0]!)}.`,
      corrected && corrected.kind !== 'invalid' ? formatCommand(corrected) : USAGE.set,
    );
  }
  if (args.length === 0) return { kind: 'openForm' };

  // `set upload to complete`: the id is missing.
  if (STATUS_SEPARATORS.has(args[0]!.toLowerCase())) {
    const statusText = args.slice(1).join(' ');
    if (statusText === '') return { kind: 'openForm' };
    const status = parseStatus(statusText);
    return status ? openForm(undefined, status) : openForm(undefined, undefined, badStatusMessage(statusText));
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
    return uploadId ? openForm(uploadId) : openForm(undefined, undefined, badIdMessage(idText));
  }
  // Fully specified: a bad part is an error, not a form.
  if (!uploadId) return failure('badId', badIdMessage(idText));
  const status = parseStatus(statusText);
  if (!status) {
    const suggested = suggestStatus(statusText);
    return failure(
      'badStatus',
      badStatusMessage(statusText),
      suggested ? formatCommand({ kind: 'setStatus', uploadId, status: suggested }) : undefined,
    );
  }
  return { kind: 'setStatus', uploadId, status };
}

function unknownCommand(words: string[], suggestCorrections: boolean): ParseFailure {
  const first = words[0]!;
  const fallback = failure('unknownCommand', rich`${typed(first)} is not a command I know — type ${word('help')} to see the commands.`, 'help');
  if (!suggestCorrections) return fallback;

  const firstCompact = compact(first);
  const twoWord = words.length >= 2 ? compact(`${first}${words[1]}`) : '';
  let candidate = COMMAND_SYNONYMS[firstCompact];
  let consumed = 1;
  if (!candidate) {
    // A prefix stands for a command only on its own (`unsub`): `sign in` is not a short `sign out`.
    const near = closest(firstCompact, Object.keys(COMMAND_WORDS), words.length === 1);
    if (near) candidate = COMMAND_WORDS[near];
  }
  if (!candidate && twoWord) {
    const near = closest(twoWord, ['signout', 'logout']);
    if (near) [candidate, consumed] = ['sign out', 2];
  }

  if (candidate) {
    const corrected = parseWords([...candidate.split(' '), ...words.slice(consumed)], false);
    const suggestion = corrected.kind !== 'invalid' ? formatCommand(corrected) : correctedSuggestion(corrected) ?? USAGE[candidate] ?? candidate;
    return failure('unknownCommand', rich`${typed(first)} is not a command I know — did you mean ${word(suggestion)}?`, suggestion);
  }
  const uploadId = words.map((word) => normaliseUploadId(word)).find((id) => id !== undefined);
  if (uploadId) {
    const suggestion = formatCommand({ kind: 'show', uploadId });
    return failure('unknownCommand', rich`${typed(first)} is not a command I know — did you mean ${word(suggestion)}?`, suggestion);
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

// --- messages ----------------------------------------------------------------------------------------------------

const STATUS_LIST = rich`${joinRich(UPLOAD_STATUSES.slice(0, -1).map((s) => [word(s)]), ', ')} and ${word(UPLOAD_STATUSES[UPLOAD_STATUSES.length - 1]!)}`;

export function badStatusMessage(statusText: string): RichText {
  const suggested = suggestStatus(statusText);
  return suggested
    ? rich`${typed(statusText)} is not a status — did you mean ${word(suggested)}? The statuses are ${STATUS_LIST}.`
    : rich`${typed(statusText)} is not a status — the statuses are ${STATUS_LIST}.`;
}

export function badIdMessage(idText: string, what: 'upload' | 'import' = 'upload'): RichText {
  const detail = idDetail(idText);
  return rich`${typed(idText)} is not a valid ${what} id${detail ? rich` (${detail})` : ''} — an ${what} id is a GUID like ${word(EXAMPLE_UPLOAD_ID)}.`;
}

/** Why an attempted GUID is not one, when it looks like an attempt at all (hex digits and dashes). */
function idDetail(idText: string): RichText | undefined {
  const bare = idText.replace(/^\{/, '').replace(/\}$/, '');
  if (!/^[0-9a-z-]{20,50}$/i.test(bare) || !bare.includes('-')) return undefined;
  const nonHex = /[^0-9a-f-]/i.exec(bare)?.[0];
  if (nonHex) return rich`${typed(nonHex)} is not a hexadecimal digit`;
  if (bare.length !== 36) return rich`it has ${String(bare.length)} characters; a GUID has 36`;
  return rich`its groups of digits must be 8-4-4-4-12 long`;
}

/** Text from the person, made safe to echo: bounded, single-line, no control or format (bidi) characters. */
function echo(s: string): string {
  const cleaned = s
    .slice(0, ECHO_LIMIT * 4)
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(cleaned); // by code point, so an emoji is never cut in half
  return chars.length > ECHO_LIMIT ? `${chars.slice(0, ECHO_LIMIT - 1).join('')}…` : cleaned;
}

/** The person's text, named in bold: echoed safely (bounded, no controls). */
function typed(s: string): TextPart {
  return bold(echo(s));
}

/** A word the bot composed (keyword, usage, normalised id or status), named in bold and shown in full. */
function word(s: string): TextPart {
  return bold(s);
}

function failure(reason: ParseFailureReason, message: RichText, suggestion?: string): ParseFailure {
  return suggestion === undefined ? { kind: 'invalid', reason, message } : { kind: 'invalid', reason, message, suggestion };
}

function openForm(uploadId?: string, status?: UploadStatus, problem?: RichText): Extract<Command, { kind: 'openForm' }> {
  return {
    kind: 'openForm',
    ...(uploadId !== undefined && { uploadId }),
    ...(status !== undefined && { status }),
    ...(problem !== undefined && problem.length > 0 && { problem }),
  };
}

function stringField(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}
