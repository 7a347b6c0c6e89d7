/**
 * One person's view of one conversation, and what they can do in it: type, press card buttons,
 * open the chat (refresh), sign in. Every action resolves once the bot has answered and the
 * client has stopped reacting (SSO exchanges, refreshes), with what happened meanwhile.
 */
import type { SandboxUser, UserKey } from '../directory';
import { installationUpdateActivity, messageActivity, submitActivity, type ClientInfo } from './activities';
import {
  adaptiveCardOf,
  cardVersion,
  effectiveAction,
  findAction,
  gatherInputs,
  inputsOf,
  mergeData,
  oauthCardOf,
  type BlockedInput,
  type Card,
  type CardAction,
  type InputValues,
} from './cards';
import type { TeamsClient } from './client';
import type { ActionOutcome, ChatMessage, SearchResult, SignInPrompt, TurnResult, ViewOptions } from './clientTypes';
import type { Delivery } from './delivery';
import { baseConversationId } from './ids';
import type { Activity, Conversation, StoredMessage } from './world';

export class ChatView {
  universalActions = true;
  clientOverrides: Partial<ClientInfo> = {};
  /** This person's signed-in Teams clients; each refreshes the cards meant for the person. */
  clients: string[] = ['desktop'];

  constructor(
    private readonly client: TeamsClient,
    readonly user: SandboxUser,
    readonly conversation: Conversation,
    opts: ViewOptions,
  ) {
    this.configure(opts);
  }

  configure(opts: ViewOptions): void {
    if (opts.universalActions !== undefined) this.universalActions = opts.universalActions;
    if (opts.client) this.clientOverrides = { ...this.clientOverrides, ...opts.client };
    if (opts.clients !== undefined) {
      if (opts.clients.length === 0 || new Set(opts.clients).size !== opts.clients.length) throw new Error('clients: name one or more distinct clients');
      this.clients = [...opts.clients];
    }
  }

  get conversationId(): string {
    return this.conversation.id;
  }

  // ---- what the person sees ---------------------------------------------------------------

  messages(): ChatMessage[] {
    return this.conversation.messages.map((m) => this.present(m));
  }

  message(id: string): ChatMessage | undefined {
    const m = this.conversation.message(id);
    return m ? this.present(m) : undefined;
  }

  /** The latest message that shows an Adaptive Card, as this person sees it. */
  lastCard(): Card | undefined {
    return this.lastCardMessage()?.card;
  }

  lastCardMessage(): ChatMessage | undefined {
    return this.messages().filter((m) => m.card && !m.deleted).at(-1);
  }

  lastMessage(): ChatMessage | undefined {
    return this.messages().filter((m) => m.from === 'bot' && !m.deleted).at(-1);
  }

  /**
   * Presses the sign-in button this person is looking at (the latest one) and completes the popup:
   * see SignInPrompt.complete.
   */
  completeSignIn(opts?: { grant?: () => unknown; state?: string; consent?: 'accept' | 'decline' }): Promise<TurnResult> {
    const prompt = this.signIns().at(-1);
    if (!prompt) throw new Error(`${this.user.key} has no sign-in button in this conversation`);
    return prompt.complete({ ...opts, as: this.user.key as UserKey });
  }

  /** Sign-in buttons this person is looking at in this conversation. */
  signIns(): SignInPrompt[] {
    return this.client.prompts.filter(
      (p) => p.conversationId === this.conversation.id && !p.completed && (p.user === undefined || p.user === this.user.key),
    );
  }

  private present(m: StoredMessage): ChatMessage {
    const shared = adaptiveCardOf(m.activity);
    const own = m.from === 'bot' ? this.client.personalCard(this.user, m) : undefined;
    const oauthCard = oauthCardOf(m.activity);
    return {
      id: m.id,
      threadId: m.threadId,
      from: m.from,
      user: m.user?.key as UserKey | undefined,
      text: m.deleted ? undefined : m.activity.text,
      card: m.deleted ? undefined : (own ?? shared),
      userSpecific: !m.deleted && own !== undefined,
      sharedCard: m.deleted ? undefined : shared,
      oauthCard: m.deleted ? undefined : oauthCard,
      signInShown: this.signIns().some((p) => p.messageId === m.id),
      activity: m.activity,
      version: m.version,
      deleted: m.deleted,
    };
  }

  // ---- what the person does ---------------------------------------------------------------

  /** Types a message (in a channel: a new post; in group chats and channels it @mentions the bot). */
  send(text: string): Promise<TurnResult> {
    return this.post(text);
  }

