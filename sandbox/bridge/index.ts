/**
 * The bridge between the Microsoft 365 Agents Playground and the bot (DESIGN.md, "The sandbox").
 *
 * To the Playground it is the bot: the Playground's BOT_ENDPOINT is `<bridge>/api/messages`.
 * To the bot it is Teams: it signs each activity like the Bot Connector (serviceUrl = the bridge),
 * serves the Connector API the bot calls back (checking the bot's token), and passes those calls
 * on to the Playground's own Connector. On the way it does the Teams client's part the Playground
 * lacks: message-level SSO in personal and group chats, card-level SSO everywhere, and the
 * automatic refresh of cards whose `refresh.userIds` name the Playground's current user. The
 * Playground cannot complete a sign-in page, so the bridge presses the last sign-in button shown
 * (`completeSignIn`, or `POST /_bridge/sign-in {conversationId?, consent?}`): it follows the
 * button's URL like Teams' popup (sandbox/teams/signInPopup.ts) and — like Teams — sends
 * `signin/verifyState` (or the card action again with `value.state`) only after the end page
 * called notifySuccess, with the state that page reported.
 *
 *   const bridge = await startBridge({ certs, entra, botAppId, ssoAppIdUri, viewer: 'alex', botEndpoint });
 *   // Playground: BOT_ENDPOINT=bridge.messagesUrl; bot: ToBotFromChannelOpenIdMetadataUrl=bridge.openIdMetadataUrl
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxCerts } from '../certs';
import { USERS, type SandboxUser, type UserKey } from '../directory';
import { BodyTooLargeError, listenHttps, readBody, sendJson } from '../http';
import { BotTokenRejected, BotTokenValidator } from '../teams/botTokenValidator';
import { adaptiveCardOf, ADAPTIVE_CARD, cardVersion, oauthCardOf } from '../teams/cards';
import { ChannelSigner } from '../teams/channelSigning';
import type { SsoTokenSource } from '../teams/clientTypes';
import { CONNECTOR_ERRORS, UNAUTHORIZED } from '../teams/connectorErrors';
import { deliver, type Delivery } from '../teams/delivery';
import { baseConversationId, newMessageId } from '../teams/ids';
import { WorkTracker } from '../teams/workTracker';
import type { Activity } from '../teams/world';
import { Conversations, type KnownConversation } from './conversations';
import { invokeFrom } from './invokes';
import { callPlayground } from './playground';
import { runSignInPopup, type PopupOutcome } from '../teams/signInPopup';
import { deliverWithCardSso, invokeResponseOf, LOGIN_REQUEST, ssoTokenFor, wantsMessageSso, type SsoSettings } from './sso';

export const DEFAULT_BRIDGE_PORT = 3979;

export interface BridgeOptions {
  certs: SandboxCerts;
  /** 0 = any free port (tests); default 3979. */
  port?: number;
  entra: SsoTokenSource;
  /** The bot's messaging endpoint (or later: setBotEndpoint). */
  botEndpoint?: string;
  botAppId: string;
  /** The app's webApplicationInfo.resource: only OAuthCards / login requests naming it get SSO. */
  ssoAppIdUri: string;
  /** The Playground's current user (its config's currentUser): whose view refreshed cards are. */
  viewer: UserKey;
  /** The Playground's Connector, used until a conversation tells the bridge its serviceUrl. */
  playgroundServiceUrl?: string;
  /** Token exchanges sent per OAuthCard, one per signed-in endpoint (default 1). */
  tokenExchangeCopies?: number;
  /** Teams gives up on the bot after ~15 s. */
  deliveryTimeoutMs?: number;
  /** PEM of the channel signing key; default: the process's (see ChannelSigner). */
  signingKeyPem?: string;
}

