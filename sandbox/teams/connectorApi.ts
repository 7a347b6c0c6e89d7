/**
 * The Bot Connector REST API (v3) as Teams serves it under a serviceUrl: the calls botbuilder's
 * ConnectorClient and TeamsInfo make. Every call needs the bot's Entra token; answers, ids and
 * error bodies are Teams'. Each call is logged; what the bot posts is kept per conversation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson, BodyTooLargeError } from '../http';
import { BotTokenRejected, type BotTokenValidator } from './botTokenValidator';
import { CONNECTOR_ERRORS, UNAUTHORIZED, type ConnectorAnswer } from './connectorErrors';
import type { Faults } from './faults';
import { baseConversationId, newMessageId, threadConversationId, threadRootOf } from './ids';
import type { OperationKind, RateLimiter } from './rateLimiter';
import type { Activity, Conversation, StoredMessage, World } from './world';
import { USERS, type SandboxUser } from '../directory';

export type ConnectorOperation =
  | 'createConversation'
  | 'sendToConversation'
  | 'replyToActivity'
  | 'updateActivity'
  | 'deleteActivity'
  | 'getConversationMembers'
  | 'getConversationMember'
  | 'getConversationPagedMembers'
  | 'getActivityMembers'
  | 'fetchChannelList'
  | 'fetchTeamDetails';

/** One thing the bot did to a conversation's messages, with the id the Connector assigned or targeted. */
export interface SentRecord {
  seq: number;
  operation: 'createConversation' | 'sendToConversation' | 'replyToActivity' | 'updateActivity' | 'deleteActivity';
  /** As the bot addressed it (a channel thread keeps its `;messageid=`). */
  conversationId: string;
  activityId: string;
  replyToId?: string;
  /** The activity as the bot sent it (absent for deletes). */
  activity?: Activity;
  at: Date;
}

/** Every Connector call, whatever its outcome. */
export interface ConnectorCall {
  seq: number;
  method: string;
  path: string;
  operation?: ConnectorOperation;
  conversationId?: string;
  status: number;
  /** Set when the rate limiter refused the call: which limit. */
  throttled?: string;
  /** Set when an injected fault answered the call. */
  injected?: boolean;
  at: Date;
}

export type BotMessageEvent = { kind: 'posted' | 'updated' | 'deleted'; conversation: Conversation; message: StoredMessage };

export interface ConnectorApiOptions {
  world: World;
  validator: BotTokenValidator;
  faults: Faults;
  limiter: RateLimiter;
  bot: { id: string; name: string };
  /** Teams' limit on a bot message, measured as UTF-16 ("approximately 100 KB"). */
  maxMessageBytes: number;
  onBotMessage: (event: BotMessageEvent) => void;
}

const OPERATION_KIND: Record<ConnectorOperation, OperationKind> = {
  createConversation: 'create',
  sendToConversation: 'send',
  replyToActivity: 'send',
  updateActivity: 'send',
  deleteActivity: 'send',
  getConversationMembers: 'members',
  getConversationMember: 'members',
  getConversationPagedMembers: 'members',
  getActivityMembers: 'members',
  fetchChannelList: 'conversations',
  fetchTeamDetails: 'conversations',
};

interface Route {
  operation: ConnectorOperation;
  /** Conversation (or team) the call is about, decoded. */
  conversationId?: string;
  activityId?: string;
  memberId?: string;
}

function route(method: string, v3Path: string): Route | undefined {
  const parts = v3Path.split('/').map((p) => decodeURIComponent(p));
  const [collection, id, sub, subId, tail] = parts;
  if (collection === 'conversations') {
    if (parts.length === 1 && method === 'POST') return { operation: 'createConversation' };
    if (sub === 'activities' && parts.length === 3 && method === 'POST') return { operation: 'sendToConversation', conversationId: id };
    if (sub === 'activities' && parts.length === 4) {
      const byMethod: Record<string, ConnectorOperation> = { POST: 'replyToActivity', PUT: 'updateActivity', DELETE: 'deleteActivity' };
      if (byMethod[method]) return { operation: byMethod[method], conversationId: id, activityId: subId };
    }
    if (sub === 'activities' && parts.length === 5 && tail === 'members' && method === 'GET') {
      return { operation: 'getActivityMembers', conversationId: id, activityId: subId };
    }
    if (sub === 'members' && parts.length === 3 && method === 'GET') return { operation: 'getConversationMembers', conversationId: id };
    if (sub === 'members' && parts.length === 4 && method === 'GET') return { operation: 'getConversationMember', conversationId: id, memberId: subId };
    if (sub === 'pagedmembers' && parts.length === 3 && method === 'GET') return { operation: 'getConversationPagedMembers', conversationId: id };
  }
  if (collection === 'teams' && method === 'GET') {
    if (parts.length === 2) return { operation: 'fetchTeamDetails', conversationId: id };
    if (parts.length === 3 && sub === 'conversations') return { operation: 'fetchChannelList', conversationId: id };
  }
  return undefined;
}