  /** Replies in a channel thread. */
  reply(threadId: string, text: string): Promise<TurnResult> {
    if (this.conversation.kind !== 'channel') throw new Error('reply() is for channel threads; use send() in chats');
    return this.post(text, threadId);
  }

  private post(text: string, threadId?: string): Promise<TurnResult> {
    const activity = messageActivity(this.conversation, this.client.sender(this.user, this), this.client.deps.bot, text, { threadId });
    this.conversation.messages.push({
      id: activity.id,
      conversationId: this.conversation.id,
      threadId: this.conversation.kind === 'channel' ? (threadId ?? activity.id) : undefined,
      from: 'user',
      user: this.user,
      activity,
      version: 1,
      deleted: false,
    });
    this.client.changed();
    return this.track(async () => ({ delivery: await this.client.send(this.user, activity) }));
  }

  /**
   * Presses a button on a card: Action.Execute (Universal Actions) or Action.Submit, whichever
   * this client runs for it (see `universalActions`). `target` is a message id, a message, or a
   * card as returned by messages()/lastCard().
   */
  press(target: string | ChatMessage | Card, titleOrVerb: string, inputs?: InputValues): Promise<TurnResult> {
    const { message, card } = this.resolve(target);
    const pressed = findAction(card, titleOrVerb);
    if (!pressed) throw new Error(`no button "${titleOrVerb}" on the card of message ${message.id}`);
    const action = effectiveAction(card, pressed, this.universalActions);
    if (!action) throw new Error(`button "${titleOrVerb}" is not shown by this client (Action.Execute without fallback)`);
    if (action.type === 'Action.Execute') return this.runAction(message, card, action, inputs, 'manual');
    if (action.type === 'Action.Submit') return this.runSubmit(message, card, action, inputs);
    throw new Error(`button "${titleOrVerb}" is ${action.type}, which sends nothing to the bot`);
  }

  /** Presses an Action.Execute button (errors if this client would run something else). */
  execute(target: string | ChatMessage | Card, titleOrVerb: string, inputs?: InputValues): Promise<TurnResult> {
    const { message, card } = this.resolve(target);
    const pressed = findAction(card, titleOrVerb);
    if (!pressed) throw new Error(`no button "${titleOrVerb}" on the card of message ${message.id}`);
    const action = effectiveAction(card, pressed, this.universalActions);
    if (action?.type !== 'Action.Execute') {
      throw new Error(`button "${titleOrVerb}" runs ${action?.type ?? 'nothing'} on this client, not Action.Execute; use press()`);
    }
    return this.runAction(message, card, action, inputs, 'manual');
  }

  /** Presses an Action.Submit button (or the Action.Submit fallback of an Action.Execute on this client). */
  submit(target: string | ChatMessage | Card, title: string, inputs?: InputValues): Promise<TurnResult> {
    const { message, card } = this.resolve(target);
    const pressed = findAction(card, title);
    if (!pressed) throw new Error(`no button "${title}" on the card of message ${message.id}`);
    const action = pressed.type === 'Action.Submit' ? pressed : effectiveAction(card, pressed, false);
    if (action?.type !== 'Action.Submit') throw new Error(`button "${title}" has no Action.Submit behaviour`);
    return this.runSubmit(message, card, action, inputs);
  }

  /** Opens the chat: refreshes every card due a refresh for this person, then returns what they see. */
  async view(): Promise<ChatMessage[]> {
    await Promise.all(
      this.conversation.messages.filter((m) => this.wantsRefresh(m)).map((m) => this.track(() => this.autoRefresh(m).then((delivery) => ({ delivery })))),
    );
    return this.messages();
  }

  /**
   * Comes back to the chat after it was closed for `afterMs` (on the clients' clock: no real wait):
   * cards last refreshed a minute or more ago (`refreshAgainAfterMs`) are refreshed again, by each
   * of the person's clients, as Teams does when a card is viewed again.
   */
  reopen(opts: { afterMs?: number } = {}): Promise<ChatMessage[]> {
    this.client.advance(opts.afterMs ?? 0);
    return this.view();
  }

  /** "Refresh" from the message's options menu: a refresh invoke even if one already ran. */
  refresh(target: string | ChatMessage | Card): Promise<TurnResult> {
    const { message } = this.resolve(target);
    const card = adaptiveCardOf(message.activity);
    const action = card?.refresh?.action;
    if (!card || !action || effectiveAction(card, action, this.universalActions)?.type !== 'Action.Execute') {
      throw new Error(`message ${message.id} has no refresh action this client can run`);
    }
    this.client.claimRefresh(this.user, message, { force: true });
    return this.track(async () => {
      const r = await this.client.runExecute(this, message, action, mergeData(action.data, {}), 'automatic');
      return { delivery: r.delivery, action: r.outcome, signIn: r.signIn };
    });
  }

