/**
 * The Teams channel stand-in: the Bot Connector (signed delivery to the bot, the v3 REST API the
 * bot calls back, Teams' errors and throttling) plus the part of each person's Teams client that
 * talks to a bot (messages, card buttons, SSO, card refresh, installs and team events).
 *
 *   const teams = await startTeams({ certs, entra, botEndpoint, botAppId: BOT_APP.id, ssoAppIdUri: SSO_APP.appIdUri });
 *   const chat = teams.personalChat('alex');
 *   const turn = await chat.send('hello');          // resolves when the bot's turn (and any SSO) is over
 *   await chat.press(chat.lastCard()!, 'Confirm');  // Action.Execute (or its Action.Submit fallback)
 */
import type { SandboxCerts } from '../certs';
import { USERS, type SandboxUser, type UserKey } from '../directory';
import { listenHttps, sendJson, type RunningServer } from '../http';
import {
  botMembershipActivity,
  channelEventActivity,
  DEFAULT_CLIENT,
  installationUpdateActivity,
  teamRenamedActivity,
  type BotAccount,
  type ClientInfo,
  type Sender,
} from './activities';
import { BotTokenValidator } from './botTokenValidator';
import { ChannelSigner, type ChannelAuth } from './channelSigning';
import { TeamsClient } from './client';
import type { ChatView } from './chatView';
import type { InvokeRecord, SsoTokenSource, ViewOptions } from './clientTypes';
import { ConnectorApi, type ConnectorCall, type SentRecord } from './connectorApi';
import { deliver, type Delivery } from './delivery';
import { Faults } from './faults';
import { baseConversationId } from './ids';
import { RateLimiter, TEAMS_RATE_LIMITS, type RateLimits } from './rateLimiter';
import { WorkTracker } from './workTracker';
import { World, type Activity, type Conversation, type Team } from './world';

export type { ChannelAuth } from './channelSigning';
export type { ActionOutcome, ChatMessage, InvokeRecord, SearchResult, SignInPrompt, SsoTokenSource, TurnResult, ViewOptions } from './clientTypes';
export type { ChatView } from './chatView';
export type { ConnectorCall, ConnectorOperation, SentRecord } from './connectorApi';
export type { Delivery } from './delivery';
export type { FaultFilter, FaultSpec, Faults } from './faults';
export type { RateLimits } from './rateLimiter';
export type { Card, InputValues } from './cards';
export { TEAMS_RATE_LIMITS } from './rateLimiter';
export { CONNECTOR_ERRORS } from './connectorErrors';
export { BOT_FRAMEWORK_ISSUER } from './channelSigning';

export const DEFAULT_TEAMS_PORT = 3979;

export interface TeamsOptions {
  certs: SandboxCerts;
  /** 0 = any free port (tests); default 3979. */
  port?: number;
  entra: SsoTokenSource;
  /** The bot's messaging endpoint, e.g. http://127.0.0.1:3978/api/messages (or later: setBotEndpoint). */
  botEndpoint?: string;
  botAppId: string;
  botName?: string;
  /** The app's webApplicationInfo.resource: OAuthCards / login requests naming this URI get SSO. */
  ssoAppIdUri: string;
  /** Token exchanges Teams sends per OAuthCard, one per signed-in endpoint (default 1). */
  tokenExchangeCopies?: number;
  /** How long the Connector waits for the bot's answer (Teams gives up on invokes after ~15 s). */
  deliveryTimeoutMs?: number;
  rateLimits?: RateLimits;
  /** Clock for the rate limiter only (tokens always use real time). */
  rateLimitClock?: () => number;
  /** Teams' bot message size limit, as UTF-16 bytes ("approximately 100 KB"). */
  maxMessageBytes?: number;
  /** PEM of the Connector's signing key; default: one generated per process. */
  signingKeyPem?: string;
  /** The default `clientInfo` people's clients report. */
  client?: Partial<ClientInfo>;
  /** The clients' clock (default Date.now); `ChatView.reopen({afterMs})` moves it on. */
  clientClock?: () => number;
  /** A card viewed this long after its last refresh is refreshed again (default 60 s, as Teams). */
  refreshAgainAfterMs?: number;
}

