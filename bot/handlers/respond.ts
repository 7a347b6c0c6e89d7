/** Turning outcomes into what Teams shows as messages: cards, notices, error cards (invoke answers: teams/invokeResponses.ts). */
import { type Attachment, MessageFactory, type TurnContext } from 'botbuilder';
import { noticeCard, type NoticeCardData } from '../../cards';

/** Sends a card as a new message; returns the message id Teams assigned. */
export async function sendCard(context: TurnContext, card: Attachment): Promise<string | undefined> {
  const sent = await context.sendActivity(MessageFactory.attachment(card));
  return sent?.id;
}

/** Sends a notice card (cancelled, signed out, refused…) as a new message. */
export function sendNotice(context: TurnContext, notice: NoticeCardData): Promise<string | undefined> {
  return sendCard(context, noticeCard(notice));
}

export { cardForError } from '../views';
