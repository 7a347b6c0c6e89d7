/** What the parser produces: a Command or a ParseFailure, and the canonical text of a command. Pure data. */
import type { RichText } from '../../cards/text';
import type { UploadStatus } from '../model';

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

export type CommandKind = Command['kind'];

export type ParseFailureReason = 'empty' | 'tooLong' | 'badId' | 'badStatus' | 'unknownCommand' | 'syntax';

export type ParseFailure = {
  kind: 'invalid';
  reason: ParseFailureReason;
  /** One clear sentence naming what was wrong, the words it is about in bold (`plainText()` for logs). */
  message: RichText;
  /** Something to type instead: a corrected command, a usage pattern, or `help`. */
  suggestion?: string;
};

export type ParseResult = Command | ParseFailure;

export function failure(reason: ParseFailureReason, message: RichText, suggestion?: string): ParseFailure {
  return suggestion === undefined ? { kind: 'invalid', reason, message } : { kind: 'invalid', reason, message, suggestion };
}

/** The form command, with only the parts that were given (an empty problem is no problem). */
export function openForm(uploadId?: string, status?: UploadStatus, problem?: RichText): Extract<Command, { kind: 'openForm' }> {
  return {
    kind: 'openForm',
    ...(uploadId !== undefined && { uploadId }),
    ...(status !== undefined && { status }),
    ...(problem !== undefined && problem.length > 0 && { problem }),
  };
}

/** The canonical text of a command, e.g. for "did you mean" suggestions and logs; it parses back to the command. */
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