export interface TeamsStandIn {
  /** e.g. https://127.0.0.1:3979 */
  url: string;
  /** ToBotFromChannelOpenIdMetadataUrl for the bot. */
  openIdMetadataUrl: string;
  /** The serviceUrl of the Contoso tenant's conversations. */
  serviceUrl: string;
  serviceUrlFor(tenantId: string): string;
  /** Points delivery at the bot (when the bot could only start after the stand-in, to know its metadata URL). */
  setBotEndpoint(endpoint: string): void;
  /** The person's 1:1 chat with the bot (installed unless uninstalled). */
  personalChat(user: UserKey, opts?: ViewOptions): ChatView;
  /** A group chat with these members (created on first use, bot installed). */
  groupChat(topic: string, members: UserKey[]): GroupChatHandle;
  /** A team (created on first use with the Contoso admins and the bot installed, unless said otherwise). */
  team(name: string, opts?: { members?: UserKey[]; botInstalled?: boolean }): TeamHandle;
  /** POSTs any activity to the bot, signed as asked; nothing else (no client behaviour). */
  postRaw(activity: Activity, opts?: { auth?: ChannelAuth }): Promise<Delivery>;
  /** What the bot sent (sends, replies, updates, deletes), for one conversation or all. */
  sent(conversationId?: string): SentRecord[];
  /** Invokes people's clients sent, with the bot's answers. */
  invokes(): InvokeRecord[];
  /** Every Connector REST call the bot made, with the status answered. */
  calls(): ConnectorCall[];
  /** Calls refused by Teams' rate limits (not injected faults). */
  rateLimitHits(): ConnectorCall[];
  faults: Faults;
  /** Waits until no client is still reacting (SSO exchanges, refreshes) in a conversation, or anywhere. */
  settled(conversationId?: string): Promise<void>;
  /** Errors thrown by clients' background work (SSO, refresh) — should stay empty. */
  clientErrors(): Error[];
  close(): Promise<void>;
}

export interface GroupChatHandle {
  id: string;
  as(user: UserKey, opts?: ViewOptions): ChatView;
}

export interface ChannelHandle {
  id: string;
  name: string;
  as(user: UserKey, opts?: ViewOptions): ChatView;
}

export interface TeamHandle {
  /** The team id (also its General channel's id). */
  id: string;
  name: string;
  aadGroupId: string;
  /** A channel by name ('General' always exists); created silently if new. */
  channel(name: string): ChannelHandle;
  /** Adds the app to the team: installationUpdate add + conversationUpdate membersAdded (bot). */
  installBot(by: UserKey, opts?: { channel?: string }): Promise<Delivery[]>;
  /** Removes the app: the bot leaves the roster, then gets conversationUpdate membersRemoved + installationUpdate remove. */
  uninstallBot(by: UserKey): Promise<Delivery[]>;
  createChannel(name: string, by: UserKey): Promise<Delivery>;
  renameChannel(name: string, newName: string, by: UserKey): Promise<Delivery>;
  deleteChannel(name: string, by: UserKey): Promise<Delivery>;
  rename(newName: string, by: UserKey): Promise<Delivery>;
}

function userByKey(key: UserKey): SandboxUser {
  const user = USERS[key];
  if (!user) throw new Error(`no sandbox user "${key}"`);
  return user;
}