  /**
   * Types into a dynamic typeahead (`Input.ChoiceSet` with `choices.data` `Data.Query`): the client sends
   * `application/search` with `{ queryText, dataset, queryOptions: { skip, top } }` and shows at most 15 results.
   */
  async search(target: string | ChatMessage | Card, inputId: string, queryText: unknown, opts: { skip?: number; top?: number } = {}): Promise<SearchResult> {
    const { message, card } = this.resolve(target);
    const input = inputsOf(card).find((i) => i.id === inputId);
    const query = input?.element['choices.data'];
    if (!input || input.type !== 'Input.ChoiceSet' || query?.type !== 'Data.Query') throw new Error(`input "${inputId}" is not a dynamic typeahead`);
    const value = { queryText, dataset: query.dataset, queryOptions: { skip: opts.skip ?? 0, top: opts.top ?? query.count ?? 15 } };
    const { delivery } = await this.client.invoke(this, 'application/search', value, 'search', { replyToId: message.id, threadId: message.threadId });
    const body = delivery.body as { statusCode?: number; type?: string; value?: { results?: Array<{ title: string; value: string }>; code?: string; message?: string } } | undefined;
    const ok = delivery.status === 200 && body?.statusCode === 200 && body.type === 'application/vnd.microsoft.search.searchResponse';
    return {
      status: body?.statusCode ?? delivery.status,
      body,
      choices: ok ? (body!.value?.results ?? []).slice(0, 15) : [],
      ...(ok ? {} : { error: { code: body?.value?.code, message: body?.value?.message } }),
    };
  }

  /** Sends an arbitrary invoke from this person (edge cases). */
  invoke(name: string, value: unknown, opts: { replyToId?: string } = {}): Promise<TurnResult> {
    return this.track(async () => ({ delivery: (await this.client.invoke(this, name, value, 'raw', opts)).delivery }));
  }

