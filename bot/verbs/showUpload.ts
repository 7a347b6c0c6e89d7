/** `showUpload`: "Show" on a change notification or an upload list row — the upload and its devices. */
import { normaliseUploadId } from '../commands/parse';
import { browseView } from '../handlers/browse';
import type { Verb } from './verb';

export const showUpload: Verb = async (_context, services, { data, actor, credential }) => {
  const uploadId = typeof data.uploadId === 'string' ? normaliseUploadId(data.uploadId) : undefined;
  if (!uploadId) return { kind: 'bad', message: 'The card did not carry a valid upload id.' };
  if (!credential) return { kind: 'signIn' };
  return { kind: 'card', ...(await browseView(services, { kind: 'show', uploadId }, actor, credential)) };
};
