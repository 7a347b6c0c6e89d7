/**
 * A channel's subscription states (channelAfter): subscribed, suspended, unsubscribed, dropped by a
 * send, and no record at all, and what each event makes of each, checked against the one rule for
 * "send here now" (isTarget). Pure: the record given is never changed.
 */
import { channelAfter, isTarget, type ChannelEvent, type ChannelRecord, type TeamRecord } from '../../bot/notifications/registry';

const ID = '19:channel@thread.tacv2';
const AT = 1_750_000_000_000;

const STATES: Record<string, ChannelRecord | undefined> = {
  none: undefined,
  subscribed: { id: ID, name: 'Changes', subscribed: true, by: 'Alex', since: 1 },
  suspended: { id: ID, name: 'Changes', subscribed: true, by: 'Alex', since: 1, suspended: { code: 'BotDisabledByAdmin', reason: 'disabled', at: 2 } },
  unsubscribed: { id: ID, name: 'Changes', subscribed: false },
  dropped: { id: ID, name: 'Changes', subscribed: false, droppedBySend: { code: 'BotNotInConversationRoster', at: 3 } },
};

const EVENTS: Record<string, ChannelEvent> = {
  subscribe: { kind: 'subscribe', name: 'New name', by: 'Lee', at: AT },
  unsubscribe: { kind: 'unsubscribe' },
  prune: { kind: 'prune', code: 'ConversationNotFound', at: AT },
  suspend: { kind: 'suspend', code: 'MessageWritesBlocked', reason: 'blocked', at: AT },
  resume: { kind: 'resume' },
  reinstall: { kind: 'reinstall' },
};

/** A state's name from a record, so the table below reads as state → state. */
function stateOf(c: ChannelRecord | undefined): string {
  if (!c) return 'none';
  if (c.suspended) return c.subscribed ? 'suspended' : 'INVALID: suspended but not subscribed';
  if (c.droppedBySend) return c.subscribed ? 'INVALID: dropped but subscribed' : 'dropped';
  return c.subscribed ? 'subscribed' : 'unsubscribed';
}

/** [from, event, to, took effect] for every pair. */
const TABLE: Array<[string, string, string, boolean]> = [
  ['none', 'subscribe', 'subscribed', true],
  ['none', 'unsubscribe', 'none', false],
  ['none', 'prune', 'none', false],
  ['none', 'suspend', 'none', false],
  ['none', 'resume', 'none', false],
  ['none', 'reinstall', 'none', false],
  ['subscribed', 'subscribe', 'subscribed', false],
  ['subscribed', 'unsubscribe', 'unsubscribed', true],
  ['subscribed', 'prune', 'dropped', true],
  ['subscribed', 'suspend', 'suspended', true],
  ['subscribed', 'resume', 'subscribed', false],
  ['subscribed', 'reinstall', 'subscribed', false],
  ['suspended', 'subscribe', 'suspended', false],
  ['suspended', 'unsubscribe', 'unsubscribed', true],
  ['suspended', 'prune', 'dropped', true],
  ['suspended', 'suspend', 'suspended', false],
  ['suspended', 'resume', 'subscribed', true],
  ['suspended', 'reinstall', 'subscribed', true],
  ['unsubscribed', 'subscribe', 'subscribed', true],
  ['unsubscribed', 'unsubscribe', 'unsubscribed', false],
  ['unsubscribed', 'prune', 'unsubscribed', false],
  ['unsubscribed', 'suspend', 'unsubscribed', false],
  ['unsubscribed', 'resume', 'unsubscribed', false],
  ['unsubscribed', 'reinstall', 'unsubscribed', false],
  ['dropped', 'subscribe', 'subscribed', true],
  ['dropped', 'unsubscribe', 'unsubscribed', false],
  ['dropped', 'prune', 'dropped', false],
  ['dropped', 'suspend', 'dropped', false],
  ['dropped', 'resume', 'dropped', false],
  ['dropped', 'reinstall', 'subscribed', true],
];

const team = (channel: ChannelRecord | undefined): TeamRecord => ({
  teamId: '19:team', tenantId: 't', serviceUrl: 'https://smba.example/', name: 'Team', installed: true, deleted: false,
  channels: channel ? { [ID]: channel } : {}, pruned: [], deadLetters: [], updatedAt: 0,
});

describe('channelAfter', () => {
  it('the table covers every state and event', () => {
    expect(TABLE.map(([from, event]) => `${from}/${event}`).sort()).toEqual(Object.keys(STATES).flatMap((s) => Object.keys(EVENTS).map((e) => `${s}/${e}`)).sort());
  });

  it.each(TABLE)('%s, then %s → %s (took effect: %s)', (from, event, to, changed) => {
    const before = STATES[from];
    const frozen = JSON.stringify(before);
    const after = channelAfter(ID, before, EVENTS[event]!);
    expect(stateOf(after.channel)).toBe(to);
    expect(after.changed).toBe(changed);
    // Pure: the input is left as it was, and an event without effect hands the same record back.
    expect(JSON.stringify(before)).toBe(frozen);
    if (!changed && event !== 'unsubscribe') expect(after.channel).toBe(before);
    // Only subscribed, unsuspended channels are sent to.
    expect(isTarget(team(after.channel), ID)).toBe(to === 'subscribed');
  });

  it('a subscribe writes who and when, and keeps a name the bot already knew', () => {
    expect(channelAfter(ID, undefined, EVENTS.subscribe!).channel).toEqual({ id: ID, name: 'New name', subscribed: true, by: 'Lee', since: AT });
    expect(channelAfter(ID, STATES.dropped, EVENTS.subscribe!).channel).toEqual({ id: ID, name: 'Changes', subscribed: true, by: 'Lee', since: AT });
  });

  it('a prune records the code and time; a suspension its code, reason and time', () => {
    expect(channelAfter(ID, STATES.suspended, EVENTS.prune!).channel).toEqual({ id: ID, name: 'Changes', subscribed: false, by: 'Alex', since: 1, droppedBySend: { code: 'ConversationNotFound', at: AT } });
    expect(channelAfter(ID, STATES.subscribed, EVENTS.suspend!).channel?.suspended).toEqual({ code: 'MessageWritesBlocked', reason: 'blocked', at: AT });
  });

  it('a suspension already recorded is kept as it was (its first code and time)', () => {
    expect(channelAfter(ID, STATES.suspended, EVENTS.suspend!).channel?.suspended).toEqual({ code: 'BotDisabledByAdmin', reason: 'disabled', at: 2 });
  });

  it('an unsubscribe of an unsubscribed channel still clears what a send left on it', () => {
    const odd = { ...STATES.dropped!, suspended: { code: 'x', reason: 'y', at: 1 } };
    expect(channelAfter(ID, odd, EVENTS.unsubscribe!)).toEqual({ channel: { id: ID, name: 'Changes', subscribed: false }, changed: false });
  });
});