  /** Waits until `predicate` returns something truthy for what this person sees, and returns it. */
  async waitFor<T>(predicate: (messages: ChatMessage[]) => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.client.deps.work.settled(this.conversation.id);
      const found = predicate(this.messages());
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`waitFor: nothing matched within ${timeoutMs} ms in ${this.conversation.kind} ${this.conversation.id}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 250));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.client.events.once('change', done);
      });
    }
  }

  /** Installs the app in this personal chat / group chat (installationUpdate add). */
  async installBot(): Promise<TurnResult> {
    this.conversation.botInstalled = true;
    const activity = installationUpdateActivity(this.conversation, this.client.sender(this.user, this), this.client.deps.bot, 'add');
    return this.track(async () => ({ delivery: await this.client.send(this.user, activity) }));
  }

  /** Removes the app (the bot leaves the roster first, then receives installationUpdate remove). */
  async uninstallBot(): Promise<TurnResult> {
    this.conversation.botInstalled = false;
    const activity = installationUpdateActivity(this.conversation, this.client.sender(this.user, this), this.client.deps.bot, 'remove');
    return this.track(async () => ({ delivery: await this.client.send(this.user, activity) }));
  }

  // ---- internals --------------------------------------------------------------------------

  wantsRefresh(message: StoredMessage): boolean {
    if (message.from !== 'bot' || message.deleted || !this.universalActions) return false;
    const card = adaptiveCardOf(message.activity);
    const action = card?.refresh?.action;
    if (!card || action?.type !== 'Action.Execute' || cardVersion(card) < 1.4) return false;
    const userIds: unknown = card.refresh.userIds;
    const forMe = Array.isArray(userIds) && userIds.length > 0
      ? userIds.includes(this.user.teamsId)
      : this.conversation.members.length <= 60;
    return forMe && !this.alreadyRefreshed(message);
  }

  private alreadyRefreshed(message: StoredMessage): boolean {
    return !this.client.refreshDue(this.user, message);
  }

  /** Every client of this person refreshes the card, at once (each its own invoke and SSO round trip). */
  async autoRefresh(message: StoredMessage): Promise<Delivery | undefined> {
    if (!this.client.claimRefresh(this.user, message)) return undefined;
    const action = adaptiveCardOf(message.activity)!.refresh.action as CardAction;
    const runs = await Promise.all(
      this.clients.map((endpoint) => this.client.runExecute(this, message, action, mergeData(action.data, {}), 'automatic', {}, endpoint)),
    );
    return runs[0].delivery;
  }

  private runAction(message: StoredMessage, card: Card, action: CardAction, inputs: InputValues | undefined, trigger: 'manual'): Promise<TurnResult> {
    const { values, blocked } = gatherInputs(card, action, inputs);
    if (blocked) return Promise.resolve(this.blockedResult(blocked));
    return this.track(async () => {
      const r = await this.client.runExecute(this, message, action, mergeData(action.data, values), trigger);
      return { delivery: r.delivery, action: r.outcome, signIn: r.signIn };
    });
  }

  private runSubmit(message: StoredMessage, card: Card, action: CardAction, inputs: InputValues | undefined): Promise<TurnResult> {
    const { values, blocked } = gatherInputs(card, action, inputs);
    if (blocked) return Promise.resolve(this.blockedResult(blocked));
    const data = action.data;
    const msteams = data && typeof data === 'object' ? (data as Record<string, any>).msteams : undefined;
    const sender = this.client.sender(this.user, this);
    let activity: Activity;
    if (msteams?.type === 'imBack') {
      activity = messageActivity(this.conversation, sender, this.client.deps.bot, String(msteams.value ?? ''), { threadId: message.threadId });
    } else if (msteams?.type === 'messageBack') {
      activity = submitActivity(this.conversation, sender, this.client.deps.bot, mergeData(msteams.value, values), message.id, {
        threadId: message.threadId,
        text: msteams.text,
      });
    } else if (msteams?.type) {
      throw new Error(`Action.Submit with msteams.type "${msteams.type}" is not modelled`);
    } else {
      activity = submitActivity(this.conversation, sender, this.client.deps.bot, mergeData(data, values), message.id, { threadId: message.threadId });
    }
    return this.track(async () => ({ delivery: await this.client.send(this.user, activity) }));
  }

  private blockedResult(blocked: BlockedInput): TurnResult {
    return { activity: {}, status: 0, body: undefined, sent: [], replies: [], invokes: [], signInShown: false, blocked };
  }

  private resolve(target: string | ChatMessage | Card): { message: StoredMessage; card: Card } {
    let message: StoredMessage | undefined;
    if (typeof target === 'string') message = this.conversation.message(target);
    else if ('activity' in target && 'version' in target && typeof target.id === 'string') message = this.conversation.message(target.id);
    else message = this.conversation.messages.find((m) => m.from === 'bot' && this.present(m).card === target);
    if (!message || message.deleted) throw new Error('no such message in this conversation');
    const card = this.present(message).card;
    if (!card) throw new Error(`message ${message.id} has no Adaptive Card`);
    return { message, card };
  }

  /**
   * Runs something the person does and collects what followed in this conversation: the bot's
   * posts, the client's own invokes, any sign-in button — after the client stopped reacting.
   */
  async track(
    run: () => Promise<{ delivery?: Delivery; action?: ActionOutcome; signIn?: SignInPrompt }>,
  ): Promise<TurnResult> {
    const sentMark = this.client.deps.api.sent.length;
    const invokeMark = this.client.invokes.length;
    const promptMark = this.client.prompts.length;
    const { delivery, action, signIn } = await run();
    await this.client.deps.work.settled(this.conversation.id);
    const here = (id: string) => baseConversationId(id) === this.conversation.id;
    const sent = this.client.deps.api.sent.slice(sentMark).filter((s) => here(s.conversationId));
    const prompt =
      signIn ??
      this.client.prompts
        .slice(promptMark)
        .filter((p) => p.conversationId === this.conversation.id && (p.user === undefined || p.user === this.user.key))
        .at(-1);
    return {
      activity: delivery?.activity ?? {},
      status: delivery?.status ?? 0,
      body: delivery?.body,
      ...(delivery?.timedOut ? { timedOut: true } : {}),
      sent,
      replies: sent.filter((s) => s.operation !== 'updateActivity' && s.operation !== 'deleteActivity' && s.activity?.type === 'message').map((s) => ({ ...s.activity, id: s.activityId })),
      invokes: this.client.invokes.slice(invokeMark).filter((i) => i.conversationId === this.conversation.id),
      ...(prompt ? { signIn: prompt } : {}),
      signInShown: prompt !== undefined && !prompt.completed,
      ...action,
    };
  }
}
