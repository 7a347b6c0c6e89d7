/**
 * The Teams client's part: what a person's Teams app does on its own when the bot posts or
 * answers (what the person does is in chatView.ts).
 *
 * - Message-level SSO ("Enable SSO for your bot app", msteams-docs): an OAuthCard whose
 *   tokenExchangeResource.uri is the app's SSO resource makes the client fetch the user's token
 *   and send `signin/tokenExchange` — once per signed-in endpoint (`tokenExchangeCopies`), in
 *   personal and group chats only ("not supported in channel scope"). If no copy is answered 200,
 *   the person is left with the card's sign-in button. Pressing it opens the button's URL in a popup
 *   (signInPopup.ts: the bot's start page → Entra's consent page → the bot's end page); only when
 *   that page calls `authentication.notifySuccess(state)` does Teams send `signin/verifyState
 *   {state}`. A resource that does not match, or no SSO token, is also reported to the bot as
 *   `signin/failure {code, message}` (resourcematchfailed, tokenmissing).
 * - Card-level SSO ("Add code to enable SSO for Adaptive Cards Universal Actions"): an
 *   adaptiveCard/action answered 401 `loginRequest` with a tokenExchangeResource is sent again
 *   with `value.authentication = {id, connectionName, token}`; a 412 `preconditionFailed` or a
 *   second login request leaves the sign-in button, whose popup (as above) ending in notifySuccess
 *   sends the action again with `value.state` ("Add third party authentication to Adaptive Cards
 *   Universal Actions").
 * - Refresh ("User Specific Views"): a card with `refresh.action` (Action.Execute) is refreshed
 *   for each viewer named in `refresh.userIds` (for everyone when userIds is absent, up to 60
 *   members) with `trigger: "automatic"`; the answer is shown to that viewer alone. It happens
 *   when the person opens the chat (`view()`, or any open ChatView as messages arrive), again
 *   after the bot edits the message, and again when the person views it more than a minute after
 *   its last refresh (`reopen({afterMs})`). Each of the person's signed-in clients (desktop, web,
 *   mobile: `ViewOptions.clients`) sends its own refresh, concurrently, as real Teams does.
 */
import { EventEmitter } from 'node:events';
import { SSO_APP, USERS, type SandboxUser, type UserKey } from '../directory';
import { invokeActivity, type BotAccount, type ClientInfo, type Sender } from './activities';
import { oauthCardOf, type Card, type CardAction } from './cards';
import { ChatView } from './chatView';
import type { ActionOutcome, InvokeReason, InvokeRecord, SignInPrompt, SsoTokenSource, ViewOptions } from './clientTypes';
import type { BotMessageEvent, ConnectorApi } from './connectorApi';
import type { Delivery } from './delivery';
import { runSignInPopup, type PopupOutcome } from './signInPopup';
import type { WorkTracker } from './workTracker';
import type { Activity, Conversation, StoredMessage, World } from './world';

export interface ClientDeps {
  world: World;
  api: ConnectorApi;
  bot: BotAccount;
  entra: SsoTokenSource;
  ssoAppIdUri: string;
  tokenExchangeCopies: number;
  work: WorkTracker;
  defaultClient: ClientInfo;
  /** Trusted by the sign-in popup (the sandbox CA). */
  ca?: string;
  /** The clients' clock (epoch ms); `advance()` adds to it. */
  clock?: () => number;
  /** A card viewed this long after its last refresh is refreshed again (Teams: about a minute). */
  refreshAgainAfterMs?: number;
  send(activity: Activity): Promise<Delivery>;
}

/** Teams refreshes a card again when it is viewed more than about a minute after its last refresh. */
export const REFRESH_AGAIN_AFTER_MS = 60_000;

interface Refreshed {
  version: number;
  at: number;
}

interface PersonalCard {
  card: Card;
  forVersion: number;
}

const LOGIN_REQUEST = 'application/vnd.microsoft.activity.loginRequest';
const PRECONDITION_FAILED = 'application/vnd.microsoft.error.preconditionFailed';

export class TeamsClient {
  readonly events = new EventEmitter();
  readonly invokes: InvokeRecord[] = [];
  readonly prompts: SignInPrompt[] = [];
  private seq = 0;
  private readonly views = new Map<string, ChatView>();
  private readonly personalCards = new Map<string, PersonalCard>();
  private readonly refreshed = new Map<string, Refreshed>();
  /** Time that passed for the clients alone (a chat left closed), on top of `deps.clock`. */
  private elapsedMs = 0;
  private readonly senders = new Map<string, SandboxUser>();

  constructor(readonly deps: ClientDeps) {
    this.events.setMaxListeners(0);
  }