/** One thing the bridge did, for tests and the launcher's debug log. */
export type BridgeEvent =
  | { kind: 'delivered'; activityType: string; name?: string; conversationId: string; status: number; body: unknown; reason: 'playground' | 'token-exchange' | 'card-sso' | 'refresh' | 'verify-state' | 'sign-in-state' }
  | { kind: 'signed-in'; conversationId: string; popup: PopupOutcome['kind']; why?: string; sent: boolean }
  | { kind: 'relayed'; method: string; path: string; status: number; activity?: Activity }
  | { kind: 'held-oauth-card'; conversationId: string; heldId: string }
  | { kind: 'shown-oauth-card'; conversationId: string; heldId: string; why: 'channel' | 'no-person' | 'exchange-failed' | 'no-token' | 'not-for-sso' }
  | { kind: 'refreshed'; conversationId: string; messageId: string; card: unknown }
  | { kind: 'refresh-not-applied'; conversationId: string; messageId: string; why: string };

export interface Bridge {
  /** e.g. https://127.0.0.1:3979 */
  url: string;
  /** The Playground's BOT_ENDPOINT. */
  messagesUrl: string;
  /** ToBotFromChannelOpenIdMetadataUrl for the bot. */
  openIdMetadataUrl: string;
  /** The serviceUrl the bot sees for a tenant (Teams' shape: <host>/amer/<tenant>/). */
  serviceUrlFor(tenantId: string): string;
  setBotEndpoint(endpoint: string): void;
  events(): BridgeEvent[];
  /**
   * Presses the last sign-in button shown in a conversation (default: the latest anywhere), as a
   * person in Teams would: the popup, then verifyState / the action with state on notifySuccess.
   */
  completeSignIn(opts?: { conversationId?: string; consent?: 'accept' | 'decline' }): Promise<{ popup: PopupOutcome; delivery?: Delivery }>;
  /** Waits until no SSO exchange or refresh is still running. */
  settled(): Promise<void>;
  /** Errors from background work (exchanges, refreshes): should stay empty. */
  backgroundErrors(): Error[];
  close(): Promise<void>;
}

const JSON_LIMIT = 4 * 1024 * 1024;

