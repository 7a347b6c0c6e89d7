/** Turning outcomes into what Teams shows: cards as messages, invoke answers, error cards. */
import { type AdaptiveCardInvokeResponse, type Attachment, MessageFactory, type TurnContext } from 'botbuilder';
import { noticeCard, graphErrorCard, type NoticeCardData } from '../../cards';
import { BotError, isBotError } from '../errors';
import { notOffered } from '../views';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

/** Sends a card as a new message; returns the message id Teams assigned. */
export async function sendCard(context: TurnContext, card: Attachment): Promise<string | undefined> {
  const sent = await context.sendActivity(MessageFactory.attachment(card));
  return sent?.id;
}

/** Sends a notice card (cancelled, signed out, refused…) as a new message. */
export function sendNotice(context: TurnContext, notice: NoticeCardData): Promise<string | undefined> {
  return sendCard(context, noticeCard(notice));
}

/** Answers an Action.Execute invoke by replacing the card. */
export function cardResponse(card: Attachment): AdaptiveCardInvokeResponse {
  return { statusCode: 200, type: ADAPTIVE_CARD, value: card.content } as AdaptiveCardInvokeResponse;
}

/** Answers an Action.Execute invoke with a short message and leaves the card as it is. */
export function messageResponse(text: string): AdaptiveCardInvokeResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text } as unknown as AdaptiveCardInvokeResponse;
}

/** A malformed or unknown card action: Universal Actions' error response. */
export function badRequest(message: string): AdaptiveCardInvokeResponse {
  return {
    statusCode: 400,
    type: 'application/vnd.microsoft.error',
    value: { code: 'BadRequest', message },
  } as unknown as AdaptiveCardInvokeResponse;
}

const GRAPH_EXPLANATIONS: Partial<Record<BotError['code'], { title: string; explanation: string; hint?: string }>> = {
  not_found: { title: 'Upload not found', explanation: 'Intune has no Autopilot device-identity upload with that id.', hint: 'Check the id in Intune (Devices › Enrollment › Windows Autopilot › Devices) and try again.' },
  forbidden: { title: 'Not permitted', explanation: 'Microsoft Graph refused: your account lacks DeviceManagementServiceConfig.ReadWrite.All for this app.', hint: 'Ask an Intune administrator to grant the permission (admin consent), then try again.' },
  throttled: { title: 'Intune is busy', explanation: 'Microsoft Graph is throttling requests right now; nothing was changed.', hint: 'Wait a minute and try again.' },
  unavailable: { title: 'Microsoft Graph is unavailable', explanation: 'Graph did not answer successfully; nothing was changed.', hint: 'Try again in a few minutes.' },
  timeout: { title: 'No answer from Microsoft Graph', explanation: 'Graph did not answer in time; the change may or may not have been applied.', hint: 'Use "show upload <id>" to see the current status before trying again.' },
  invalid_request: { title: 'Request rejected', explanation: 'Microsoft Graph rejected the request.' },
  sign_in_failed: { title: 'Sign-in failed', explanation: 'Microsoft Entra ID did not accept the sign-in for this bot.', hint: 'Type "sign out", then try again.' },
  consent_required: { title: 'Consent needed', explanation: 'This bot needs permission to manage Autopilot uploads on your behalf.', hint: 'Ask an administrator to grant admin consent for the app, then try again.' },
};

/** The card that explains a failure; unknown failures are rethrown for onTurnError. */
export function cardForError(err: unknown): Attachment {
  if (!isBotError(err)) throw err;
  switch (err.code) {
    case 'personal_account':
      return noticeCard({ title: 'Work or school account needed', message: err.message, tone: 'attention' });
    case 'tenant_not_allowed':
      return noticeCard({ title: 'Organization not allowed', message: 'Your organization is not on this bot\'s list of allowed tenants.', tone: 'attention' });
    case 'sso_token_invalid':
      return noticeCard({ title: 'Sign-in rejected', message: err.message, tone: 'attention' });
    case 'not_offered':
      return notOffered(err);
    default: {
      const e = GRAPH_EXPLANATIONS[err.code] ?? { title: 'Something failed', explanation: err.message };
      return graphErrorCard({
        title: e.title,
        explanation: err.code === 'invalid_request' ? err.message : e.explanation,
        code: err.details.serviceCode,
        requestId: err.details.requestId,
        hint: e.hint,
      });
    }
  }
}
