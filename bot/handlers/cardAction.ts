/**
 * Universal Actions (`adaptiveCard/action`) and their Action.Submit fallbacks: refresh/review,
 * confirm, cancel, show. Card-level SSO happens here: a verb that needs Graph and finds no
 * credential for the clicking user is answered 401 loginRequest, and Teams re-sends it with
 * `value.authentication`.
 */
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import {
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type Attachment,
  TurnContext,
} from 'botbuilder';
import { helpCard, noticeCard } from '../../cards';
import * as views from '../views';
import { CARD_VERBS } from '../../cards/ids';
import { BotError, isBotError } from '../errors';
import type { Services } from '../services';
import type { PendingChange, Requester, StoredChange } from '../state/changes';
import { actorOf } from '../teams/activity';
import { setOutcome } from '../teams/bot';
import { browseAction, changeStatusAction, showUploadAction } from './browse';
import { badRequest, cardForError, cardResponse, messageResponse, sendCard, sendNotice } from './respond';

/** What a verb decided; rendered as an invoke response or, for Action.Submit, as messages. */
type Outcome =
  | { kind: 'card'; card: Attachment; outcome: string }
  | { kind: 'message'; text: string; outcome: string }
  | { kind: 'signIn' }
  | { kind: 'bad'; message: string };

interface ActionInput {
  verb: string;
  data: Record<string, unknown>;
  actor: Requester;
  credential?: TokenCredential;
  /** The card message this action came from. */
  replyToId?: string;
  /**
   * Settles once the turn's own answer is on screen. A late result card must land after it, or
   * the "updating…" card would overwrite the result (the Action.Submit path shows its answer
   * with its own updateActivity).
   */
  answered?: Promise<unknown>;
}

export async function handleCardAction(
  context: TurnContext,
  value: AdaptiveCardInvokeValue,
  services: Services,
): Promise<AdaptiveCardInvokeResponse> {
  const actor = actorOf(context.activity);
  if (!actor) return badRequest('Teams did not identify the user who acted.');
  const verb = value.action?.verb ?? '';
  const data = isRecord(value.action?.data) ? value.action.data : {};

  let credential = services.sso.credentialFor(actor);
  const auth = value.authentication as { token?: unknown } | undefined;
  if (auth?.token !== undefined) {
    try {
      credential = (await services.sso.accept(auth.token, { oid: actor.oid })).credential;
    } catch (err) {
      if (isBotError(err, 'personal_account') || isBotError(err, 'tenant_not_allowed')) {
        setOutcome(context, `sso-refused:${err.code}`);
        return cardResponse(cardForError(err));
      }
      setOutcome(context, `sso-failed:${(err as BotError).code ?? 'error'}`);
      if (!isBotError(err)) throw err;
      return services.sso.preconditionFailed(err.message);
    }
  }

  const result = await decide(context, services, { verb, data, actor, credential, replyToId: context.activity.replyToId });
  switch (result.kind) {
    case 'card':
      setOutcome(context, result.outcome);
      return cardResponse(result.card);
    case 'message':
      setOutcome(context, result.outcome);
      return messageResponse(result.text);
    case 'signIn':
      setOutcome(context, 'sso-login-request');
      return services.sso.loginRequest(randomUUID(), actor.tid);
    case 'bad':
      setOutcome(context, 'invalid:action');
      return badRequest(result.message);
  }
}

/** The Action.Submit fallback of the same buttons: answers become messages and card updates. */
export async function handleSubmittedCardAction(
  context: TurnContext,
  services: Services,
  verb: string,
  data: Record<string, unknown>,
): Promise<void> {
  const actor = actorOf(context.activity);
  if (!actor) return;
  const credential = services.sso.credentialFor(actor);
  let markAnswered: () => void = () => undefined;
  const answered = new Promise<void>((resolve) => {
    markAnswered = resolve;
  });
  try {
    await showSubmitted(context, await decide(context, services, { verb, data, actor, credential, replyToId: context.activity.replyToId, answered }));
  } finally {
    markAnswered();
  }
}

async function showSubmitted(context: TurnContext, result: Outcome): Promise<void> {
  switch (result.kind) {
    case 'card':
      if (context.activity.replyToId) {
        await context.updateActivity({ id: context.activity.replyToId, type: 'message', attachments: [result.card] });
      } else {
        await sendCard(context, result.card);
      }
      setOutcome(context, result.outcome);
      return;
    case 'message':
      await context.sendActivity(result.text);
      setOutcome(context, result.outcome);
      return;
    case 'signIn':
      await sendNotice(context, {
        title: 'Sign-in needed',
        message: 'Your sign-in has expired. Type the command again and Teams will sign you in.',
        tone: 'warning',
      });
      setOutcome(context, 'sso-needed');
      return;
    case 'bad':
      await sendCard(context, helpCard({ problem: result.message }));
      setOutcome(context, 'invalid:action');
  }
}

