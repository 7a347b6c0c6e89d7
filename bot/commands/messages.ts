/**
 * Every sentence the parser says. Messages are rich text that names the words they are about in bold — what the
 * person typed and the words to use instead — as separate runs, never as Markdown (Teams would show a code span's
 * backticks literally, and typed text must never become formatting). Text from the person is echoed back truncated
 * and stripped of control characters.
 */
import { EXAMPLE_UPLOAD_ID } from '../../cards/ids';
import { type RichText, type TextPart, bold, joinRich, rich } from '../../cards/text';
import { guidProblem } from '../guid';
import { UPLOAD_STATUSES } from '../model';
import { suggestStatus } from './suggestions';

/** How much of a person's text is echoed back in a message. */
const ECHO_LIMIT = 40;

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
  const problem = guidProblem(idText);
  switch (problem?.kind) {
    case undefined:
      return undefined;
    case 'notHex':
      return rich`${typed(problem.character)} is not a hexadecimal digit`;
    case 'length':
      return rich`it has ${String(problem.length)} characters; a GUID has 36`;
    case 'groups':
      return rich`its groups of digits must be 8-4-4-4-12 long`;
  }
}

export const tooLongMessage = (length: number, limit: number): RichText =>
  rich`That message is ${length.toLocaleString('en-US')} characters long, but a command is at most ${String(limit)} characters.`;

export const emptyMessage = (): RichText => rich`The message was empty, so there is no command to run.`;

export const unknownCommandMessage = (first: string): RichText =>
  rich`${typed(first)} is not a command I know — type ${word('help')} to see the commands.`;

export const didYouMeanMessage = (first: string, suggestion: string): RichText =>
  rich`${typed(first)} is not a command I know — did you mean ${word(suggestion)}?`;

/** `sign out now`: a command without arguments, given some. */
export const noExtraWordsMessage = (name: string): RichText => rich`${word(name)} takes no extra words, so I did not run it.`;

/** `set uplaod …`, `list foo`: the keyword must be followed by `expected`. */
export const mustBeFollowedByMessage = (keyword: string, expected: string, got: string): RichText =>
  rich`${word(keyword)} must be followed by ${word(expected)}, not ${typed(got)}.`;

export const showUploadNeedsIdMessage = (): RichText => rich`${word('show upload')} needs the id of the upload to show.`;

export const showImportNeedsIdMessage = (): RichText =>
  rich`${word('show import')} needs the id of the import to show, or type ${word('show imports')} for all of them.`;

/** `show upload <id> now`: only the id may follow. */
export const onlyAnIdMessage = (name: string, what: 'upload' | 'import', extra: string): RichText =>
  rich`${word(name)} takes only ${what === 'upload' ? 'an upload' : 'an import'} id, but more followed it: ${typed(extra)}.`;

export const importsAreShownMessage = (): RichText => rich`Imports are listed with ${word('show imports')}.`;

export const enterUploadIdMessage = (): RichText => rich`Enter the upload id.`;

export const chooseStatusMessage = (): RichText => rich`Choose a status.`;

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
