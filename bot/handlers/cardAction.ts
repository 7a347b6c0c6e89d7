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
import { decideClaim } from '../changes/claims';
import type { ConfirmResult } from '../changes/service';
import { type BotError, isBotError } from '../errors';
import type { Services } from '../services';
import type { PendingChange, Requester, StoredChange } from '../state/changes';
import { actorOf } from '../teams/activity';
import { escapeMarkdown } from '../teams/markdown';
import { turnAnswered } from '../teams/turnDone';
import { setOutcome } from '../teams/outcome';
import { diagCardFor, diagRefreshExpired, isChannel } from './diag';
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
      credential = (await services.sso.accept(auth.token, { oid: actor.oid, tid: actor.tid })).credential;
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
      return services.sso.loginRequest(randomUUID(), actor);
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
    case CARD_VERBS.runDiag:
      return diag(context, services, input);
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
    case 'unknown':
      return undefined;
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
    // One read per few seconds for all of the requester's clients; no state write per refresh
    // (Confirm re-reads the upload itself).
    const upload = await services.recent.uploads.get(`${loaded.key}|${actor.oid}`, () => services.uploads(credential).get(loaded.uploadId));
    return { kind: 'card', card: views.confirmation(loaded, upload), outcome: 'requester-view' };
  } catch (err) {
    return { kind: 'card', card: cardForError(err), outcome: `graph-error:${(err as BotError).code}` };
  }
}

/**
 * `diag` from its channel card: the clicker's (or refreshing requester's) own results, as their
 * user-specific view. The Action.Submit fallback would post the results for everyone, so it says
 * where to run it instead.
 */
async function diag(context: TurnContext, services: Services, { actor, credential, data }: ActionInput): Promise<Outcome> {
  const channel = isChannel(context);
  if (channel && context.activity.type === 'message') {
    return { kind: 'message', text: 'Type diag in a personal chat with the bot: here its results would be shown to everyone.', outcome: 'diag-submit-refused' };
  }
  const now = services.changes.clock();
  if (diagRefreshExpired(data.askedAt, (context.activity.value as { trigger?: unknown } | undefined)?.trigger, now)) {
    return {
      kind: 'card',
      card: noticeCard({ title: 'Check finished', message: 'This check was asked a while ago, so it no longer re-runs on its own. Type diag to run it again.', tone: 'default' }),
      outcome: 'diag-refresh-expired',
    };
  }
  if (!credential) return { kind: 'signIn' };
  const askedAt = Number(data.askedAt);
  const card = await diagCardFor(services, actor, credential, channel ? { askedAt: Number.isFinite(askedAt) ? askedAt : now } : undefined);
  return { kind: 'card', card, outcome: 'diag' };
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
    text: `Only ${escapeMarkdown(change.requester.name)}, who asked for this change, can ${what} it.`,
    outcome: `refused-not-requester:${what}`,
  };
}

async function confirm(context: TurnContext, services: Services, { data, actor, credential, answered }: ActionInput): Promise<Outcome> {
  const loaded = await loadChange(services, data);
  if (isOutcome(loaded)) return loaded;
  if (actor.oid !== loaded.requester.oid) return refusal(loaded, 'confirm');
  // Settled, expired or busy changes are shown as they are, without asking for a sign-in.
  const decision = decideClaim(loaded, services.changes.clock(), services.changeService.policy);
  if (decision.kind === 'settled' || decision.kind === 'expired' || decision.kind === 'busy') {
    return settledCard(services, loaded) ?? { kind: 'card', card: views.updating(loaded), outcome: 'in-progress' };
  }
  if (!credential) return { kind: 'signIn' };

  const work = services.changeService.confirm(loaded, actor, credential).then((result) => confirmOutcome(services, result));
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), services.invokeBudgetMs);
  });
  const first = await Promise.race([work, slow]);
  clearTimeout(timer);
  const reference = TurnContext.getConversationReference(context.activity);
  const cardActivityId = context.activity.replyToId ?? loaded.cardActivityId;

  if (first === 'slow') {
    // Teams drops invokes that take ~15 s: answer now, replace the card once the outcome is known —
    // after this turn's own answer is out, or the "updating…" card would land on top of the result.
    // Tracked, so a SIGTERM waits for the PATCH to be recorded, announced and shown.
    void services.track(
      Promise.all([work, answered ?? turnAnswered(context)]).then(async ([outcome]) => {
        if (outcome.kind !== 'card') return;
        await services.continueConversation(reference, async (ctx) => {
          if (cardActivityId) await ctx.updateActivity({ id: cardActivityId, type: 'message', attachments: [outcome.card] });
        });
      }).catch((err) => services.log.error({ err, uploadId: loaded.uploadId }, 'late card update failed')),
      `late card update (upload ${loaded.uploadId})`,
    );
    return { kind: 'card', card: views.updating(loaded), outcome: 'updating' };
  }
  // In channels and group chats the shared card must change for everyone, not just the clicker.
  if (first.kind === 'card' && loaded.scope !== 'personal' && loaded.cardActivityId) {
    await context.updateActivity({ id: loaded.cardActivityId, type: 'message', attachments: [first.card] }).catch((err) =>
      services.log.warn({ err }, 'shared card update failed'));
  }
  return first;
}

/** What the admin is told about a Confirm: applied, not applied (and why), or unknown with what Graph shows now. */
function confirmOutcome(services: Services, result: ConfirmResult): Outcome {
  switch (result.kind) {
    case 'applied':
      return { kind: 'card', card: views.result(result.change, result.note), outcome: result.note ? 'applied:verified-by-reread' : 'applied' };
    case 'notApplied':
      return { kind: 'card', card: views.notApplied(result.change, result.error, result.seen), outcome: `not-applied:${result.error.code}` };
    case 'unknown':
      return { kind: 'card', card: views.outcomeUnknown(result.change, result.error), outcome: 'unknown' };
    case 'inProgress':
      return { kind: 'card', card: views.updating(result.change), outcome: 'in-progress' };
    case 'expired':
    case 'settled':
      return settledCard(services, result.change) ?? { kind: 'card', card: views.updating(result.change), outcome: 'in-progress' };
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
