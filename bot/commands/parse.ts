/**
 * The command parser's public face: what the handlers, the router and the tests import. The parts live beside it:
 *   grammar.ts      the table of commands (help card, command menu, README) and their parsers
 *   command.ts      Command / ParseFailure and the canonical text of a command
 *   tokenize.ts     text as Teams delivers it → words
 *   status.ts       statuses in friendly spellings
 *   suggestions.ts  "did you mean": statuses and command words
 *   messages.ts     every sentence the parser says (rich text, typed text echoed safely)
 *   form.ts         the set-upload form's submission
 *   ../guid.ts      ids (upload, import and every other GUID)
 */
export { type Command, type CommandKind, type ParseFailure, type ParseFailureReason, formatCommand } from './command';
export { COMMANDS, type CommandSpec, MAX_COMMAND_LENGTH, type Scope, parseCommand } from './grammar';
export { parseFormSubmission } from './form';
export { badIdMessage, badStatusMessage } from './messages';
export { parseStatus } from './status';
export { suggestStatus } from './suggestions';
export { isUploadId, normaliseImportId, normaliseUploadId } from '../guid';
export { UPLOAD_STATUSES, type UploadStatus } from '../model';
