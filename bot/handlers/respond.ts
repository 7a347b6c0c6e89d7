/** Turning outcomes into what Teams shows: cards as messages, invoke answers, error cards. */
import { type AdaptiveCardInvokeResponse, type Attachment, MessageFactory, type TurnContext } from 'botbuilder';
import { noticeCard, type NoticeCardData } from '../../cards';

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

export { cardForError } from '../views';