  /** The (single) view of a conversation for a person. */
  view(user: SandboxUser, conversation: Conversation, opts: ViewOptions = {}): ChatView {
    const key = `${user.key}|${conversation.id}`;
    let view = this.views.get(key);
    if (!view) {
      view = new ChatView(this, user, conversation, opts);
      this.views.set(key, view);
    } else {
      view.configure(opts);
    }
    return view;
  }

  sender(user: SandboxUser, view?: ChatView): Sender {
    return { user, client: { ...this.deps.defaultClient, ...view?.clientOverrides } };
  }

  /** Delivers an activity a person's client sends and remembers who sent it. */
  async send(user: SandboxUser, activity: Activity): Promise<Delivery> {
    this.senders.set(activity.id, user);
    return this.deps.send(activity);
  }

  async invoke(
    view: ChatView,
    name: string,
    value: unknown,
    reason: InvokeReason,
    opts: { replyToId?: string; threadId?: string; endpoint?: string } = {},
  ): Promise<{ delivery: Delivery; record: InvokeRecord }> {
    const activity = invokeActivity(view.conversation, this.sender(view.user, view), this.deps.bot, name, value, opts);
    const delivery = await this.send(view.user, activity);
    const record: InvokeRecord = {
      seq: ++this.seq,
      user: view.user.key as UserKey,
      endpoint: opts.endpoint ?? view.clients[0],
      conversationId: view.conversation.id,
      name,
      value,
      replyToId: opts.replyToId,
      reason,
      activity,
      status: delivery.status,
      body: delivery.body,
      timedOut: delivery.timedOut,
      at: new Date(),
    };
    this.invokes.push(record);
    return { delivery, record };
  }

  changed(): void {
    this.events.emit('change');
  }

  // ---- per-person card state -------------------------------------------------------------

  personalCard(user: SandboxUser, message: StoredMessage): Card | undefined {
    const own = this.personalCards.get(`${user.key}|${message.conversationId}|${message.id}`);
    return own && own.forVersion === message.version ? own.card : undefined;
  }

  setPersonalCard(user: SandboxUser, message: StoredMessage, card: Card): void {
    this.personalCards.set(`${user.key}|${message.conversationId}|${message.id}`, { card, forVersion: message.version });
    this.changed();
  }

  /** The clients' clock. */
  now(): number {
    return (this.deps.clock ?? Date.now)() + this.elapsedMs;
  }

  /** Lets time pass for the clients only (no real wait): the bot and the other stand-ins keep real time. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error('advance: ms must be a non-negative number');
    this.elapsedMs += ms;
  }

  /**
   * Whether this person's clients are due to refresh the message: never for this version, or the
   * last refresh is older than `refreshAgainAfterMs` (viewing it again then refreshes it again).
   */
  refreshDue(user: SandboxUser, message: StoredMessage): boolean {
    const last = this.refreshed.get(`${user.key}|${message.conversationId}|${message.id}`);
    return !last || last.version !== message.version || this.now() - last.at >= (this.deps.refreshAgainAfterMs ?? REFRESH_AGAIN_AFTER_MS);
  }

  /** Claims the automatic refresh of this message for this person's clients (false if not due). */
  claimRefresh(user: SandboxUser, message: StoredMessage, opts: { force?: boolean } = {}): boolean {
    if (!opts.force && !this.refreshDue(user, message)) return false;
    this.refreshed.set(`${user.key}|${message.conversationId}|${message.id}`, { version: message.version, at: this.now() });
    return true;
  }

  // ---- reacting to what the bot posts ----------------------------------------------------

  onBotMessage(event: BotMessageEvent): void {
    const { conversation, message } = event;
    this.changed();
    if (event.kind === 'deleted') return;
    if (event.kind === 'posted' && oauthCardOf(message.activity)) {
      this.deps.work.add(conversation.id, () => this.messageLevelSso(conversation, message));
    }
    // Each person with the chat open refreshes cards meant for them, as they arrive or change.
    for (const view of this.views.values()) {
      if (view.conversation.id !== conversation.id) continue;
      if (view.wantsRefresh(message)) this.deps.work.add(conversation.id, () => view.autoRefresh(message));
    }
  }

  private addPrompt(prompt: Omit<SignInPrompt, 'completed' | 'complete'>, complete: SignInPrompt['complete']): SignInPrompt {
    const full: SignInPrompt = {
      ...prompt,
      completed: false,
      complete: async (opts) => {
        const result = await complete(opts);
        // A popup that did not end in notifySuccess leaves the button where it was.
        full.completed = !result.popup || result.popup.kind === 'notifySuccess';
        this.changed();
        return result;
      },
    };
    this.prompts.push(full);
    this.changed();
    return full;
  }

