/**
 * Where the bot is installed and which team channels follow changes, kept in the bot's Storage
 * (Blob Storage in production), so every instance sees the same list.
 *
 * One record per team plus an index of team ids per tenant (Storage cannot list), so a fan-out
 * for one tenant reads that tenant's teams only. Every change is a read-modify-write with the
 * record's eTag, retried on conflict, so concurrent events (Teams sends `installationUpdate` and
 * `conversationUpdate` for one install) and instances never lose an edit.
 *
 * Format versions: v1 (before tenants) kept one index of every team (`notify-index`) and team
 * records without `v`. v2 adds per-tenant indexes and channel suspensions. Readers accept v1:
 * teams found only in the v1 index are read once, filed under their tenant, and annotated there;
 * v2 writers keep the v1 index up to date too, so v1 instances still running in a rolling
 * upgrade keep finding every team.
 */
import { createHash } from 'node:crypto';
import type { Storage } from 'botbuilder';
import { systemClock } from '../clock';
import { isETagConflict, readItem } from '../state/storage';
import type { ChannelTarget } from './types';

/** Kept per team so `subscriptions` can say what was dropped and why; older entries fall off. */
export const HISTORY_LIMIT = 20;
const MAX_CAS_ATTEMPTS = 20;

export interface ChannelRecord {
  id: string;
  name: string;
  subscribed: boolean;
  /** Who subscribed it, and when (epoch ms). */
  by?: string;
  since?: number;
  /** Teams refused sends here for now (admin disabled the bot, blocked…): kept, not sent to, until someone there talks to the bot. */
  suspended?: Suspension;
  /** Unsubscribed by a send Teams refused for good (not in roster, conversation gone): the next install subscribes it again. */
  droppedBySend?: { code: string; at: number };
}

export interface Suspension {
  code: string;
  reason: string;
  at: number;
}

export interface PrunedTarget {
  channelId: string;
  channelName: string;
  reason: string;
  at: number;
}

export interface DeadLetterNote {
  channelId: string;
  channelName: string;
  deliveryId: string;
  uploadId: string;
  reason: string;
  at: number;
}

export const REGISTRY_FORMAT = 2;

export interface TeamRecord {
  /** Format version; absent = 1. */
  v?: number;
  teamId: string;
  tenantId: string;
  serviceUrl: string;
  name: string;
  installed: boolean;
  /** Soft-deleted in Teams (can be restored): no notifications meanwhile. */
  deleted: boolean;
  channels: Record<string, ChannelRecord>;
  pruned: PrunedTarget[];
  deadLetters: DeadLetterNote[];
  updatedAt: number;
}

/** v1's index of every team; v2 adds each team's tenant (v1 readers ignore it). */
interface TeamIndex {
  teams: Record<string, { teamId: string; tenantId?: string }>;
}

/** v2: one tenant's teams. */
interface TenantIndex {
  v: number;
  tenantId: string;
  teams: Record<string, { teamId: string }>;
}

/** What the bot knows about a team when an activity names it. */
export interface TeamRef {
  teamId: string;
  tenantId: string;
  serviceUrl: string;
  name?: string;
}

/** General's id is the team's id; Teams lists it without a name "to allow for localization". */
export const GENERAL = 'General';
const INDEX_KEY = 'notify-index';
const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);
const teamKey = (teamId: string) => `notify-team-${hash(teamId)}`;
const tenantIndexKey = (tenantId: string) => `notify-tenant-${hash(tenantId.toLowerCase())}`;

function emptyTeam(ref: TeamRef, now: number): TeamRecord {
  return {
    v: REGISTRY_FORMAT,
    teamId: ref.teamId,
    tenantId: ref.tenantId,
    serviceUrl: ref.serviceUrl,
    name: ref.name ?? 'this team',
    installed: false,
    deleted: false,
    channels: {},
    pruned: [],
    deadLetters: [],
    updatedAt: now,
  };
}

const keepLast = <T>(list: T[], item: T): T[] => [...list, item].slice(-HISTORY_LIMIT);

