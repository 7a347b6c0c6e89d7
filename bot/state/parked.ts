/**
 * Commands parked while Teams performs message-level SSO.
 *
 * The bot sends an OAuthCard whose tokenExchangeResource id is fresh; Teams answers with one
 * `signin/tokenExchange` invoke per signed-in endpoint, possibly to different bot instances.
 * The parked item exists before any invoke arrives, so claiming it is a compare-and-swap on an
 * existing item — exactly one invoke wins, on any instance, with any botbuilder Storage.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from 'botbuilder';
import type { Command } from '../commands/parse';
import { readItem, replaceItem, writeItem } from './storage';

export const PARKED_TTL_MS = 15 * 60 * 1000;

export interface ParkedCommand {
  exchangeId: string;
  oid: string;
  tid: string;
  conversationId: string;
  command: Command;
  state: 'waiting' | 'claimed' | 'failed';
  createdAt: number;
}

export type ClaimResult =
  | { outcome: 'claimed'; parked: ParkedCommand }
  | { outcome: 'duplicate' }
  | { outcome: 'unknown' };

const itemKey = (exchangeId: string) => `sso_${exchangeId}`;
/** The user's latest parked command in a conversation: what signin/verifyState resumes. */
const latestKey = (tid: string, oid: string, conversationId: string) => `ssolatest_${tid}_${oid}_${conversationId}`;

export class ParkedCommands {
  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
  ) {}

  async park(input: { oid: string; tid: string; conversationId: string; command: Command }): Promise<ParkedCommand> {
    const parked: ParkedCommand = { ...input, exchangeId: randomUUID(), state: 'waiting', createdAt: this.now() };
    await writeItem(this.storage, itemKey(parked.exchangeId), parked);
    await writeItem(this.storage, latestKey(input.tid, input.oid, input.conversationId), { exchangeId: parked.exchangeId });
    return parked;
  }

  /** Exactly one caller per exchange id gets 'claimed', and only the user it was parked for. */
  async claim(exchangeId: unknown, user: { oid: string; tid: string }): Promise<ClaimResult> {
    if (typeof exchangeId !== 'string' || exchangeId.length > 100) return { outcome: 'unknown' };
    const item = await readItem<ParkedCommand>(this.storage, itemKey(exchangeId));
    if (!item?.eTag || item.oid !== user.oid || item.tid !== user.tid) return { outcome: 'unknown' };
    if (this.now() - item.createdAt > PARKED_TTL_MS) return { outcome: 'unknown' };
    if (item.state !== 'waiting') return { outcome: 'duplicate' };
    const { eTag, ...parked } = item;
    const claimed: ParkedCommand = { ...parked, state: 'claimed' };
    return (await replaceItem(this.storage, itemKey(exchangeId), claimed, eTag))
      ? { outcome: 'claimed', parked: claimed }
      : { outcome: 'duplicate' };
  }

  /** Marks a claimed exchange as failed, so signin/verifyState can resume its command. */
  async fail(exchangeId: string): Promise<void> {
    const item = await readItem<ParkedCommand>(this.storage, itemKey(exchangeId));
    if (!item?.eTag) return;
    const { eTag, ...parked } = item;
    await replaceItem(this.storage, itemKey(exchangeId), { ...parked, state: 'failed' }, eTag);
  }

  /**
   * Takes the command a sign-in (signin/verifyState with a valid state) resumes: once, only for the
   * user it was parked for, only while it lives and has not run. A replayed state finds it taken.
   */
  async takeForSignIn(exchangeId: string, user: { oid: string; tid: string }, conversationId: string): Promise<ParkedCommand | undefined> {
    const item = await readItem<ParkedCommand>(this.storage, itemKey(exchangeId));
    if (!item?.eTag || item.oid !== user.oid || item.tid !== user.tid || item.conversationId !== conversationId) return undefined;
    if (this.now() - item.createdAt > PARKED_TTL_MS || item.state === 'claimed') return undefined;
    const { eTag, ...parked } = item;
    const taken: ParkedCommand = { ...parked, state: 'claimed' };
    return (await replaceItem(this.storage, itemKey(exchangeId), taken, eTag)) ? taken : undefined;
  }

  /** The command a failed exchange left behind, for signin/verifyState to resume. */
  async latest(user: { oid: string; tid: string }, conversationId: string): Promise<ParkedCommand | undefined> {
    const pointer = await readItem<{ exchangeId: string }>(this.storage, latestKey(user.tid, user.oid, conversationId));
    if (!pointer) return undefined;
    const item = await readItem<ParkedCommand>(this.storage, itemKey(pointer.exchangeId));
    if (!item || this.now() - item.createdAt > PARKED_TTL_MS) return undefined;
    // A claimed exchange already ran its command; a later sign-in (an old card's button) must not run it again.
    if (item.state === 'claimed') return undefined;
    const { eTag: _eTag, ...parked } = item;
    return parked;
  }
}