/** The roster entry Teams returns for a person (TeamsChannelAccount). */
export function teamsChannelAccount(user: SandboxUser): Record<string, unknown> {
  const [givenName, ...rest] = user.name.split(' ');
  return {
    id: user.teamsId,
    name: user.name,
    aadObjectId: user.oid,
    givenName,
    surname: rest.join(' '),
    email: user.upn,
    userPrincipalName: user.upn,
    tenantId: user.tid,
    userRole: 'user',
  };
}

export class ConnectorApi {
  private seq = 0;
  readonly sent: SentRecord[] = [];
  readonly calls: ConnectorCall[] = [];

  constructor(private readonly opts: ConnectorApiOptions) {}

  /** Handles the request if it is a Connector call (…/v3/…); returns false otherwise. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'https://placeholder');
    const at = url.pathname.indexOf('/v3/');
    if (at < 0) return false;
    const method = req.method ?? 'GET';
    const log: ConnectorCall = { seq: ++this.seq, method, path: url.pathname, status: 0, at: new Date() };
    this.calls.push(log);
    const answer = (status: number, body?: unknown, headers?: Record<string, string>) => {
      log.status = status;
      sendJson(res, status, body, headers);
    };
    const fail = (err: ConnectorAnswer) => answer(err.status, err.body, err.headers);

    try {
      await this.opts.validator.validate(req.headers.authorization);
    } catch (err) {
      if (err instanceof BotTokenRejected) {
        fail(UNAUTHORIZED);
        return true;
      }
      throw err;
    }

    const r = route(method, url.pathname.slice(at + '/v3/'.length));
    if (!r) {
      answer(404, { message: `No HTTP resource was found that matches the request URI '${url.pathname}'.` });
      return true;
    }
    log.operation = r.operation;
    log.conversationId = r.conversationId;

    let body: Activity = {};
    if (method === 'POST' || method === 'PUT') {
      try {
        const text = await readBody(req, 4 * 1024 * 1024);
        body = text ? JSON.parse(text) : {};
      } catch (err) {
        if (err instanceof BodyTooLargeError) fail(CONNECTOR_ERRORS.messageSizeTooBig());
        else fail(CONNECTOR_ERRORS.badArgument('The request body is not valid JSON.'));
        return true;
      }
    }

    const injected = this.opts.faults.take({ conversationId: r.conversationId, operation: r.operation });
    if (injected) {
      log.injected = true;
      fail(injected);
      return true;
    }

    const outcome = this.dispatch(r, body, url, log);
    fail(outcome);
    return true;
  }

  private throttle(tenantId: string, key: string, operation: ConnectorOperation, log: ConnectorCall): ConnectorAnswer | undefined {
    const refused = this.opts.limiter.admit(tenantId, key, OPERATION_KIND[operation]);
    if (!refused) return undefined;
    log.throttled = refused.limit;
    return CONNECTOR_ERRORS.throttled(refused.retryAfterSeconds);
  }

  private dispatch(r: Route, body: Activity, url: URL, log: ConnectorCall): ConnectorAnswer {
    if (r.operation === 'createConversation') return this.createConversation(body, log);
    if (r.operation === 'fetchChannelList' || r.operation === 'fetchTeamDetails') return this.teamCall(r, log);

    const conversation = this.opts.world.find(r.conversationId!);
    if (!conversation) return CONNECTOR_ERRORS.conversationNotFound();
    const throttled = this.throttle(conversation.tenantId, conversation.id, r.operation, log);
    if (throttled) return throttled;
    if (!conversation.botInstalled) return CONNECTOR_ERRORS.botNotInConversationRoster();

    switch (r.operation) {
      case 'sendToConversation':
      case 'replyToActivity':
        return this.post(conversation, r.conversationId!, r.operation, body, r.activityId);
      case 'updateActivity':
        return this.update(conversation, r.conversationId!, r.activityId!, body);
      case 'deleteActivity':
        return this.delete(conversation, r.conversationId!, r.activityId!);
      case 'getConversationMembers':
      case 'getActivityMembers':
        return ok(conversation.members.map(teamsChannelAccount));
      case 'getConversationMember': {
        const member = conversation.member(r.memberId!);
        return member ? ok(teamsChannelAccount(member)) : CONNECTOR_ERRORS.memberNotFound();
      }
      case 'getConversationPagedMembers': {
        const pageSize = Math.min(Math.max(Number(url.searchParams.get('pageSize') ?? 200) || 200, 1), 500);
        const start = Number(url.searchParams.get('continuationToken') ?? 0) || 0;
        const page = conversation.members.slice(start, start + pageSize).map(teamsChannelAccount);
        const next = start + pageSize < conversation.members.length ? String(start + pageSize) : undefined;
        return ok({ ...(next ? { continuationToken: next } : {}), members: page });
      }
      default:
        return CONNECTOR_ERRORS.notFound();
    }
  }

  private validateActivity(activity: Activity): ConnectorAnswer | undefined {
    if (!activity || typeof activity !== 'object' || Array.isArray(activity)) {
      return CONNECTOR_ERRORS.badArgument('Activity is required.');
    }
    if (typeof activity.type !== 'string' || !activity.type) return CONNECTOR_ERRORS.badArgument('Activity type is required.');
    // Teams counts the payload as UTF-16: two bytes per UTF-16 code unit.
    if (JSON.stringify(activity).length * 2 > this.opts.maxMessageBytes) return CONNECTOR_ERRORS.messageSizeTooBig();
    return undefined;
  }

  private record(rec: Omit<SentRecord, 'seq' | 'at'>): void {
    this.sent.push({ ...rec, seq: this.seq, at: new Date() });
  }

  private store(conversation: Conversation, threadId: string | undefined, activity: Activity, id: string): StoredMessage {
    const message: StoredMessage = {
      id,
      conversationId: conversation.id,
      threadId: conversation.kind === 'channel' ? (threadId ?? id) : undefined,
      from: 'bot',
      activity: { ...activity, id },
      version: 1,
      deleted: false,
    };
    conversation.messages.push(message);
    return message;
  }

  private post(
    conversation: Conversation,
    addressed: string,
    operation: 'sendToConversation' | 'replyToActivity',
    activity: Activity,
    replyToId?: string,
  ): ConnectorAnswer {
    const invalid = this.validateActivity(activity);
    if (invalid) return invalid;
    const id = newMessageId();
    this.record({ operation, conversationId: addressed, activityId: id, replyToId, activity });
    if (activity.type === 'message') {
      // In a channel: the addressed thread, else the thread of the message replied to, else a new post.
      const thread =
        threadRootOf(addressed) ??
        (replyToId ? conversation.message(replyToId)?.threadId : undefined);
      const message = this.store(conversation, thread, activity, id);
      this.opts.onBotMessage({ kind: 'posted', conversation, message });
    }
    return ok({ id });
  }

  private update(conversation: Conversation, addressed: string, activityId: string, activity: Activity): ConnectorAnswer {
    const invalid = this.validateActivity(activity);
    if (invalid) return invalid;
    const message = conversation.message(activityId);
    if (!message || message.deleted || message.from !== 'bot') return CONNECTOR_ERRORS.activityNotFound();
    this.record({ operation: 'updateActivity', conversationId: addressed, activityId, activity });
    message.activity = { ...activity, id: activityId };
    message.version += 1;
    this.opts.onBotMessage({ kind: 'updated', conversation, message });
    return ok({ id: activityId });
  }

  private delete(conversation: Conversation, addressed: string, activityId: string): ConnectorAnswer {
    const message = conversation.message(activityId);
    if (!message || message.deleted || message.from !== 'bot') return CONNECTOR_ERRORS.activityNotFound();
    this.record({ operation: 'deleteActivity', conversationId: addressed, activityId });
    message.deleted = true;
    message.version += 1;
    this.opts.onBotMessage({ kind: 'deleted', conversation, message });
    return { status: 200 };
  }

  private createConversation(params: Activity, log: ConnectorCall): ConnectorAnswer {
    const world = this.opts.world;
    const channelId: string | undefined = params.channelData?.channel?.id;
    if (params.isGroup && channelId) {
      // A new post (thread) in a channel: the only kind of "group" conversation a bot can create.
      const channel = world.find(channelId);
      if (!channel || channel.kind !== 'channel') return CONNECTOR_ERRORS.conversationNotFound();
      const throttled = this.throttle(channel.tenantId, channel.id, 'createConversation', log);
      if (throttled) return throttled;
      if (!channel.botInstalled) return CONNECTOR_ERRORS.botNotInConversationRoster();
      if (!params.activity) return CONNECTOR_ERRORS.badArgument('Activity is required to create a channel conversation.');
      const invalid = this.validateActivity(params.activity);
      if (invalid) return invalid;
      const id = newMessageId();
      const conversationId = threadConversationId(channel.id, id);
      log.conversationId = conversationId;
      this.record({ operation: 'createConversation', conversationId, activityId: id, activity: params.activity });
      const message = this.store(channel, id, params.activity, id);
      this.opts.onBotMessage({ kind: 'posted', conversation: channel, message });
      return ok({ id: conversationId, activityId: id });
    }
    if (params.isGroup) return CONNECTOR_ERRORS.badArgument('Bots cannot create group chats.');
    const members: Array<{ id?: string }> = Array.isArray(params.members) ? params.members : [];
    if (members.length !== 1 || !members[0]?.id) {
      return CONNECTOR_ERRORS.badArgument('A personal conversation needs exactly one member.');
    }
    const memberId = members[0].id;
    const user = Object.values(USERS).find((u) => u.teamsId === memberId || u.oid === memberId);
    const tenantId: string | undefined = params.tenantId ?? params.channelData?.tenant?.id;
    if (!user || (tenantId && tenantId !== user.tid)) return CONNECTOR_ERRORS.badArgument('Invalid user identity in provided tenant.');
    const chat = world.personalChat(user);
    log.conversationId = chat.id;
    const throttled = this.throttle(chat.tenantId, chat.id, 'createConversation', log);
    if (throttled) return throttled;
    if (!chat.botInstalled) return CONNECTOR_ERRORS.botNotInstalledPersonal();
    let activityId: string | undefined;
    if (params.activity) {
      const invalid = this.validateActivity(params.activity);
      if (invalid) return invalid;
      activityId = newMessageId();
      this.record({ operation: 'createConversation', conversationId: chat.id, activityId, activity: params.activity });
      const message = this.store(chat, undefined, params.activity, activityId);
      this.opts.onBotMessage({ kind: 'posted', conversation: chat, message });
    }
    return ok({ id: chat.id, ...(activityId ? { activityId } : {}) });
  }

  private teamCall(r: Route, log: ConnectorCall): ConnectorAnswer {
    const team = this.opts.world.findTeam(baseConversationId(r.conversationId!));
    if (!team) return CONNECTOR_ERRORS.conversationNotFound();
    const throttled = this.throttle(team.tenantId, team.id, r.operation, log);
    if (throttled) return throttled;
    if (!team.botInstalled) return CONNECTOR_ERRORS.botNotInConversationRoster();
    const channels = [...team.channels.values()].filter((c) => !c.deleted);
    if (r.operation === 'fetchChannelList') {
      // "The General channel is returned with name null, to allow for localization."
      return ok({ conversations: channels.map((c) => ({ id: c.id, name: c.id === team.id ? null : c.name })) });
    }
    return ok({
      id: team.id,
      name: team.name,
      aadGroupId: team.aadGroupId,
      channelCount: channels.length,
      memberCount: team.members.length,
      type: 'standard',
    });
  }
}

function ok(body: unknown): ConnectorAnswer {
  return { status: 200, body };
}
