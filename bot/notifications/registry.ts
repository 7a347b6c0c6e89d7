/**
 * Where the bot is installed and which team channels follow changes, kept in the bot's Storage
 * (Blob Storage in production), so every instance sees the same list.
 *
 * One record per team plus an index of team ids (Storage cannot list). Every change is a
 * read-modify-write with the record's eTag, retried on conflict, so concurrent events (Teams sends
 * `installationUpdate` and `conversationUpdate` for one install) and instances never lose an edit.
 */
import { createHash } from 'node:crypto';
import type { Storage } from 'botbuilder';
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

export interface TeamRecord {
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

interface TeamIndex {
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
const teamKey = (teamId: string) => `notify-team-${createHash('sha256').update(teamId).digest('hex').slice(0, 40)}`;

function emptyTeam(ref: TeamRef, now: number): TeamRecord {
  return {
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

export class SubscriptionRegistry {
  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
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
    });
    await this.mutateIndex((index) => {
      index.teams[teamKey(ref.teamId)] = { teamId: ref.teamId };
    });
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
    await this.mutateIndex((index) => {
      delete index.teams[teamKey(ref.teamId)];
    });
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
      const existing = team.channels[channelId];
      changed = !existing?.subscribed;
      if (changed) team.channels[channelId] = { id: channelId, name: existing?.name ?? channelName, subscribed: true, by, since: this.now() };
    });
    await this.mutateIndex((index) => {
      index.teams[teamKey(ref.teamId)] = { teamId: ref.teamId };
    });
    return changed;
  }

  /** Returns false if the channel did not follow changes. */
  async unsubscribe(ref: TeamRef, channelId: string): Promise<boolean> {
    let changed = false;
    await this.mutateTeam(ref, (team) => {
      const existing = team.channels[channelId];
      changed = Boolean(existing?.subscribed);
      if (existing) existing.subscribed = false;
    });
    return changed;
  }

  /** A send was refused for good (403 not in roster, 404 conversation gone): stop sending there, and record why. */
  async prune(target: ChannelTarget, reason: string): Promise<boolean> {
    let changed = false;
    await this.mutateTeam({ teamId: target.teamId, tenantId: target.tenantId, serviceUrl: target.serviceUrl }, (team) => {
      const existing = team.channels[target.channelId];
      if (!existing?.subscribed) return;
      changed = true;
      existing.subscribed = false;
      team.pruned = keepLast(team.pruned, { channelId: target.channelId, channelName: existing.name, reason, at: this.now() });
    });
    return changed;
  }

  async noteDeadLetter(target: ChannelTarget, note: Omit<DeadLetterNote, 'channelId' | 'channelName' | 'at'>): Promise<void> {
    await this.mutateTeam({ teamId: target.teamId, tenantId: target.tenantId, serviceUrl: target.serviceUrl }, (team) => {
      team.deadLetters = keepLast(team.deadLetters, { ...note, channelId: target.channelId, channelName: target.channelName, at: this.now() });
    });
  }

  /** Is this channel still a target? (Checked before each send: it may have unsubscribed since the fan-out.) */
  async isSubscribed(teamId: string, channelId: string): Promise<boolean> {
    const team = await this.team(teamId);
    return Boolean(team && team.installed && !team.deleted && team.channels[channelId]?.subscribed);
  }

  /** Every channel that follows changes, sorted by team then channel id (the fan-out cursor relies on the order). */
  async targets(): Promise<ChannelTarget[]> {
    const index = await readItem<TeamIndex>(this.storage, INDEX_KEY);
    const keys = Object.keys(index?.teams ?? {});
    if (keys.length === 0) return [];
    const items = await this.storage.read(keys);
    const targets: ChannelTarget[] = [];
    for (const key of keys) {
      const team = items[key] as TeamRecord | undefined;
      if (!team || !team.installed || team.deleted) continue;
      for (const channel of Object.values(team.channels)) {
        if (!channel.subscribed) continue;
        targets.push({ tenantId: team.tenantId, teamId: team.teamId, channelId: channel.id, serviceUrl: team.serviceUrl, channelName: channel.name });
      }
    }
    return targets.sort((a, b) => compareTargets(a, b));
  }

  private async mutateTeam(ref: TeamRef, change: (team: TeamRecord) => void): Promise<TeamRecord> {
    return this.mutate<TeamRecord>(teamKey(ref.teamId), () => emptyTeam(ref, this.now()), (team) => {
      change(team);
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

function withoutETag<T extends object>(item: T): Omit<T, 'eTag'> {
  const { eTag: _eTag, ...rest } = item as T & { eTag?: string };
  return rest;
}

export function compareTargets(a: Pick<ChannelTarget, 'teamId' | 'channelId'>, b: Pick<ChannelTarget, 'teamId' | 'channelId'>): number {
  const ka = `${a.teamId}|${a.channelId}`;
  const kb = `${b.teamId}|${b.channelId}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
