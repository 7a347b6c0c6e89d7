/**
 * What exists on the Teams side: chats, teams, channels, who is in them, whether the bot is
 * installed there, and every message posted in them (by people and by the bot).
 */
import crypto from 'node:crypto';
import { USERS, type SandboxUser, type UserKey } from '../directory';
import {
  baseConversationId,
  newChannelId,
  newGroupChatId,
  newPersonalChatId,
  newTeamId,
} from './ids';

export type ConversationKind = 'personal' | 'groupChat' | 'channel';

export type Activity = Record<string, any>;

export interface StoredMessage {
  id: string;
  /** Base conversation id (no `;messageid=`). */
  conversationId: string;
  /** Channel messages: the id of the thread's root post. */
  threadId?: string;
  from: 'bot' | 'user';
  user?: SandboxUser;
  /** The current version: what the bot last put (or the person posted). */
  activity: Activity;
  /** Bumps on every update, so clients know to refresh. */
  version: number;
  deleted: boolean;
}

export class Team {
  botInstalled = true;
  readonly aadGroupId = crypto.randomUUID();
  readonly channels = new Map<string, Conversation>();

  constructor(
    readonly id: string,
    public name: string,
    readonly tenantId: string,
    readonly members: SandboxUser[],
  ) {}

  get general(): Conversation {
    return [...this.channels.values()].find((c) => c.id === this.id)!;
  }
}

export class Conversation {
  readonly messages: StoredMessage[] = [];
  /** A deleted channel: the Connector no longer finds it. */
  deleted = false;
  private ownInstall = true;

  constructor(
    readonly id: string,
    readonly kind: ConversationKind,
    readonly tenantId: string,
    readonly serviceUrl: string,
    readonly members: SandboxUser[],
    public name?: string,
    readonly team?: Team,
  ) {}

  /** Whether the bot is in this conversation's roster (a channel follows its team). */
  get botInstalled(): boolean {
    return this.team ? this.team.botInstalled && !this.deleted : this.ownInstall;
  }

  set botInstalled(value: boolean) {
    if (this.team) this.team.botInstalled = value;
    else this.ownInstall = value;
  }

  message(id: string): StoredMessage | undefined {
    return this.messages.find((m) => m.id === id);
  }

  member(idOrAadObjectId: string): SandboxUser | undefined {
    return this.members.find((u) => u.teamsId === idOrAadObjectId || u.oid === idOrAadObjectId);
  }
}

export class World {
  private readonly conversations = new Map<string, Conversation>();
  private readonly personal = new Map<string, Conversation>();
  private readonly groups = new Map<string, Conversation>();
  private readonly teams = new Map<string, Team>();

  constructor(private readonly baseUrl: string) {}

  /** Teams' serviceUrl carries the region and, today, the tenant: https://smba.trafficmanager.net/amer/<tenant>/ */
  serviceUrlFor(tenantId: string): string {
    return `${this.baseUrl}/amer/${tenantId}/`;
  }

  personalChat(user: SandboxUser): Conversation {
    let chat = this.personal.get(user.key);
    if (!chat) {
      chat = new Conversation(newPersonalChatId(), 'personal', user.tid, this.serviceUrlFor(user.tid), [user]);
      this.personal.set(user.key, chat);
      this.conversations.set(chat.id, chat);
    }
    return chat;
  }

  /** A group chat is identified by its topic here; members are fixed when it is first made. */
  groupChat(topic: string, users: SandboxUser[]): Conversation {
    let chat = this.groups.get(topic);
    if (!chat) {
      if (users.length < 2) throw new Error(`group chat "${topic}" needs at least two people`);
      const tenantId = users[0].tid;
      chat = new Conversation(newGroupChatId(), 'groupChat', tenantId, this.serviceUrlFor(tenantId), users, topic);
      this.groups.set(topic, chat);
      this.conversations.set(chat.id, chat);
    }
    return chat;
  }

  team(name: string, members?: SandboxUser[]): Team {
    let team = this.teams.get(name);
    if (!team) {
      const people = members ?? defaultTeamMembers();
      team = new Team(newTeamId(), name, people[0].tid, people);
      this.teams.set(name, team);
      // The General channel always exists and shares the team's id; Teams lists it without a name.
      this.addChannel(team, 'General', team.id);
    }
    return team;
  }

  findTeam(idOrName: string): Team | undefined {
    return this.teams.get(idOrName) ?? [...this.teams.values()].find((t) => t.id === idOrName);
  }

  channel(team: Team, name: string): Conversation {
    return team.channels.get(name) ?? this.addChannel(team, name, newChannelId());
  }

  addChannel(team: Team, name: string, id: string): Conversation {
    const channel = new Conversation(id, 'channel', team.tenantId, this.serviceUrlFor(team.tenantId), team.members, name, team);
    team.channels.set(name, channel);
    this.conversations.set(id, channel);
    return channel;
  }

  /** Looks a conversation up by any form of its id (with or without `;messageid=`). */
  find(conversationId: string): Conversation | undefined {
    const found = this.conversations.get(baseConversationId(conversationId));
    return found && !found.deleted ? found : undefined;
  }

  all(): Conversation[] {
    return [...this.conversations.values()];
  }
}

function defaultTeamMembers(): SandboxUser[] {
  const contoso: UserKey[] = ['alex', 'adele', 'megan', 'diego'];
  return contoso.map((k) => USERS[k]);
}