/** How long a team seen without suspended channels is not re-read by resumeIfSuspended. */
export const RESUME_CHECK_MS = 5000;

export class SubscriptionRegistry {
  /** Teams known (recently) to have no suspended channel: teamId → until when. */
  private readonly quiet = new Map<string, number>();

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = systemClock,
  ) {}

  async team(teamId: string): Promise<TeamRecord | undefined> {
    const item = await readItem<TeamRecord>(this.storage, teamKey(teamId));
    if (!item) return undefined;
    const { eTag: _eTag, ...record } = item as TeamRecord & { eTag?: string };
    return record;
  }

  /** The bot was added to a team. Subscribes General when the team is new to the bot; true if it was not installed before. */
  async install(ref: TeamRef, by?: string): Promise<{ newlyInstalled: boolean; record: TeamRecord }> {
    let newlyInstalled = false;
    const record = await this.mutateTeam(ref, (team) => {
      newlyInstalled = !team.installed;
      team.installed = true;
      team.deleted = false;
      team.serviceUrl = ref.serviceUrl;
      if (ref.name) team.name = ref.name;
      if (newlyInstalled) {
        team.channels[ref.teamId] = { id: ref.teamId, name: GENERAL, subscribed: true, by, since: this.now() };
      }
      for (const id of Object.keys(team.channels)) applyToChannel(team, id, { kind: 'reinstall' });
    });
    await this.index(ref, true);
    return { newlyInstalled, record };
  }

  /** The bot was removed: nothing more goes to this team; a later install starts afresh. */
  async uninstall(ref: TeamRef): Promise<TeamRecord> {
    const record = await this.mutateTeam(ref, (team) => {
      const at = this.now();
      for (const channel of Object.values(team.channels).filter((c) => c.subscribed)) {
        team.pruned = keepLast(team.pruned, { channelId: channel.id, channelName: channel.name, reason: 'the bot was removed from the team', at });
      }
      team.installed = false;
      team.channels = {};
    });
    await this.index(ref, false);
    return record;
  }

  async renameTeam(ref: TeamRef & { name: string }): Promise<void> {
    await this.mutateTeam(ref, (team) => {
      team.name = ref.name;
    });
  }

  /** Teams soft-deletes a team (restorable for 30 days); `deleted: false` on restore. */
  async setTeamDeleted(ref: TeamRef, deleted: boolean): Promise<void> {
    await this.mutateTeam(ref, (team) => {
      team.deleted = deleted;
    });
  }

  /** A channel was created or renamed: remember its name (General keeps its own). */
  async nameChannel(ref: TeamRef, channelId: string, name: string): Promise<void> {
    await this.mutateTeam(ref, (team) => {
      const existing = team.channels[channelId];
      team.channels[channelId] = { ...(existing ?? { id: channelId, subscribed: false }), name: channelId === ref.teamId ? GENERAL : name };
    });
  }

  /** A channel was deleted: drop it, and say so if it followed changes. */
  async deleteChannel(ref: TeamRef, channelId: string, name?: string): Promise<void> {
    await this.mutateTeam(ref, (team) => {
      const existing = team.channels[channelId];
      if (existing?.subscribed) {
        team.pruned = keepLast(team.pruned, { channelId, channelName: name ?? existing.name, reason: 'the channel was deleted', at: this.now() });
      }
      delete team.channels[channelId];
    });
  }

  /** Returns false if the channel already followed changes. */
  async subscribe(ref: TeamRef, channelId: string, channelName: string, by: string): Promise<boolean> {
    let changed = false;
    await this.mutateTeam(ref, (team) => {
      // A subscribe proves the bot is in the team even if its install event was missed.
      team.installed = true;
      team.deleted = false;
      team.serviceUrl = ref.serviceUrl;
      changed = applyToChannel(team, channelId, { kind: 'subscribe', name: channelName, by, at: this.now() });
    });
    await this.index(ref, true);
    return changed;
  }

  /** Returns false if the channel did not follow changes. */
  async unsubscribe(ref: TeamRef, channelId: string): Promise<boolean> {
    let changed = false;
    await this.mutateTeam(ref, (team) => {
      changed = applyToChannel(team, channelId, { kind: 'unsubscribe' });
    });
    return changed;
  }

  /**
   * A send was refused because the bot is not there (403 BotNotInConversationRoster, 404
   * ConversationNotFound): stop sending there, record why; the next install subscribes it again.
   */
  async prune(target: ChannelTarget, reason: string, code = 'pruned'): Promise<boolean> {
    let changed = false;
    await this.mutateTeam(refOf(target), (team) => {
      const at = this.now();
      changed = applyToChannel(team, target.channelId, { kind: 'prune', code, at });
      if (changed) team.pruned = keepLast(team.pruned, { channelId: target.channelId, channelName: team.channels[target.channelId]!.name, reason, at });
    });
    return changed;
  }

  /** Teams refuses sends there for now (BotDisabledByAdmin, ConversationBlockedByUser, MessageWritesBlocked): keep it, send nothing. */
  async suspend(target: ChannelTarget, code: string, reason: string): Promise<boolean> {
    let changed = false;
    await this.mutateTeam(refOf(target), (team) => {
      changed = applyToChannel(team, target.channelId, { kind: 'suspend', code, reason, at: this.now() });
    });
    this.quiet.delete(target.teamId);
    return changed;
  }

  /**
   * Someone in a channel talked to the bot: Teams' table says the conversation is no longer
   * blocked, so it follows changes again (`channelId` omitted: every channel of the team).
   * Returns the channels resumed. Reads the record first and writes only when one was suspended.
   */
  async resume(teamId: string, channelId?: string): Promise<string[]> {
    const current = await this.team(teamId);
    const matches = (c: ChannelRecord) => c.suspended && (channelId === undefined || c.id === channelId);
    if (!current || !Object.values(current.channels).some(matches)) {
      if (current && !Object.values(current.channels).some((c) => c.suspended)) this.quiet.set(teamId, this.now() + RESUME_CHECK_MS);
      return [];
    }
    this.quiet.delete(teamId);
    const resumed: string[] = [];
    await this.mutateTeam(current, (team) => {
      resumed.length = 0;
      for (const channel of Object.values(team.channels)) {
        if (!matches(channel)) continue;
        applyToChannel(team, channel.id, { kind: 'resume' });
        resumed.push(channel.id);
      }
    });
    return resumed;
  }

  /**
   * resume() for every message and invoke in a team, without a storage read on each: a team seen
   * without suspensions is not read again for RESUME_CHECK_MS (this instance's suspensions clear
   * that at once; another instance's are noticed within it).
   */
  async resumeIfSuspended(teamId: string, channelId: string): Promise<string[]> {
    const quietUntil = this.quiet.get(teamId);
    if (quietUntil !== undefined && quietUntil > this.now()) return [];
    if (this.quiet.size > 10_000) this.quiet.delete(this.quiet.keys().next().value as string);
    return this.resume(teamId, channelId);
  }

  /** The team moved to another Connector host (403 InvalidBotApiHost names the GCC host). */
  async moveServiceUrl(target: ChannelTarget, serviceUrl: string): Promise<void> {
    await this.mutateTeam(refOf(target), (team) => {
      team.serviceUrl = serviceUrl;
    });
  }

  async noteDeadLetter(target: ChannelTarget, note: Omit<DeadLetterNote, 'channelId' | 'channelName' | 'at'>): Promise<void> {
    await this.mutateTeam(refOf(target), (team) => {
      team.deadLetters = keepLast(team.deadLetters, { ...note, channelId: target.channelId, channelName: target.channelName, at: this.now() });
    });
  }

  /** Is this channel still a target? (Checked before each send: it may have unsubscribed or been suspended since the fan-out.) */
  async isSubscribed(teamId: string, channelId: string): Promise<boolean> {
    return isTarget(await this.team(teamId), channelId);
  }

  /**
   * Every channel of one tenant that follows changes (suspended ones excluded), sorted by team
   * then channel id (the fan-out cursor relies on the order). Reads that tenant's index, the v1
   * index, and that tenant's team records — never another tenant's teams, except once for a team
   * a v1 instance indexed without its tenant.
   */
  async targets(tenantId: string): Promise<ChannelTarget[]> {
    const tid = tenantId.toLowerCase();
    const [tenantIndex, legacy] = await Promise.all([readItem<TenantIndex>(this.storage, tenantIndexKey(tid)), readItem<TeamIndex>(this.storage, INDEX_KEY)]);
    const keys = new Set(Object.keys(tenantIndex?.teams ?? {}));
    const unfiled: string[] = [];
    for (const [key, entry] of Object.entries(legacy?.teams ?? {})) {
      if (entry.tenantId === undefined) unfiled.push(key);
      else if (entry.tenantId.toLowerCase() === tid) keys.add(key);
    }
    for (const key of unfiled) keys.add(key);
    if (keys.size === 0) return [];
    const items = await this.storage.read([...keys]);
    if (unfiled.length) await this.fileUnindexed(unfiled.map((key) => items[key] as TeamRecord | undefined));
    const targets: ChannelTarget[] = [];
    for (const key of keys) {
      const team = items[key] as TeamRecord | undefined;
      // The record's own tenant decides: an index entry never sends into another tenant.
      if (!team || team.tenantId?.toLowerCase() !== tid || !team.installed || team.deleted) continue;
      for (const channel of Object.values(team.channels)) {
        if (!channel.subscribed || channel.suspended) continue;
        targets.push({ tenantId: team.tenantId, teamId: team.teamId, channelId: channel.id, serviceUrl: team.serviceUrl, channelName: channel.name });
      }
    }
    return targets.sort((a, b) => compareTargets(a, b));
  }

  /** Teams a v1 instance indexed without a tenant: file each under its tenant (once). */
  private async fileUnindexed(records: Array<TeamRecord | undefined>): Promise<void> {
    for (const team of records) {
      if (team?.tenantId) await this.index(team, team.installed);
    }
  }

  /** Adds the team to (or removes it from) its tenant's index and the v1 index. */
  private async index(ref: TeamRef, present: boolean): Promise<void> {
    const key = teamKey(ref.teamId);
    const tenantId = ref.tenantId.toLowerCase();
    await this.mutate<TenantIndex>(tenantIndexKey(tenantId), () => ({ v: REGISTRY_FORMAT, tenantId, teams: {} }), (index) => {
      if (present) index.teams[key] = { teamId: ref.teamId };
      else delete index.teams[key];
    });
    await this.mutateIndex((index) => {
      if (present) index.teams[key] = { teamId: ref.teamId, tenantId };
      else delete index.teams[key];
    });
  }

  private async mutateTeam(ref: TeamRef, change: (team: TeamRecord) => void): Promise<TeamRecord> {
    return this.mutate<TeamRecord>(teamKey(ref.teamId), () => emptyTeam(ref, this.now()), (team) => {
      change(team);
      team.v = REGISTRY_FORMAT;
      team.updatedAt = this.now();
    });
  }

  private async mutateIndex(change: (index: TeamIndex) => void): Promise<void> {
    await this.mutate<TeamIndex>(INDEX_KEY, () => ({ teams: {} }), change);
  }

  /**
   * Compare-and-swap on an existing item. botbuilder's Storage has no "create if absent", so a
   * new item is written unconditionally and then re-read: if another writer's create replaced
   * ours, the (idempotent) change is applied again on top of theirs.
   */
  private async mutate<T extends object>(key: string, create: () => T, change: (value: T) => void): Promise<T> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt += 1) {
      const current = await readItem<T>(this.storage, key);
      if (!current) {
        const fresh = create();
        change(fresh);
        await this.storage.write({ [key]: { ...fresh, eTag: '*' } });
        const check = await readItem<T>(this.storage, key);
        if (check && JSON.stringify(withoutETag(check)) === JSON.stringify(fresh)) return fresh;
        continue;
      }
      const { eTag, ...value } = current as T & { eTag: string };
      const before = JSON.stringify(value);
      change(value as T);
      if (JSON.stringify(value) === before) return value as T;
      try {
        await this.storage.write({ [key]: { ...value, eTag } });
        return value as T;
      } catch (err) {
        if (!isETagConflict(err)) throw err;
      }
    }
    throw new Error(`registry: gave up updating ${key} after ${MAX_CAS_ATTEMPTS} conflicting writes`);
  }
}

