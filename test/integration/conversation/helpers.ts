/**
 * Shared setup for the end-to-end conversation suites: a fresh world per test (Entra, Graph and
 * Teams stand-ins plus the real bot in production auth mode), and small readers for what people see.
 */
import { AppCredentials } from 'botframework-connector';
import { BOT_APP, SSO_APP } from '../../../sandbox/directory';
import type { Card, ChatMessage, ChatView, TurnResult } from '../../../sandbox/teams';
import { startWorld, type World, type WorldOptions } from '../../support/world';

export { SEED } from '../../../sandbox/graph';
export { USERS } from '../../../sandbox/directory';

/**
 * Starts a world before each test and closes it after; every test also checks that no client
 * background work failed and that the bot never logged a token, secret or SSO assertion.
 */
export function useWorld(opts: WorldOptions = {}): () => World {
  let world: World | undefined;
  beforeEach(async () => {
    forgetBotTokens();
    world = await startWorld(opts);
  });
  afterEach(async () => {
    const w = world;
    world = undefined;
    if (!w) return;
    try {
      await w.teams.settled();
      expect(w.teams.clientErrors()).toEqual([]);
      expectNoSecretsIn(w.logs());
      // The SSO tokens Teams actually handed the bot, verbatim or by their signature.
      for (const token of ssoTokensSent(w)) {
        expect(w.logs()).not.toContain(token);
        expect(w.logs()).not.toContain(token.split('.')[2]!);
      }
    } finally {
      await w.close();
    }
  });
  return () => {
    if (!world) throw new Error('the world is only available inside a test');
    return world;
  };
}

/**
 * botframework-connector caches the bot's outbound channel token process-wide (the private static
 * AppCredentials.cache, keyed by app id and scope). Each world has its own Entra signing keys, so a
 * token cached from an earlier world is refused (401) by the next world's channel: start clean.
 */
export function forgetBotTokens(): void {
  (AppCredentials as unknown as { cache: Map<string, unknown> }).cache.clear();
}

/** Tokens (JWTs), the app secrets and bearer values must never reach the logs. */
export function expectNoSecretsIn(logs: string): void {
  expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./);
  expect(logs).not.toContain(SSO_APP.clientSecret);
  expect(logs).not.toContain(BOT_APP.password);
  expect(logs).not.toMatch(/bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}/i);
}

/** SSO tokens people's clients sent the bot (token exchanges and card-level SSO). */
export function ssoTokensSent(w: World): string[] {
  return w.teams
    .invokes()
    .map((i) => i.value as { token?: unknown; authentication?: { token?: unknown } } | undefined)
    .map((v) => v?.token ?? v?.authentication?.token)
    .filter((t): t is string => typeof t === 'string' && t.split('.').length === 3);
}

/** Every piece of text a person reads on a card, joined: TextBlocks, TextRuns, facts, button titles. */
export function cardText(card: Card | undefined): string {
  if (!card) return '';
  const parts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const el = node as Record<string, unknown>;
    if (el.type === 'TextBlock' && typeof el.text === 'string') parts.push(el.text);
    if (el.type === 'RichTextBlock' && Array.isArray(el.inlines)) {
      parts.push(el.inlines.map((run: { text?: unknown }) => (typeof run?.text === 'string' ? run.text : '')).join(''));
      return;
    }
    if (el.type === 'Fact') parts.push(`${el.title}: ${el.value}`);
    if (typeof el.type === 'string' && el.type.startsWith('Action.') && typeof el.title === 'string') parts.push(`[${el.title}]`);
    for (const [key, value] of Object.entries(el)) {
      if (key === 'refresh' || key === 'fallback') continue;
      if (typeof value === 'object') visit(value);
    }
  };
  visit(card.body);
  visit(card.actions);
  // Separate blocks with a space; TextRuns of one sentence stay readable either way. Zero-width spaces (where a
  // long word may break) are invisible.
  return parts.join(' ').replace(/\u200b/g, '').replace(/\s+/g, ' ');
}

/** Titles of the buttons a card shows (Action.Execute / Action.Submit …), in order. */
export function buttonTitles(card: Card | undefined): string[] {
  const titles: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const el = node as Record<string, unknown>;
    if (typeof el.type === 'string' && el.type.startsWith('Action.') && typeof el.title === 'string') titles.push(el.title);
    for (const [key, value] of Object.entries(el)) {
      if (key === 'refresh' || key === 'fallback') continue;
      if (typeof value === 'object') visit(value);
    }
  };
  visit(card?.body);
  visit(card?.actions);
  return titles;
}

/** The pending-change key a confirmation (or channel request) card carries. */
export function keyOf(card: Card | undefined): string {
  const found = JSON.stringify(card ?? {}).match(/"changeKey":"([A-Za-z0-9_-]{43})"/);
  if (!found) throw new Error('the card carries no pending-change key');
  return found[1]!;
}

/** The last bot message with an Adaptive Card, as this person sees it (fails if none). */
export function lastCardMessage(chat: ChatView): ChatMessage {
  const message = chat.lastCardMessage();
  if (!message) throw new Error(`${chat.user.key} sees no card`);
  return message;
}

/** Cards the bot posted in this turn (new messages, not updates), in order. */
export function postedCards(turn: TurnResult): Card[] {
  return turn.replies.flatMap((r) =>
    ((r.attachments ?? []) as Array<{ contentType: string; content: Card }>)
      .filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')
      .map((a) => a.content),
  );
}

/** Turn log lines the bot wrote, parsed. */
export function turnLines(world: World): Array<{ activityType: string; name?: string; outcome: string; conversation?: string }> {
  return world
    .logs()
    .split('\n')
    .filter((l) => l.includes('"msg":"turn"'))
    .map((l) => JSON.parse(l));
}

/** Asks for a change in a personal chat and returns the confirmation card's message (SSO included). */
export async function askForChange(chat: ChatView, uploadId: string, status: string): Promise<ChatMessage> {
  const turn = await chat.send(`set upload ${uploadId} to ${status}`);
  if (turn.status !== 200) throw new Error(`the bot answered ${turn.status}`);
  const message = lastCardMessage(chat);
  if (!buttonTitles(message.card).includes('Confirm')) throw new Error(`no confirmation card: ${cardText(message.card)}`);
  return message;
}

export const PATCH_PATH = /\/importedWindowsAutopilotDeviceIdentityUploads\/[^/]+$/;

/** PATCH requests Graph received (any outcome). */
export function patches(world: World): number {
  return world.graph.requests().filter((r) => r.method === 'PATCH' && PATCH_PATH.test(r.path)).length;
}
