/**
 * What people do, as the bench and the soak drive it through the Teams stand-in's clients: one
 * `help` turn, and the full flow (message → confirmation card → Confirm → result card).
 */
import type { Card, ChatView, TurnResult } from '../../sandbox/teams';

/** Every piece of text a card shows (TextBlocks, TextRuns, facts, button titles), joined. */
export function cardText(card: Card | undefined): string {
  if (!card) return '';
  const parts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const el = node as Record<string, unknown>;
    if ((el.type === 'TextBlock' || el.type === 'TextRun') && typeof el.text === 'string') parts.push(el.text);
    if (el.type === 'Fact') parts.push(`${el.title}: ${el.value}`);
    if (typeof el.type === 'string' && el.type.startsWith('Action.') && typeof el.title === 'string') parts.push(`[${el.title}]`);
    for (const [key, value] of Object.entries(el)) if (key !== 'refresh' && key !== 'fallback' && typeof value === 'object') visit(value);
  };
  visit(card.body);
  visit(card.actions);
  return parts.join(' ').replace(/\u200b/g, '').replace(/\s+/g, ' ');
}

export const RESULT_TITLE = 'Upload status changed';

/** One message turn that must be answered with at least one reply (help card or echo). */
export async function replyTurn(chat: ChatView, text: string): Promise<TurnResult> {
  const turn = await chat.send(text);
  if (turn.status !== 200) throw new Error(`"${text}": the bot answered HTTP ${turn.status}`);
  if (turn.replies.length === 0) throw new Error(`"${text}": no reply`);
  return turn;
}

export interface FlowOutcome {
  /** The confirmation card's message id. */
  messageId: string;
  /** The card that replaced it after Confirm. */
  resultText: string;
  applied: boolean;
}

/**
 * The id of the newest bot message of `turn` showing a Confirm button (and naming `uploadId`, when
 * given). `turn.sent` holds everything the bot sent in the conversation meanwhile, so with flows
 * running concurrently in one chat the upload id is what tells this flow's card from another's.
 */
export function confirmationIn(chat: ChatView, turn: TurnResult, uploadId?: string): string | undefined {
  const ids = turn.sent.filter((s) => s.operation !== 'updateActivity' && s.operation !== 'deleteActivity').map((s) => s.activityId);
  for (const id of ids.reverse()) {
    const text = cardText(chat.message(id)?.card);
    if (text.includes('[Confirm]') && (!uploadId || text.includes(uploadId))) return id;
  }
  return undefined;
}

/** `set upload <id> to <status>`, then Confirm on the card it produced; throws if any step fails. */
export async function fullFlow(chat: ChatView, uploadId: string, status: string): Promise<FlowOutcome> {
  const asked = await chat.send(`set upload ${uploadId} to ${status}`);
  if (asked.status !== 200) throw new Error(`set upload: the bot answered HTTP ${asked.status}`);
  const messageId = confirmationIn(chat, asked, uploadId);
  if (!messageId) throw new Error(`set upload: no confirmation card (got: ${asked.replies.map((r) => r.text ?? cardText(r.attachments?.[0]?.content)).join(' | ').slice(0, 200)})`);
  const confirmed = await chat.press(messageId, 'Confirm');
  if (confirmed.status !== 200) throw new Error(`Confirm: the bot answered HTTP ${confirmed.status}`);
  const resultText = cardText(confirmed.card);
  return { messageId, resultText, applied: resultText.includes(RESULT_TITLE) };
}
