/** `changeStatus`: "Change status" on an upload list row or report — the form, prefilled; the picker's static choices when Graph can be read. */
import { changeStatusFormCard } from '../../cards';
import { normaliseUploadId } from '../commands/parse';
import { uploadChoices } from '../handlers/browse';
import type { Upload } from '../model';
import type { Verb } from './verb';

export const changeStatus: Verb = async (_context, services, { data, credential }) => {
  const uploadId = typeof data.uploadId === 'string' ? normaliseUploadId(data.uploadId) : undefined;
  if (!uploadId) return { kind: 'bad', message: 'The card did not carry a valid upload id.' };
  const choices: Upload[] = credential ? await uploadChoices(services, credential) : [];
  return {
    kind: 'card',
    card: changeStatusFormCard({ uploadId, choices: choices.map((u) => ({ uploadId: u.id, status: u.status, createdDateTimeUtc: u.createdDateTimeUtc })) }),
    outcome: 'change-status-form',
  };
};