  private async messageLevelSso(conversation: Conversation, message: StoredMessage): Promise<void> {
    const oauth = oauthCardOf(message.activity)!;
    const signInUrl = oauth.buttons?.find((b) => b.type === 'signin')?.value;
    const replyTo = message.activity.replyToId ? this.senders.get(message.activity.replyToId) : undefined;
    const user = conversation.kind === 'personal' ? conversation.members[0] : replyTo;
    const prompt = (reason: SignInPrompt['reason']) =>
      this.addPrompt(
        { kind: 'oauthCard', user: user?.key as UserKey | undefined, conversationId: conversation.id, messageId: message.id, reason, signInUrl },
        async (opts = {}) => {
          const who = opts.as ? this.deps.world.find(conversation.id)!.member(userOf(opts.as).teamsId) : user;
          if (!who) throw new Error('complete({as}) must name a member of the conversation who presses the button');
          await opts.grant?.();
          const view = this.view(who, conversation);
          const { state, popup } = await this.popup(signInUrl, opts);
          const result = await view.track(async () => {
            if (state === undefined) return {};
            const { delivery } = await this.invoke(view, 'signin/verifyState', { state }, 'verifyState', { threadId: message.threadId });
            return { delivery };
          });
          return popup ? { ...result, popup } : result;
        },
      );
    const failure = async (code: string, text: string) => {
      if (!user) return;
      const view = this.view(user, conversation);
      await this.invoke(view, 'signin/failure', { code, message: text }, 'signin-failure', { threadId: message.threadId });
    };
    // "SSO for a bot app in Teams is supported in one-on-one and group chat scope, and not
    // supported in channel scope": in a channel the card shows its sign-in button.
    if (conversation.kind === 'channel') return void prompt('channel');
    // A group chat card nobody asked for: no client exchanges a token, everyone sees the button.
    if (!user) return void prompt('noRequester');
    const resource = oauth.tokenExchangeResource;
    if (!resource?.id) return void prompt('noTokenExchangeResource');
    if (resource.uri !== this.deps.ssoAppIdUri) {
      prompt('uriMismatch');
      return failure('resourcematchfailed', 'The token exchange resource URI does not match the application ID URI of the app.');
    }

    const view = this.view(user, conversation);
    const copies = Array.from({ length: this.deps.tokenExchangeCopies }, async () => {
      const token = await this.deps.entra.mintSsoToken(user, ssoTokenRequest(resource.uri));
      const value = { id: resource.id, connectionName: oauth.connectionName, token };
      return this.invoke(view, 'signin/tokenExchange', value, 'message-sso', { threadId: message.threadId });
    });
    const outcomes = await Promise.allSettled(copies);
    if (outcomes.every((o) => o.status === 'rejected')) {
      prompt('ssoTokenUnavailable');
      return failure('tokenmissing', 'Failed to acquire a token from Microsoft Entra ID.');
    }
    const exchanged = outcomes.some((o) => o.status === 'fulfilled' && o.value.delivery.status === 200);
    if (!exchanged) prompt('exchangeFailed');
  }

  /**
   * The sign-in popup: the state Teams would send is what the page handed notifySuccess. A test
   * may pass `state` to play a page that reports something else (a forged or foreign state).
   */
  private async popup(signInUrl: string | undefined, opts: { state?: string; consent?: 'accept' | 'decline' }): Promise<{ state?: string; popup?: PopupOutcome }> {
    if (opts.state !== undefined) return { state: opts.state };
    const popup: PopupOutcome = signInUrl
      ? await runSignInPopup(signInUrl, { ca: this.deps.ca, consent: opts.consent })
      : { kind: 'stuck', why: 'the sign-in button has no URL', visits: [] };
    return { state: popup.kind === 'notifySuccess' ? popup.result : undefined, popup };
  }

  // ---- Universal Actions ------------------------------------------------------------------