export async function startTeams(opts: TeamsOptions): Promise<TeamsStandIn> {
  const bot: BotAccount = { id: `28:${opts.botAppId}`, name: opts.botName ?? 'Autopilot Uploads' };
  const defaultClient: ClientInfo = { ...DEFAULT_CLIENT, ...opts.client };
  const timeoutMs = opts.deliveryTimeoutMs ?? 15_000;
  const faults = new Faults();
  const work = new WorkTracker();

  // The URL is known once listening (port 0), and everything below names it, so build late.
  let parts: { signer: ChannelSigner; api: ConnectorApi } | undefined;
  const server: RunningServer = await listenHttps(
    opts.certs,
    async (req, res) => {
      if (!parts) return sendJson(res, 503, { message: 'starting' });
      const path = new URL(req.url ?? '/', 'https://placeholder').pathname;
      if (req.method === 'GET' && path === '/v1/.well-known/openidconfiguration') return sendJson(res, 200, parts.signer.openIdMetadata());
      if (req.method === 'GET' && path === '/v1/.well-known/keys') return sendJson(res, 200, await parts.signer.jwks());
      if (await parts.api.handle(req, res)) return;
      sendJson(res, 404, { message: 'Not found' });
    },
    { port: opts.port ?? DEFAULT_TEAMS_PORT, name: 'Teams channel stand-in', portVariable: 'TEAMS_PORT' },
  );

  const world = new World(server.url);
  const signer = new ChannelSigner(server.url, opts.botAppId, opts.signingKeyPem);
  let botEndpoint = opts.botEndpoint;
  const send = async (activity: Activity, auth?: ChannelAuth) => {
    if (!botEndpoint) throw new Error('Teams stand-in: no bot endpoint (pass botEndpoint or call setBotEndpoint)');
    return deliver(botEndpoint, signer, activity, { auth, timeoutMs, ca: opts.certs.ca });
  };
  let client: TeamsClient;
  const api = new ConnectorApi({
    world,
    validator: new BotTokenValidator(`${opts.entra.url}/common/discovery/v2.0/keys`, opts.botAppId, opts.certs.ca),
    faults,
    limiter: new RateLimiter(opts.rateLimits ?? TEAMS_RATE_LIMITS, opts.rateLimitClock),
    bot,
    maxMessageBytes: opts.maxMessageBytes ?? 100 * 1024,
    onBotMessage: (event) => client.onBotMessage(event),
  });
  client = new TeamsClient({
    world,
    api,
    bot,
    entra: opts.entra,
    ssoAppIdUri: opts.ssoAppIdUri,
    tokenExchangeCopies: opts.tokenExchangeCopies ?? 1,
    work,
    defaultClient,
    ca: opts.certs.ca,
    clock: opts.clientClock,
    refreshAgainAfterMs: opts.refreshAgainAfterMs,
    send: (activity) => send(activity),
  });
  parts = { signer, api };

  const sender = (key: UserKey): Sender => client.sender(userByKey(key));

  const teamHandle = (team: Team): TeamHandle => {
    const channelHandle = (channel: Conversation): ChannelHandle => ({
      id: channel.id,
      get name() {
        return channel.name ?? '';
      },
      as: (user, viewOpts) => {
        const u = userByKey(user);
        if (!channel.member(u.teamsId)) throw new Error(`${user} is not a member of team "${team.name}"`);
        return client.view(u, channel, viewOpts);
      },
    });
    const namedChannel = (name: string): Conversation => {
      const channel = team.channels.get(name);
      if (!channel || channel.deleted) throw new Error(`team "${team.name}" has no channel "${name}"`);
      return channel;
    };
    return {
      id: team.id,
      get name() {
        return team.name;
      },
      aadGroupId: team.aadGroupId,
      channel: (name) => channelHandle(world.channel(team, name)),
      async installBot(by, o = {}) {
        team.botInstalled = true;
        const channel = o.channel ? namedChannel(o.channel) : team.general;
        const install = installationUpdateActivity(channel, sender(by), bot, 'add');
        const added = botMembershipActivity(team, channel, sender(by), bot, true);
        return [await client.send(userByKey(by), install), await client.send(userByKey(by), added)];
      },
      async uninstallBot(by) {
        team.botInstalled = false;
        const removed = botMembershipActivity(team, team.general, sender(by), bot, false);
        const uninstall = installationUpdateActivity(team.general, sender(by), bot, 'remove');
        return [await client.send(userByKey(by), removed), await client.send(userByKey(by), uninstall)];
      },
      async createChannel(name, by) {
        if (team.channels.get(name) && !team.channels.get(name)!.deleted) throw new Error(`channel "${name}" exists`);
        team.channels.delete(name);
        const channel = world.channel(team, name);
        return client.send(userByKey(by), channelEventActivity(team, { id: channel.id, name }, sender(by), bot, 'channelCreated'));
      },
      async renameChannel(name, newName, by) {
        const channel = namedChannel(name);
        if (channel.id === team.id) throw new Error('the General channel cannot be renamed');
        team.channels.delete(name);
        team.channels.set(newName, channel);
        channel.name = newName;
        return client.send(userByKey(by), channelEventActivity(team, { id: channel.id, name: newName }, sender(by), bot, 'channelRenamed'));
      },
      async deleteChannel(name, by) {
        const channel = namedChannel(name);
        if (channel.id === team.id) throw new Error('the General channel cannot be deleted');
        channel.deleted = true;
        return client.send(userByKey(by), channelEventActivity(team, { id: channel.id, name }, sender(by), bot, 'channelDeleted'));
      },
      async rename(newName, by) {
        team.name = newName;
        return client.send(userByKey(by), teamRenamedActivity(team, sender(by), bot));
      },
    };
  };

  const contoso = USERS.alex.tid;
  return {
    url: server.url,
    openIdMetadataUrl: signer.openIdMetadataUrl,
    serviceUrl: world.serviceUrlFor(contoso),
    serviceUrlFor: (tenantId) => world.serviceUrlFor(tenantId),
    setBotEndpoint: (endpoint) => {
      botEndpoint = endpoint;
    },
    personalChat: (user, viewOpts) => {
      const u = userByKey(user);
      return client.view(u, world.personalChat(u), viewOpts);
    },
    groupChat(topic, members) {
      const chat = world.groupChat(topic, members.map(userByKey));
      return {
        id: chat.id,
        as: (user, viewOpts) => {
          const u = userByKey(user);
          if (!chat.member(u.teamsId)) throw new Error(`${user} is not in group chat "${topic}"`);
          return client.view(u, chat, viewOpts);
        },
      };
    },
    team(name, teamOpts = {}) {
      const existed = world.findTeam(name);
      const team = world.team(name, teamOpts.members?.map(userByKey));
      if (!existed && teamOpts.botInstalled === false) team.botInstalled = false;
      return teamHandle(team);
    },
    postRaw: (activity, o = {}) => send(activity, o.auth ?? 'valid'),
    sent: (conversationId) =>
      conversationId === undefined
        ? [...api.sent]
        : api.sent.filter((s) => baseConversationId(s.conversationId) === baseConversationId(conversationId)),
    invokes: () => [...client.invokes],
    calls: () => [...api.calls],
    rateLimitHits: () => api.calls.filter((c) => c.throttled),
    faults,
    settled: (conversationId) => work.settled(conversationId),
    clientErrors: () => work.failures.map((f) => f.error),
    async close() {
      await work.settled();
      await server.close();
    },
  };
}
