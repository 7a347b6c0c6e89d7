/** `browse`: a read command from a card (a channel's lookup card, "Show more" on a list, "Show" on an import), parsed again, never trusted. */
import { parseCommand } from '../commands/parse';
import { browseView, isBrowseCommand } from '../handlers/browse';
import type { Verb } from './verb';

export const browse: Verb = async (_context, services, { data, actor, credential }) => {
  const parsed = typeof data.command === 'string' ? parseCommand(data.command) : undefined;
  if (!parsed || parsed.kind === 'invalid' || !isBrowseCommand(parsed)) return { kind: 'bad', message: 'The card did not carry a command this bot can show.' };
  if (!credential) return { kind: 'signIn' };
  const view = await browseView(services, parsed, actor, credential, data.pageToken === undefined ? undefined : data.pageToken);
  return { kind: 'card', ...view };
};
