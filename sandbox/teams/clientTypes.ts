/** The shapes the Teams client part hands to tests: what people see and what their actions did. */
import type { SandboxUser, UserKey } from '../directory';
import type { BlockedInput, Card, OAuthCard } from './cards';
import type { ClientInfo } from './activities';
import type { SentRecord } from './connectorApi';
import type { PopupOutcome } from './signInPopup';
import type { Activity } from './world';

/** What the client needs from the Entra stand-in: the user's Teams SSO token for an app ID URI. */
export interface SsoTokenSource {
  url: string;
  mintSsoToken(user: SandboxUser | UserKey, opts?: { audience?: string }): Promise<string>;
}

export type InvokeReason = 'execute' | 'refresh' | 'message-sso' | 'card-sso' | 'verifyState' | 'sign-in-state' | 'signin-failure' | 'search' | 'raw';

/** Every invoke a client sent, with the bot's answer. */
export interface InvokeRecord {
  seq: number;
  user: UserKey;
  /** Which of the person's clients sent it (`ViewOptions.clients`; 'desktop' by default). */
  endpoint: string;
  conversationId: string;
  name: string;
  value: unknown;
  replyToId?: string;
  reason: InvokeReason;
  /** The whole invoke activity as delivered. */
  activity: Activity;
  status: number;
  body: unknown;
  timedOut?: boolean;
  at: Date;
}

/** A sign-in button the person is looking at, because SSO was not possible or failed. */
export interface SignInPrompt {
  kind: 'oauthCard' | 'cardAction';
  /** Whose view shows it; undefined for an OAuthCard in a channel (everyone sees it). */
  user?: UserKey;
  conversationId: string;
  messageId: string;
  reason: 'channel' | 'noRequester' | 'noTokenExchangeResource' | 'uriMismatch' | 'exchangeFailed' | 'loginRequest' | 'preconditionFailed' | 'ssoTokenUnavailable';
  /** The button's URL (OAuthCard buttons[].value / loginRequest buttons[].value). */
  signInUrl?: string;
  completed: boolean;
  /**
   * Presses the button: `grant` runs first (e.g. record consent in the Entra stand-in), then the
   * popup follows `signInUrl` (the bot's start page, Entra's consent page — accepted or declined
   * per `consent` — and the page Entra returns to); only if that page calls notifySuccess does
   * Teams send `signin/verifyState {state}` (OAuthCard) or the card action again with
   * `value.state` (Universal Actions), with the state the page reported. `state` skips the popup
   * and sends that state instead (a page reporting something forged). `as` names who presses a
   * channel OAuthCard's button.
   */
  complete(opts?: { grant?: () => unknown; state?: string; consent?: 'accept' | 'decline'; as?: UserKey }): Promise<TurnResult>;
}

/** One message as a given person sees it. */
export interface ChatMessage {
  id: string;
  /** Channel messages: the thread's root post id. */
  threadId?: string;
  from: 'bot' | 'user';
  /** Who posted it (user messages). */
  user?: UserKey;
  text?: string;
  /** The Adaptive Card this person sees (their own refreshed / replaced version if any). */
  card?: Card;
  /** True when `card` is this person's own version, not the one everyone sees. */
  userSpecific: boolean;
  /** The card everyone sees (as the bot last sent it). */
  sharedCard?: Card;
  oauthCard?: OAuthCard;
  /** A sign-in button is showing for this person on this message. */
  signInShown: boolean;
  activity: Activity;
  version: number;
  deleted: boolean;
}

/** What an adaptiveCard/action did, as the person sees it (set on a TurnResult for card actions). */
export interface ActionOutcome {
  /** The invoke response body `{statusCode, type, value}` (the last one). */
  response?: { statusCode?: number; type?: string; value?: unknown };
  /** The card now shown in place of the pressed one (for this person only). */
  card?: Card;
  /** `application/vnd.microsoft.activity.message`: the text Teams shows as a toast. */
  toast?: string;
  /** An error shown on the card: `application/vnd.microsoft.error`, or a failed invoke. */
  error?: { statusCode: number; code?: string; message?: string };
  /** The client refused to send: an input failed validation. */
  blocked?: BlockedInput;
}

/** The outcome of something the person did (or the client did for them). */
export interface TurnResult extends ActionOutcome {
  /** The activity delivered to the bot (after an SSO re-send: the re-sent one). */
  activity: Activity;
  /** The bot's HTTP answer to it. */
  status: number;
  body: unknown;
  timedOut?: boolean;
  /** What the bot did in this conversation meanwhile (sends, replies, updates, deletes). */
  sent: SentRecord[];
  /** Activities the bot posted meanwhile (sends, replies, new threads), in order. */
  replies: Activity[];
  /** Invokes the client sent meanwhile: this action's, token exchanges, refreshes. */
  invokes: InvokeRecord[];
  /** A sign-in button now showing for this person, if SSO did not work out. */
  signIn?: SignInPrompt;
  signInShown: boolean;
  /** After pressing a sign-in button: where its popup went and what the last page told Teams. */
  popup?: PopupOutcome;
}

export interface ViewOptions {
  /** false = a client without Universal Actions: Action.Execute falls back, no refresh. */
  universalActions?: boolean;
  client?: Partial<ClientInfo>;
  /**
   * The person's signed-in clients, e.g. ['desktop', 'web', 'mobile'] (default ['desktop']): each
   * sends its own automatic refresh of a card meant for the person.
   */
  clients?: string[];
}

/** What a dynamic typeahead showed: the choices (at most 15, as Teams shows), or the bot's error. */
export interface SearchResult {
  status: number;
  /** The invoke response body (`application/vnd.microsoft.search.searchResponse` or an error). */
  body: unknown;
  choices: Array<{ title: string; value: string }>;
  error?: { code?: string; message?: string };
}