export async function startBridge(opts: BridgeOptions): Promise<Bridge> {
  const viewer: SandboxUser = USERS[opts.viewer];
  if (!viewer) throw new Error(`bridge: no sandbox user "${opts.viewer}"`);
  const timeoutMs = opts.deliveryTimeoutMs ?? 15_000;
  const copies = opts.tokenExchangeCopies ?? 1;
  const sso: SsoSettings = { entra: opts.entra, ssoAppIdUri: opts.ssoAppIdUri };
  const conversations = new Conversations();
  const work = new WorkTracker();
  const log: BridgeEvent[] = [];
  const validator = new BotTokenValidator(`${opts.entra.url}/common/discovery/v2.0/keys`, opts.botAppId, opts.certs.ca);
  /** OAuthCards not (yet) shown to the person: the id the bot got → the Playground's id once shown. */
  const held = new Map<string, { shownAs?: string }>();
  /** Bumped on every post/update of a message, so a late refresh never overwrites a newer card. */
  const versions = new Map<string, number>();
  /** The sign-in buttons the Playground's person is looking at, latest last. */
  const signIns: SignInButton[] = [];
  let botEndpoint = opts.botEndpoint;
  let signer: ChannelSigner | undefined;
  let baseUrl = '';

  const serviceUrlFor = (tenantId: string) => `${baseUrl}/amer/${tenantId}/`;

  const toBot = async (activity: Activity, reason: Extract<BridgeEvent, { kind: 'delivered' }>['reason']): Promise<Delivery> => {
    if (!botEndpoint || !signer) throw new Error('bridge: no bot endpoint (pass botEndpoint or call setBotEndpoint)');
    const delivery = await deliver(botEndpoint, signer, activity, { timeoutMs, ca: opts.certs.ca });
    log.push({
      kind: 'delivered',
      activityType: String(activity.type),
      name: activity.name,
      conversationId: String(activity.conversation?.id ?? ''),
      status: delivery.status,
      body: delivery.body,
      reason,
    });
    return delivery;
  };

  // ---- Playground → bot --------------------------------------------------------------------

  const fromPlayground = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let activity: Activity;
    try {
      activity = JSON.parse(await readBody(req, JSON_LIMIT)) as Activity;
    } catch {
      return sendJson(res, 400, { error: 'The request body must be a JSON activity.' });
    }
    conversations.remember(activity);
    const tenantId = String(activity.conversation?.tenantId ?? activity.channelData?.tenant?.id ?? viewer.tid);
    const signed: Activity = { ...activity, serviceUrl: serviceUrlFor(tenantId) };
    const person = conversations.personOf(activity);
    let loginButton: string | undefined;
    const delivery =
      signed.type === 'invoke' && signed.name === 'adaptiveCard/action'
        ? await deliverWithCardSso(
            sso,
            async (a) => {
              const d = await toBot(a, a === signed ? 'playground' : 'card-sso');
              loginButton ??= signInButtonOf(invokeResponseOf(d));
              return d;
            },
            signed,
            person,
          )
        : await toBot(signed, 'playground');
    const final = invokeResponseOf(delivery);
    if (person && loginButton && (final?.statusCode === 412 || (final?.statusCode === 401 && final.type === LOGIN_REQUEST))) {
      // Teams falls back to the login request's sign-in button.
      signIns.push({ kind: 'cardAction', conversationId: String(activity.conversation?.id ?? ''), signInUrl: loginButton, person, template: activity, action: signed });
    }
    if (delivery.status === 0) {
      // What the Playground sees when the bot cannot be reached: a gateway error, not a hang.
      return sendJson(res, 502, { error: 'bridge: the bot did not answer', detail: delivery.error ?? 'timed out' });
    }
    if (delivery.body === undefined) {
      res.writeHead(delivery.status, { 'Content-Length': '0' });
      res.end();
      return;
    }
    sendJson(res, delivery.status, delivery.body);
  };

  // ---- bot → Playground (the Connector API) --------------------------------------------------

  const relay = async (method: string, serviceUrl: string, path: string, body: unknown) => {
    const answer = await callPlayground(serviceUrl, method, path, body, timeoutMs);
    log.push({ kind: 'relayed', method, path, status: answer.status, activity: isActivity(body) ? body : undefined });
    return answer;
  };

  const connector = async (req: IncomingMessage, res: ServerResponse, v3Path: string, query: string): Promise<void> => {
    try {
      await validator.validate(req.headers.authorization);
    } catch (err) {
      if (err instanceof BotTokenRejected) return sendJson(res, UNAUTHORIZED.status, UNAUTHORIZED.body);
      throw err;
    }
    const method = req.method ?? 'GET';
    let body: unknown;
    if (method === 'POST' || method === 'PUT') {
      try {
        const text = await readBody(req, JSON_LIMIT);
        body = text ? JSON.parse(text) : {};
      } catch (err) {
        const answer = err instanceof BodyTooLargeError ? CONNECTOR_ERRORS.messageSizeTooBig() : CONNECTOR_ERRORS.badArgument('The request body is not valid JSON.');
        return sendJson(res, answer.status, answer.body);
      }
    }
    const parts = v3Path.split('/').map((p) => decodeURIComponent(p));
    const [collection, conversationId, sub, activityId] = parts;
    const isActivities = collection === 'conversations' && sub === 'activities';
    const serviceUrl = conversations.playgroundServiceUrl(collection === 'conversations' ? conversationId : undefined) ?? opts.playgroundServiceUrl;
    if (!serviceUrl) return sendJson(res, 503, { error: { code: 'ServiceUnavailable', message: 'bridge: the Playground has not connected yet' } });
    const known = conversationId ? conversations.find(conversationId) : undefined;

    // An OAuthCard for SSO in a chat: Teams exchanges silently and shows the card only if that fails.
    if (isActivities && method === 'POST' && isActivity(body) && known && (known.kind === 'personal' || known.kind === 'groupChat')) {
      const oauth = oauthCardOf(body);
      if (oauth) {
        const heldId = newMessageId();
        held.set(heldId, {});
        log.push({ kind: 'held-oauth-card', conversationId, heldId });
        work.add(known.id, () => messageLevelSso(known, conversationId, heldId, body, serviceUrl, `${v3Path}${query}`));
        return sendJson(res, 200, { id: heldId });
      }
    }

    // Updates and deletes of a held OAuthCard go to what the person sees, if anything.
    let path = `${v3Path}${query}`;
    if (isActivities && activityId && held.has(activityId) && (method === 'PUT' || method === 'DELETE')) {
      const shownAs = held.get(activityId)!.shownAs;
      if (!shownAs) return sendJson(res, 200, method === 'PUT' ? { id: activityId } : undefined);
      path = `conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(shownAs)}${query}`;
    }

    let answer;
    try {
      answer = await relay(method, serviceUrl, path, body);
    } catch (err) {
      return sendJson(res, 502, { error: { code: 'BadGateway', message: `bridge: the Playground did not answer (${(err as Error).message})` } });
    }
    sendJson(res, answer.status, answer.json ?? (answer.text || undefined));

    if (answer.status < 200 || answer.status >= 300) return;
    // Cards that ask Teams to refresh them for the viewer: do it after the bot got its answer.
    if (collection === 'conversations' && parts.length === 1 && method === 'POST') {
      const created = answer.json as { id?: string; activityId?: string } | undefined;
      const activity = (body as Activity)?.activity;
      if (created?.id && created.activityId && isActivity(activity)) scheduleRefresh(created.id, created.activityId, activity, serviceUrl);
    } else if (isActivities && isActivity(body) && (method === 'POST' || method === 'PUT')) {
      const id = method === 'PUT' ? activityId : (answer.json as { id?: string } | undefined)?.id;
      if (id) scheduleRefresh(conversationId, id, body, serviceUrl);
    }
  };

  const messageLevelSso = async (
    conversation: KnownConversation,
    conversationId: string,
    heldId: string,
    activity: Activity,
    serviceUrl: string,
    postPath: string,
  ): Promise<void> => {
    const oauth = oauthCardOf(activity);
    const person = conversation.kind === 'personal' ? conversations.personOf(conversation.template) : conversations.senderOf(activity.replyToId);
    const show = async (why: Extract<BridgeEvent, { kind: 'shown-oauth-card' }>['why']) => {
      const answer = await relay('POST', serviceUrl, postPath, activity);
      const shownAs = (answer.json as { id?: string } | undefined)?.id;
      held.set(heldId, { shownAs });
      log.push({ kind: 'shown-oauth-card', conversationId, heldId, why });
      const signInUrl = oauth?.buttons?.find((b) => b.type === 'signin')?.value;
      if (signInUrl && person) signIns.push({ kind: 'oauthCard', conversationId, signInUrl, person, template: conversation.template });
    };
    if (!wantsMessageSso(oauth, sso)) return show('not-for-sso');
    // Personal chat: its one person. Group chat: the person whose message the card answers;
    // a card nobody asked for is exchanged by no client.
    if (!person) return show('no-person');
    const resource = oauth.tokenExchangeResource;
    const exchanges = await Promise.all(
      Array.from({ length: copies }, async () => {
        const token = await ssoTokenFor(sso, person, resource.uri);
        if (!token) return undefined;
        const invoke = invokeFrom(conversation.template, person, conversationId, 'signin/tokenExchange', { id: resource.id, connectionName: oauth.connectionName, token }, {
          serviceUrl: serviceUrlFor(person.tid),
        });
        return toBot(invoke, 'token-exchange');
      }),
    );
    if (exchanges.every((d) => d === undefined)) return show('no-token');
    if (!exchanges.some((d) => d?.status === 200)) return show('exchange-failed');
  };

  const scheduleRefresh = (conversationId: string, messageId: string, activity: Activity, serviceUrl: string): void => {
    const key = `${baseConversationId(conversationId)}|${messageId}`;
    const version = (versions.get(key) ?? 0) + 1;
    versions.set(key, version);
    const card = adaptiveCardOf(activity);
    const action = card?.refresh?.action;
    if (!card || action?.type !== 'Action.Execute' || cardVersion(card) < 1.4) return;
    const known = conversations.find(conversationId);
    const userIds: unknown = card.refresh.userIds;
    // "User Specific Views": the named users; with no userIds, everyone (in chats of up to 60).
    const forViewer = Array.isArray(userIds) && userIds.length > 0 ? userIds.includes(viewer.teamsId) : true;
    if (!forViewer || !known) return;
    work.add(known.id, async () => {
      const value = {
        action: { type: 'Action.Execute', id: action.id ?? '', verb: action.verb, data: action.data ?? {} },
        trigger: 'automatic',
      };
      const invoke = invokeFrom(known.template, viewer, conversationId, 'adaptiveCard/action', value, {
        replyToId: messageId,
        serviceUrl: serviceUrlFor(viewer.tid),
      });
      const delivery = await deliverWithCardSso(sso, (a) => toBot(a, a === invoke ? 'refresh' : 'card-sso'), invoke, viewer);
      const response = invokeResponseOf(delivery);
      if (delivery.status !== 200 || response?.statusCode !== 200 || response.type !== ADAPTIVE_CARD) {
        log.push({ kind: 'refresh-not-applied', conversationId, messageId, why: `bot answered ${delivery.status} ${JSON.stringify(delivery.body ?? null).slice(0, 200)}` });
        return;
      }
      if (versions.get(key) !== version) {
        log.push({ kind: 'refresh-not-applied', conversationId, messageId, why: 'the bot changed the message meanwhile' });
        return;
      }
      // The Playground shows one person: their refreshed view replaces the card in place.
      const mine: Activity = { ...activity, id: messageId, attachments: [{ contentType: ADAPTIVE_CARD, content: response.value }] };
      const path = `conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(messageId)}`;
      const answer = await relay('PUT', serviceUrl, path, mine);
      if (answer.status >= 200 && answer.status < 300) log.push({ kind: 'refreshed', conversationId, messageId, card: response.value });
      else log.push({ kind: 'refresh-not-applied', conversationId, messageId, why: `the Playground answered ${answer.status}` });
    });
  };

  const completeSignIn = async (o: { conversationId?: string; consent?: 'accept' | 'decline' } = {}): Promise<{ popup: PopupOutcome; delivery?: Delivery }> => {
    const button = [...signIns].reverse().find((b) => !o.conversationId || b.conversationId === o.conversationId);
    if (!button) throw new Error(`bridge: no sign-in button is showing${o.conversationId ? ` in ${o.conversationId}` : ''}`);
    const popup = await runSignInPopup(button.signInUrl, { ca: opts.certs.ca, consent: o.consent });
    if (popup.kind !== 'notifySuccess') {
      log.push({ kind: 'signed-in', conversationId: button.conversationId, popup: popup.kind, why: popup.kind === 'stuck' ? popup.why : popup.reason, sent: false });
      return { popup };
    }
    signIns.splice(signIns.indexOf(button), 1);
    log.push({ kind: 'signed-in', conversationId: button.conversationId, popup: popup.kind, sent: true });
    if (button.kind === 'oauthCard') {
      const invoke = invokeFrom(button.template, button.person, button.conversationId, 'signin/verifyState', { state: popup.result }, { serviceUrl: serviceUrlFor(button.person.tid) });
      return { popup, delivery: await toBot(invoke, 'verify-state') };
    }
    // Universal Actions: the same action again with value.state (and card-level SSO if asked).
    const again: Activity = { ...button.action!, id: `f:${crypto.randomUUID()}`, value: { ...(button.action!.value ?? {}), state: popup.result } };
    const delivery = await deliverWithCardSso(sso, (a) => toBot(a, a === again ? 'sign-in-state' : 'card-sso'), again, button.person);
    const answer = invokeResponseOf(delivery);
    const messageId = button.action!.replyToId;
    const serviceUrl = conversations.playgroundServiceUrl(button.conversationId) ?? opts.playgroundServiceUrl;
    if (answer?.statusCode === 200 && answer.type === ADAPTIVE_CARD && messageId && serviceUrl) {
      // The Playground's request is long answered: show the new card in place, as Teams would.
      const path = `conversations/${encodeURIComponent(button.conversationId)}/activities/${encodeURIComponent(messageId)}`;
      await relay('PUT', serviceUrl, path, { type: 'message', id: messageId, attachments: [{ contentType: ADAPTIVE_CARD, content: answer.value }] });
    }
    return { popup, delivery };
  };

  const signInRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: { conversationId?: unknown; consent?: unknown } = {};
    try {
      const text = await readBody(req, 4096);
      body = text ? JSON.parse(text) : {};
    } catch {
      return sendJson(res, 400, { error: 'The body must be JSON: {conversationId?, consent?: "accept" | "decline"}.' });
    }
    try {
      const { popup, delivery } = await completeSignIn({
        conversationId: typeof body.conversationId === 'string' ? body.conversationId : undefined,
        consent: body.consent === 'decline' ? 'decline' : 'accept',
      });
      sendJson(res, 200, { popup: popup.kind, ...(popup.kind === 'stuck' ? { why: popup.why } : {}), ...(delivery ? { status: delivery.status } : {}) });
    } catch (err) {
      sendJson(res, 409, { error: (err as Error).message });
    }
  };

  const server = await listenHttps(
    opts.certs,
    async (req, res) => {
      if (!signer) return sendJson(res, 503, { message: 'starting' });
      const url = new URL(req.url ?? '/', 'https://placeholder');
      const path = url.pathname;
      if (req.method === 'GET' && path === '/v1/.well-known/openidconfiguration') return sendJson(res, 200, signer.openIdMetadata());
      if (req.method === 'GET' && path === '/v1/.well-known/keys') return sendJson(res, 200, await signer.jwks());
      if (path === '/api/messages') {
        // The Playground probes its bot with HEAD before connecting.
        if (req.method === 'HEAD') return void res.writeHead(200).end();
        if (req.method === 'POST') return fromPlayground(req, res);
      }
      if (req.method === 'POST' && path === '/_bridge/sign-in') return signInRequest(req, res);
      const at = path.indexOf('/v3/');
      if (at >= 0) return connector(req, res, path.slice(at + '/v3/'.length), url.search);
      sendJson(res, 404, { message: 'Not found' });
    },
    { port: opts.port ?? DEFAULT_BRIDGE_PORT, name: 'Teams channel bridge', portVariable: 'TEAMS_PORT' },
  );
  baseUrl = server.url;
  signer = new ChannelSigner(server.url, opts.botAppId, opts.signingKeyPem);

  return {
    url: server.url,
    messagesUrl: `${server.url}/api/messages`,
    openIdMetadataUrl: signer.openIdMetadataUrl,
    serviceUrlFor,
    setBotEndpoint: (endpoint) => {
      botEndpoint = endpoint;
    },
    events: () => [...log],
    completeSignIn: (o) => completeSignIn(o),
    settled: () => work.settled(),
    backgroundErrors: () => work.failures.map((f) => f.error),
    async close() {
      await work.settled();
      await server.close();
    },
  };
}

interface SignInButton {
  kind: 'oauthCard' | 'cardAction';
  conversationId: string;
  signInUrl: string;
  person: SandboxUser;
  template: Activity;
  /** cardAction: the adaptiveCard/action (as signed) to send again with `value.state`. */
  action?: Activity;
}

function signInButtonOf(answer: { statusCode?: number; type?: string; value?: unknown } | undefined): string | undefined {
  if (answer?.statusCode !== 401 || answer.type !== LOGIN_REQUEST) return undefined;
  return (answer.value as { buttons?: Array<{ type?: string; value?: string }> } | undefined)?.buttons?.find((b) => b.type === 'signin')?.value;
}

function isActivity(value: unknown): value is Activity {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as Activity).type === 'string';
}
