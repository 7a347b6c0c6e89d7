/** The set-upload form's submission read as a command (the form's own inputs, not the chat grammar). */
import { FORM_INPUTS } from '../../cards/ids';
import { type RichText, joinRich } from '../../cards/text';
import { normaliseUploadId } from '../guid';
import { type Command, openForm } from './command';
import { badIdMessage, badStatusMessage, chooseStatusMessage, enterUploadIdMessage } from './messages';
import { parseStatus } from './status';

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
  if (!uploadId) problems.push(rawId === '' ? enterUploadIdMessage() : badIdMessage(rawId));
  if (!status) problems.push(rawStatus === '' ? chooseStatusMessage() : badStatusMessage(rawStatus));
  return openForm(uploadId, status, joinRich(problems));
}

function stringField(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}
