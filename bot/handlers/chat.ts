/**
 * What the bot answers to each typed (or form-submitted) command: the command routes of
 * teams/routes.ts point here. The Graph commands run now when the user has a credential,
 * otherwise after sign-in (parked) — or, in a channel, from a button whose click signs in.
 */
import type { TurnContext } from 'botbuilder';
import { browseLookupCard, helpCard, setUploadFormCard, uploadLookupCard } from '../../cards';
import { type Command, formatCommand } from '../commands/parse';
import type { Services } from '../services';
import type { Requester } from '../state/changes';
import { actorOf, scopeOf } from '../teams/activity';
import { setOutcome } from '../teams/outcome';
import * as views from '../views';
import { type GraphCommand, postChannelRequest, runGraphCommand } from './commands';
import { sendCard, sendNotice } from './respond';

type Of<K extends Command['kind']> = Extract<Command, { kind: K }>;

export async function showHelp(context: TurnContext): Promise<void> {
  await sendCard(context, helpCard({}));
  setOutcome(context, 'help');
}

export async function openForm(context: TurnContext, _services: Services, command: Of<'openForm'>): Promise<void> {
  await sendCard(context, setUploadFormCard({ uploadId: command.uploadId, status: command.status, problem: command.problem }));
  setOutcome(context, 'form');
}

/** The commands that act as the person: without a Teams identity there is no one to act for. */
function asActor<C extends Command>(run: (context: TurnContext, services: Services, command: C, actor: Requester) => Promise<void>) {
  return async (context: TurnContext, services: Services, command: C): Promise<void> => {
    const actor = actorOf(context.activity);
    if (!actor) {
      await sendNotice(context, { title: 'Who are you?', message: 'Teams did not identify your work account, so the bot cannot act for you.', tone: 'attention' });
      setOutcome(context, 'no-identity');
      return;
    }
    await run(context, services, command, actor);
  };
}

export const signOut = asActor<Of<'signOut'>>(async (context, services, _command, actor) => {
  const had = services.sso.forget(actor);
  await sendNotice(context, {
    title: 'Signed out',
    message: had ? 'The bot has forgotten your sign-in. It will ask Teams again next time.' : 'You were not signed in to this bot.',
    tone: 'default',
  });
  setOutcome(context, 'signed-out');
});

/** `set upload … to …`; in a channel the request is posted for everyone and the requester's client refreshes it. */
export const setStatus = asActor<Of<'setStatus'>>(async (context, services, command, actor) => {
  if (scopeOf(context.activity) === 'channel') {
    await postChannelRequest(context, services, command, actor);
    return;
  }
  await asSignedIn(context, services, command, actor);
});

export const diag = asActor<Of<'diag'>>(async (context, services, command, actor) => {
  if (scopeOf(context.activity) === 'channel') {
    // The results are the asker's alone: their client refreshes this card into them.
    await sendCard(context, views.diagRequest(actor, services.clock()));
    setOutcome(context, 'diag-request-posted');
    return;
  }
  await asSignedIn(context, services, command, actor);
});

/** `list uploads`, `show upload`, `show imports`, `show import`. */
export const browse = asActor<Of<'listUploads' | 'show' | 'showImports' | 'showImport'>>(asSignedIn);

async function asSignedIn(context: TurnContext, services: Services, command: GraphCommand, actor: Requester): Promise<void> {
  const credential = services.sso.credentialFor(actor);
  if (credential) {
    await runGraphCommand(context, services, command, actor, credential);
    return;
  }
  if (scopeOf(context.activity) === 'channel' && command.kind !== 'diag') {
    // No message-level SSO in channels: offer a button whose click does card-level SSO.
    await sendCard(context, command.kind === 'show' ? uploadLookupCard({ uploadId: command.uploadId }) : browseLookupCard({ command: formatCommand(command) }));
    setOutcome(context, 'lookup-button');
    return;
  }
  const parked = await services.parked.park({ oid: actor.oid, tid: actor.tid, conversationId: context.activity.conversation.id, command });
  await context.sendActivity({ attachments: [services.sso.oauthCard(parked.exchangeId, actor)] });
  setOutcome(context, 'sso-requested');
}