async function decide(context: TurnContext, services: Services, input: ActionInput): Promise<Outcome> {
  switch (input.verb) {
    case CARD_VERBS.showUpload:
      return showUploadAction(services, input);
    case CARD_VERBS.browse:
      return browseAction(services, input);
    case CARD_VERBS.changeStatus:
      return changeStatusAction(services, input);
    case CARD_VERBS.refreshChange:
      return refresh(services, input);
    case CARD_VERBS.confirmChange:
      return confirm(context, services, input);
    case CARD_VERBS.cancelChange:
      return cancel(services, input);
    default:
      return { kind: 'bad', message: 'This card action is not one this bot knows.' };
  }
}

/** Loads the change a card refers to and answers the cases every verb shares. */
async function loadChange(services: Services, data: Record<string, unknown>): Promise<StoredChange | Outcome> {
  const change = await services.changes.load(data.changeKey);
  if (!change) {
    return {
      kind: 'card',
      card: noticeCard({ title: 'Unknown request', message: 'This confirmation is not known to the bot: it may be from an old card, or the card was altered. Nothing was changed.', tone: 'warning' }),
      outcome: 'unknown-key',
    };
  }
  return change;
}

const isOutcome = (x: StoredChange | Outcome): x is Outcome => 'kind' in x;

/** Cards for changes that can no longer be confirmed. */
function settledCard(services: Services, change: PendingChange): Outcome | undefined {
  switch (change.state) {
    case 'done':
      return { kind: 'card', card: views.result(change), outcome: 'already-done' };
    case 'cancelled':
      return { kind: 'card', card: noticeCard({ title: 'Cancelled', message: `${change.requester.name} cancelled this request. Nothing was changed.`, tone: 'default' }), outcome: 'already-cancelled' };
    case 'confirming':
      return { kind: 'card', card: views.updating(change), outcome: 'in-progress' };
    case 'failed':
      return { kind: 'card', card: noticeCard({ title: 'This request failed', message: change.failure?.message ?? 'The change could not be applied.', tone: 'attention' }), outcome: 'already-failed' };
    case 'pending':
      if (services.changes.isExpired(change)) {
        return { kind: 'card', card: noticeCard({ title: 'Expired', message: 'This confirmation expired before it was confirmed. Nothing was changed; ask again if you still want the change.', tone: 'warning' }), outcome: 'expired' };
      }
      return undefined;
  }
}

async function refresh(services: Services, { data, actor, credential }: ActionInput): Promise<Outcome> {
  const loaded = await loadChange(services, data);
  if (isOutcome(loaded)) return loaded;
  const settled = settledCard(services, loaded);
  if (settled) return settled;
  // Everyone but the requester keeps seeing the shared card.
  if (actor.oid !== loaded.requester.oid) return { kind: 'card', card: views.channelRequest(loaded), outcome: 'shared-view' };
  if (!credential) return { kind: 'signIn' };
  try {
    const upload = await services.uploads(credential).get(loaded.uploadId);
    const seen = { status: upload.status, createdDateTimeUtc: upload.createdDateTimeUtc };
    await services.changes.update(loaded, { seen });
    return { kind: 'card', card: views.confirmation({ ...loaded, seen }, upload), outcome: 'requester-view' };
  } catch (err) {
    return { kind: 'card', card: cardForError(err), outcome: `graph-error:${(err as BotError).code}` };
  }
}

async function cancel(services: Services, { data, actor }: ActionInput): Promise<Outcome> {
  const loaded = await loadChange(services, data);
  if (isOutcome(loaded)) return loaded;
  if (actor.oid !== loaded.requester.oid) return refusal(loaded, 'cancel');
  const settled = settledCard(services, loaded);
  if (settled) return settled;
  const cancelled = await services.changes.update(loaded, { state: 'cancelled' });
  if (!cancelled) return { kind: 'message', text: 'This request changed while you were cancelling it; look at the card again.', outcome: 'cancel-conflict' };
  return {
    kind: 'card',
    card: noticeCard({ title: 'Cancelled', message: `Nothing was changed: upload ${loaded.uploadId} keeps its status.`, tone: 'default' }),
    outcome: 'cancelled',
  };
}