  /**
   * Sends an adaptiveCard/action for `action` of `message` and handles the answer, including one
   * card-level SSO round trip.
   */
  async runExecute(
    view: ChatView,
    message: StoredMessage,
    action: CardAction,
    data: unknown,
    trigger: 'manual' | 'automatic',
    extra: Record<string, unknown> = {},
    endpoint?: string,
  ): Promise<{ delivery: Delivery; outcome: ActionOutcome; signIn?: SignInPrompt }> {
    // A press sends the properties the action has (the captured Teams invoke carries `title`, and
    // no id/verb when the card set none); an automatic refresh sends {type, id (empty if unset),
    // verb, data}, as in the "User Specific Views" example.
    const sentAction =
      trigger === 'automatic'
        ? { type: 'Action.Execute', id: action.id ?? '', verb: action.verb, data }
        : {
            type: 'Action.Execute',
            ...(action.title !== undefined ? { title: action.title } : {}),
            ...(action.id !== undefined ? { id: action.id } : {}),
            ...(action.verb !== undefined ? { verb: action.verb } : {}),
            data,
          };
    const value: Record<string, unknown> = { action: sentAction, trigger, ...extra };
    const reason: InvokeReason = extra.state !== undefined ? 'sign-in-state' : trigger === 'automatic' ? 'refresh' : 'execute';
    const send = (v: unknown, why: InvokeReason) =>
      this.invoke(view, 'adaptiveCard/action', v, why, { replyToId: message.id, threadId: message.threadId, endpoint });

    let { delivery } = await send(value, reason);
    let response = invokeResponseOf(delivery);
    let triedSso = false;
    // After a failed card-level exchange (412) Teams falls back to the login request's own sign-in button.
    let firstLoginButton: string | undefined;

    if (response?.statusCode === 401 && response.type === LOGIN_REQUEST) {
      const login = (response.value ?? {}) as { connectionName?: string; tokenExchangeResource?: { id: string; uri: string }; buttons?: Array<{ type: string; value?: string }> };
      firstLoginButton = login.buttons?.find((b) => b.type === 'signin')?.value;
      const resource = login.tokenExchangeResource;
      if (resource?.id && resource.uri === this.deps.ssoAppIdUri) {
        triedSso = true;
        let token: string | undefined;
        try {
          token = await this.deps.entra.mintSsoToken(view.user, ssoTokenRequest(resource.uri));
        } catch {
          token = undefined;
        }
        if (token) {
          const authentication = { id: resource.id, connectionName: login.connectionName, token };
          ({ delivery } = await send({ ...value, authentication }, 'card-sso'));
          response = invokeResponseOf(delivery);
        }
      }
    }

    const outcome: ActionOutcome = { response };
    let signIn: SignInPrompt | undefined;
    const loginButton = () => {
      const v = (response?.value ?? {}) as { buttons?: Array<{ type: string; value?: string }> };
      return v.buttons?.find((b) => b.type === 'signin')?.value ?? firstLoginButton;
    };
    const needsSignIn =
      (response?.statusCode === 401 && response.type === LOGIN_REQUEST) ||
      (triedSso && response?.statusCode === 412 && response.type === PRECONDITION_FAILED);

    if (delivery.status !== 200 || !response) {
      outcome.error = { statusCode: delivery.status, message: delivery.timedOut ? 'The bot did not answer in time.' : 'Something went wrong.' };
    } else if (needsSignIn) {
      const signInUrl = loginButton();
      signIn = this.addPrompt(
        {
          kind: 'cardAction',
          user: view.user.key as UserKey,
          conversationId: view.conversation.id,
          messageId: message.id,
          reason: response.statusCode === 412 ? 'preconditionFailed' : 'loginRequest',
          signInUrl,
        },
        async (opts = {}) => {
          await opts.grant?.();
          const { state, popup } = await this.popup(signInUrl, opts);
          const result = await view.track(async () => {
            if (state === undefined) return {};
            const again = await this.runExecute(view, message, action, data, trigger, { state });
            return { delivery: again.delivery, action: again.outcome, signIn: again.signIn };
          });
          return popup ? { ...result, popup } : result;
        },
      );
    } else if (response.statusCode === 200 && response.type === 'application/vnd.microsoft.card.adaptive') {
      outcome.card = response.value as Card;
      this.setPersonalCard(view.user, message, outcome.card);
    } else if (response.statusCode === 200 && response.type === 'application/vnd.microsoft.activity.message') {
      outcome.toast = String(response.value ?? '');
    } else if ((response.statusCode ?? 0) >= 400) {
      const v = (response.value ?? {}) as { code?: string; message?: string };
      outcome.error = { statusCode: response.statusCode!, code: v.code, message: v.message };
    }
    return { delivery, outcome, signIn };
  }
}

/**
 * Teams asks Entra for a token for the resource; Entra decides the `aud` (the app ID URI in a v1
 * token, the client id in a v2 one). For the sandbox's own SSO app let the Entra stand-in choose;
 * any other resource is named explicitly.
 */
function ssoTokenRequest(resourceUri: string): { audience?: string } {
  return resourceUri === SSO_APP.appIdUri ? {} : { audience: resourceUri };
}

function userOf(key: UserKey): SandboxUser {
  const user = USERS[key];
  if (!user) throw new Error(`no sandbox user "${key}"`);
  return user;
}

function invokeResponseOf(delivery: Delivery): ActionOutcome['response'] | undefined {
  const body = delivery.body;
  if (!body || typeof body !== 'object') return undefined;
  return body as ActionOutcome['response'];
}