const refOf = (target: ChannelTarget): TeamRef => ({ teamId: target.teamId, tenantId: target.tenantId, serviceUrl: target.serviceUrl });

/** What happens to one channel's record (the team-level effects, pruned history and indexes, stay with the methods). */
export type ChannelEvent =
  /** Someone subscribed it: a fresh record (suspension and drop forgotten), its known name kept. */
  | { kind: 'subscribe'; name: string; by: string; at: number }
  | { kind: 'unsubscribe' }
  /** Teams refused a send for good: not a target until the next install. */
  | { kind: 'prune'; code: string; at: number }
  /** Teams refuses sends for now: kept, not sent to. */
  | { kind: 'suspend'; code: string; reason: string; at: number }
  /** Someone there talked to the bot. */
  | { kind: 'resume' }
  /** The bot was added again: channels dropped by a send follow changes again, and an install is someone in the team acting, which lifts suspensions too. */
  | { kind: 'reinstall' };

/**
 * The subscription and suspension rules of one channel, pure: its record after `event` (never the
 * one given, changed in place) and whether the event took effect, which the methods answer.
 */
export function channelAfter(id: string, channel: ChannelRecord | undefined, event: ChannelEvent): { channel: ChannelRecord | undefined; changed: boolean } {
  const same = { channel, changed: false };
  switch (event.kind) {
    case 'subscribe':
      if (channel?.subscribed) return same;
      return { channel: { id, name: channel?.name ?? event.name, subscribed: true, by: event.by, since: event.at }, changed: true };
    case 'unsubscribe': {
      if (!channel) return same;
      const { suspended: _s, droppedBySend: _d, ...rest } = channel;
      return { channel: { ...rest, subscribed: false }, changed: channel.subscribed };
    }
    case 'prune': {
      if (!channel?.subscribed) return same;
      const { suspended: _s, ...rest } = channel;
      return { channel: { ...rest, subscribed: false, droppedBySend: { code: event.code, at: event.at } }, changed: true };
    }
    case 'suspend':
      if (!channel?.subscribed || channel.suspended) return same;
      return { channel: { ...channel, suspended: { code: event.code, reason: event.reason, at: event.at } }, changed: true };
    case 'resume': {
      if (!channel?.suspended) return same;
      const { suspended: _s, ...rest } = channel;
      return { channel: rest, changed: true };
    }
    case 'reinstall': {
      if (!channel || (!channel.droppedBySend && !channel.suspended)) return same;
      const { suspended: _s, droppedBySend, ...rest } = channel;
      return { channel: droppedBySend ? { ...rest, subscribed: true } : rest, changed: true };
    }
  }
}

function applyToChannel(team: TeamRecord, id: string, event: ChannelEvent): boolean {
  const next = channelAfter(id, team.channels[id], event);
  if (next.channel) team.channels[id] = next.channel;
  return next.changed;
}

/** The one rule for "send to this channel now". */
export function isTarget(team: TeamRecord | undefined, channelId: string): boolean {
  const channel = team?.channels[channelId];
  return Boolean(team && team.installed && !team.deleted && channel?.subscribed && !channel.suspended);
}

function withoutETag<T extends object>(item: T): Omit<T, 'eTag'> {
  const { eTag: _eTag, ...rest } = item as T & { eTag?: string };
  return rest;
}

export function compareTargets(a: Pick<ChannelTarget, 'teamId' | 'channelId'>, b: Pick<ChannelTarget, 'teamId' | 'channelId'>): number {
  const ka = `${a.teamId}|${a.channelId}`;
  const kb = `${b.teamId}|${b.channelId}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