function refusal(change: PendingChange, what: 'confirm' | 'cancel'): Outcome {
  return {
    kind: 'message',
    text: `Only ${change.requester.name}, who asked for this change, can ${what} it.`,
    outcome: `refused-not-requester:${what}`,
  };
}

async function confirm(context: TurnContext, services: Services, { data, actor, credential, answered }: ActionInput): Promise<Outcome> {
  const loaded = await loadChange(services, data);
  if (isOutcome(loaded)) return loaded;
  if (actor.oid !== loaded.requester.oid) return refusal(loaded, 'confirm');
  // A claim left by an instance that died mid-Confirm: the requester already confirmed, so finish it.
  const resuming = services.changes.isStaleClaim(loaded);
  const settled = resuming ? undefined : settledCard(services, loaded);
  if (settled) return settled;
  if (!credential) return { kind: 'signIn' };

  // The single-use gate: of any number of concurrent Confirms, one moves pending → confirming
  // (or takes over a stale claim); the claim is a compare-and-swap on the stored change.
  const claimed = await services.changes.update(loaded, { state: 'confirming', claimedAt: services.changes.clock() });
  if (!claimed) {
    const now = await services.changes.load(loaded.key);
    return (now && settledCard(services, now)) ?? { kind: 'card', card: views.updating(loaded), outcome: 'in-progress' };
  }

  const work = apply(services, claimed, credential, actor, resuming);
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), services.invokeBudgetMs);
  });
  const first = await Promise.race([work, slow]);
  clearTimeout(timer);
  const reference = TurnContext.getConversationReference(context.activity);
  const cardActivityId = context.activity.replyToId ?? claimed.cardActivityId;

  if (first === 'slow') {
    // Teams drops invokes that take ~15 s: answer now, replace the card when Graph is done.
    void Promise.all([work, answered]).then(async ([card]) => {
      await services.continueConversation(reference, async (ctx) => {
        if (cardActivityId) await ctx.updateActivity({ id: cardActivityId, type: 'message', attachments: [card] });
      });
    }).catch((err) => services.log.error({ err }, 'late card update failed'));
    return { kind: 'card', card: views.updating(claimed), outcome: 'updating' };
  }
  // In channels and group chats the shared card must change for everyone, not just the clicker.
  if (claimed.scope !== 'personal' && claimed.cardActivityId) {
    await context.updateActivity({ id: claimed.cardActivityId, type: 'message', attachments: [first] }).catch((err) =>
      services.log.warn({ err }, 'shared card update failed'));
  }
  return { kind: 'card', card: first, outcome: 'applied-or-failed' };
}

/**
 * Re-reads, PATCHes and records the outcome; returns the card that shows it. When resuming a
 * dead instance's claim, an upload already at the requested status means its PATCH landed
 * before it died: record that instead of PATCHing twice.
 */
async function apply(services: Services, change: StoredChange, credential: TokenCredential, actor: Requester, resuming = false): Promise<Attachment> {
  const client = services.uploads(credential);
  try {
    const before = await client.get(change.uploadId);
    await services.changeClaimed(change.key).catch((err) => services.log.warn({ err, uploadId: change.uploadId }, 'could not prepare the change notification'));
    const landed = resuming && before.status === change.requestedStatus;
    const after = landed ? before : await client.updateStatus(change.uploadId, change.requestedStatus);
    const previousStatus = landed ? (change.seen?.status ?? before.status) : before.status;
    const result = { previousStatus, status: after.status, createdDateTimeUtc: after.createdDateTimeUtc, at: Date.now(), by: actor.name };
    const current = await services.changes.load(change.key);
    if (current) await services.changes.update(current, { state: 'done', result });
    const announced = await services
      .changeApplied({ uploadId: change.uploadId, previousStatus: result.previousStatus, status: result.status, by: result.by, at: result.at, where: change.where, scope: change.scope, conversationId: change.conversationId })
      .then(() => true, (err) => {
        services.log.error({ err, uploadId: change.uploadId }, 'change notification failed; the prepared one will be sent instead');
        return false;
      });
    if (announced) {
      const latest = await services.changes.load(change.key);
      if (latest) await services.changes.update(latest, { announced: true });
    }
    return views.result({ ...change, state: 'done', result });
  } catch (err) {
    const e = isBotError(err) ? err : new BotError('unavailable', 'The change could not be applied.');
    const current = await services.changes.load(change.key);
    if (current) {
      await services.changes.update(current, {
        state: 'failed',
        failure: { code: e.code, message: e.message, serviceCode: e.details.serviceCode, requestId: e.details.requestId },
      });
    }
    return cardForError(e);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
