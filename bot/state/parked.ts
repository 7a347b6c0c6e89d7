/**
 * Commands parked while Teams performs message-level SSO.
 *
 * The bot sends an OAuthCard whose tokenExchangeResource id is fresh; Teams answers with one
 * `signin/tokenExchange` invoke per signed-in endpoint, possibly to different bot instances.
 * The parked item exists before any invoke arrives, so claiming it is a compare-and-swap on an
 * existing item — exactly one invoke wins, on any instance. The claimed item is also what
 * deduplicates later copies of the invoke, so it lives as long as the parked command could.
 */
import { systemClock } from '../clock';
import { randomUUID } from 'node:crypto';
import type { Command } from '../commands/parse';
import { FORMAT_VERSION, PARKED_MARGIN_MS, type Versioned } from './lifetimes';
import { readItem, swapItem } from './storage';
import type { StateStore } from './store';

export const PARKED_TTL_MS = 15 * 60 * 1000;

export interface ParkedCommand extends Versioned {
  exchangeId: string;
  oid: string;
  tid: string;
  conversationId: string;
  command: Command;
  state: 'waiting' | 'claimed' | 'failed';
  createdAt: number;
}

interface LatestPointer extends Versioned {
  exchangeId: string;
}

export type ClaimResult =
  | { outcome: 'claimed'; parked: ParkedCommand }
  | { outcome: 'duplicate' }
  | { outcome: 'unknown' };

export const PARKED_PREFIX = 'sso_';
export const LATEST_PREFIX = 'ssolatest_';
const itemKey = (exchangeId: string) => `${PARKED_PREFIX}${exchangeId}`;
/** The user's latest parked command in a conversation: what signin/verifyState resumes. */
const latestKey = (tid: string, oid: string, conversationId: string) => `${LATEST_PREFIX}${tid}_${oid}_${conversationId}`;

/** Parked items, their pointers and claims are kept this long after parking. */
export const PARKED_KEEP_MS = PARKED_TTL_MS + PARKED_MARGIN_MS;
const keepUntil = (parked: { createdAt: number }) => ({ expiresAt: parked.createdAt + PARKED_KEEP_MS });

export interface ParkedCommandsOptions {
  /** signin/verifyState never resumes commands parked for other tenants (config.sso.allowedTenants); unset = any tenant. */
  allowedTenants?: readonly string[];
}

export class ParkedCommands {
  private readonly allowed?: ReadonlySet<string>;

  constructor(
    private readonly storage: StateStore,
    private readonly now: () => number = systemClock,
    options: ParkedCommandsOptions = {},
  ) {
    this.allowed = options.allowedTenants && new Set(options.allowedTenants.map((t) => t.toLowerCase()));
  }

  async park(input: { oid: string; tid: string; conversationId: string; command: Command }): Promise<ParkedCommand> {
    const parked: ParkedCommand = { ...input, v: FORMAT_VERSION, exchangeId: randomUUID(), state: 'waiting', createdAt: this.now() };
    await this.storage.put(itemKey(parked.exchangeId), parked, keepUntil(parked));
    const pointer: LatestPointer = { v: FORMAT_VERSION, exchangeId: parked.exchangeId };
    await this.storage.put(latestKey(input.tid, input.oid, input.conversationId), pointer, keepUntil(parked));
    return parked;
  }

  /** Exactly one caller per exchange id gets 'claimed', and only the user it was parked for. */
  async claim(exchangeId: unknown, user: { oid: string; tid: string }): Promise<ClaimResult> {
    if (typeof exchangeId !== 'string' || exchangeId.length > 100) return { outcome: 'unknown' };
    const item = await readItem<ParkedCommand>(this.storage, itemKey(exchangeId));
    // No tenant check here: a claim only leads to SSO validation, which refuses a tenant that is not
    // allowed with a card saying so (and never runs the command); "unknown" would show a sign-in button instead.
    if (!item?.eTag || item.oid !== user.oid || item.tid !== user.tid) return { outcome: 'unknown' };
    if (this.isExpired(item)) return { outcome: 'unknown' };
    if (item.state !== 'waiting') return { outcome: 'duplicate' };
    const { eTag, ...parked } = item;
    const claimed: ParkedCommand = { ...parked, v: FORMAT_VERSION, state: 'claimed' };
    return (await swapItem(this.storage, itemKey(exchangeId), claimed, eTag, keepUntil(claimed)))
      ? { outcome: 'claimed', parked: claimed }
      : { outcome: 'duplicate' };
  }

  /** Marks a claimed exchange as failed, so signin/verifyState can resume its command. */
  async fail(exchangeId: string): Promise<void> {
    const item = await readItem<ParkedCommand>(this.storage, itemKey(exchangeId));
    if (!item?.eTag) return;
    const { eTag, ...parked } = item;
    await swapItem(this.storage, itemKey(exchangeId), { ...parked, v: FORMAT_VERSION, state: 'failed' }, eTag, keepUntil(parked));
  }

  /**
   * Takes the command a sign-in (signin/verifyState with a valid state) resumes: once, only for the
   * user it was parked for, only while it lives and has not run. A replayed state finds it taken.
   */
  async takeForSignIn(exchangeId: string, user: { oid: string; tid: string }, conversationId: string): Promise<ParkedCommand | undefined> {
    const item = await readItem<ParkedCommand>(this.storage, itemKey(exchangeId));
    if (!item?.eTag || item.oid !== user.oid || item.tid !== user.tid || item.conversationId !== conversationId) return undefined;
    if (this.isExpired(item) || !this.tenantAllowed(item) || item.state === 'claimed') return undefined;
    const { eTag, ...parked } = item;
    const taken: ParkedCommand = { ...parked, v: FORMAT_VERSION, state: 'claimed' };
    return (await swapItem(this.storage, itemKey(exchangeId), taken, eTag, keepUntil(parked))) !== undefined ? taken : undefined;
  }

  /** The command a failed exchange left behind, for signin/verifyState to resume. */
  async latest(user: { oid: string; tid: string }, conversationId: string): Promise<ParkedCommand | undefined> {
    const pointer = await readItem<LatestPointer>(this.storage, latestKey(user.tid, user.oid, conversationId));
    if (!pointer) return undefined;
    const item = await readItem<ParkedCommand>(this.storage, itemKey(pointer.exchangeId));
    if (!item || this.isExpired(item) || !this.tenantAllowed(item)) return undefined;
    // A claimed exchange already ran its command; a later sign-in (an old card's button) must not run it again.
    if (item.state === 'claimed') return undefined;
    const { eTag: _eTag, ...parked } = item;
    return parked;
  }

  private isExpired(item: ParkedCommand): boolean {
    return this.now() - item.createdAt > PARKED_TTL_MS;
  }

  private tenantAllowed(item: ParkedCommand): boolean {
    return !this.allowed || this.allowed.has(String(item.tid).toLowerCase());
  }
}
