/**
 * The commands that act on Graph, run once the user has a credential — straight away, or after
 * Teams completed SSO for a parked command.
 */
import type { TokenCredential } from '@azure/identity';
import type { TurnContext } from 'botbuilder';
import * as views from '../views';
import type { Command } from '../commands/parse';
import type { Services } from '../services';
import type { Requester, StoredChange } from '../state/changes';
import { whereOf, scopeOf } from '../teams/activity';
import { setOutcome } from '../teams/outcome';
import { diagCardFor } from './diag';
import { type BrowseCommand, isBrowseCommand, runBrowseCommand } from './browse';
import { cardForError, sendCard } from './respond';

export type GraphCommand = Extract<Command, { kind: 'setStatus' } | { kind: 'diag' }> | BrowseCommand;

export const needsGraph = (c: Command): c is GraphCommand => c.kind === 'setStatus' || c.kind === 'diag' || isBrowseCommand(c);

export async function runGraphCommand(
  context: TurnContext,
  services: Services,
  command: GraphCommand,
  actor: Requester,
  credential: TokenCredential,
): Promise<void> {
  if (command.kind === 'diag') {
    await sendCard(context, await diagCardFor(services, actor, credential));
    setOutcome(context, 'diag');
    return;
  }
  if (isBrowseCommand(command)) {
    await runBrowseCommand(context, services, command, actor, credential);
    return;
  }
  const client = services.uploads(credential);
  try {
    const upload = await client.get(command.uploadId);
    const change = await services.changes.create({
      uploadId: upload.id,
      requestedStatus: command.status,
      requester: actor,
      scope: scopeOf(context.activity),
      conversationId: context.activity.conversation.id,
      where: whereOf(context.activity),
      seen: { status: upload.status, createdDateTimeUtc: upload.createdDateTimeUtc },
    });
    const cardActivityId = await sendCard(context, views.confirmation(change, upload));
    if (cardActivityId) await rememberCard(services, change, cardActivityId);
    setOutcome(context, 'confirmation-sent');
  } catch (err) {
    await sendCard(context, cardForError(err));
    setOutcome(context, `graph-error:${(err as { code?: string }).code ?? 'unknown'}`);
  }
}

/**
 * In a channel Teams does no message-level SSO: the request is posted for everyone, and the
 * requester's own client refreshes it (card-level SSO) into the confirmation only they see.
 */
export async function postChannelRequest(
  context: TurnContext,
  services: Services,
  command: Extract<Command, { kind: 'setStatus' }>,
  actor: Requester,
): Promise<void> {
  const change = await services.changes.create({
    uploadId: command.uploadId,
    requestedStatus: command.status,
    requester: actor,
    scope: 'channel',
    conversationId: context.activity.conversation.id,
    where: whereOf(context.activity),
  });
  const cardActivityId = await sendCard(context, views.channelRequest(change));
  if (cardActivityId) await rememberCard(services, change, cardActivityId);
  setOutcome(context, 'channel-request-posted');
}

/**
 * Stores which message carries the change's card (channel Confirms update it for everyone). From
 * the version create() returned, so no read — unless a click was faster than this write.
 */
async function rememberCard(services: Services, change: StoredChange, cardActivityId: string): Promise<void> {
  if (await services.changes.update(change, { cardActivityId })) return;
  const latest = await services.changes.load(change.key);
  if (latest && !latest.cardActivityId) await services.changes.update(latest, { cardActivityId });
}
