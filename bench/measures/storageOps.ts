/**
 * Storage operations per full flow, counted where the storage account sees them: the bot's
 * Azure Storage connection goes through a pass-through proxy in front of Azurite (the one the
 * redelivery tests use, with no faults), and every blob and queue request is attributed to the
 * phase of the flow it happened in. Flows run one at a time, so each phase's window is that
 * flow's; the outbox worker's requests are told by what they touch; its queue polls and the
 * sweeper's listings run on their own clocks and are counted apart, as background.
 */
import type { UserKey } from '../../sandbox/directory';
import type { RunningAzurite } from '../../sandbox/azurite';
import { startStorageFaults, type StorageRequest } from '../../test/support/storage-faults';
import { cardText, confirmationIn, fullFlow, RESULT_TITLE } from '../lib/flows';
import { startBot } from '../lib/bots';
import type { StandIns } from '../lib/standins';
import { createUploads, type Status } from '../lib/uploads';

export const OPERATIONS = ['blob read', 'blob write', 'blob delete', 'queue message sent', 'queue message updated', 'queue message deleted'] as const;
export type Operation = (typeof OPERATIONS)[number];
export const PHASES = ['request turn', 'Confirm turn', 'outbox worker'] as const;
export type Phase = (typeof PHASES)[number];

export interface StorageOpsResult {
  flows: number;
  /** Mean operations per flow, by phase and operation. */
  perFlow: Record<Phase, Record<Operation, number>>;
  /** How long after the Confirm the worker's share was collected. */
  settleMs: number;
  background: { queuePolls: number; listings: number; seconds: number };
  failures: string[];
}

/** What one storage request is, or 'poll' / 'listing' for the background kinds. */
export function classify(r: Pick<StorageRequest, 'service' | 'method' | 'path' | 'query'>): Operation | 'poll' | 'listing' | 'other' {
  const message = /\/messages\/[^/]+$/.test(r.path);
  if (r.service === 'blob') {
    if (r.query.get('comp') === 'list' || r.query.get('restype') === 'container') return 'listing';
    if (r.method === 'GET' || r.method === 'HEAD') return 'blob read';
    if (r.method === 'PUT') return 'blob write';
    if (r.method === 'DELETE') return 'blob delete';
    return 'other';
  }
  if (r.method === 'POST' && r.path.endsWith('/messages')) return 'queue message sent';
  if (r.method === 'PUT' && message) return 'queue message updated';
  if (r.method === 'DELETE' && message) return 'queue message deleted';
  if (r.method === 'GET') return 'poll';
  return 'other';
}

const zero = (): Record<Operation, number> => Object.fromEntries(OPERATIONS.map((o) => [o, 0])) as Record<Operation, number>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureStorageOps(
  s: StandIns,
  azurite: RunningAzurite,
  opts: { flows: number; settleMs: number; container: string; /** Log every request (BENCH_STORAGE_TRACE=1). */ trace?: boolean },
  log: (m: string) => void,
): Promise<StorageOpsResult> {
  const proxy = await startStorageFaults(azurite);
  const bot = await startBot(s, 'bot', { name: 'bot (storage counted)', env: { AZURE_STORAGE_CONNECTION_STRING: proxy.connectionString, STATE_CONTAINER: opts.container } });
  const failures: string[] = [];
  const totals: Record<Phase, Record<Operation, number>> = { 'request turn': zero(), 'Confirm turn': zero(), 'outbox worker': zero() };
  let queuePolls = 0;
  let listings = 0;
  let counted = 0;
  const startedAt = Date.now();
  try {
    s.teams.setBotEndpoint(bot.endpoint);
    const people: UserKey[] = ['alex', 'adele'];
    const chats = people.map((p) => s.teams.personalChat(p));
    s.graph.reset();
    const ids = await createUploads(s, opts.flows + people.length);
    const statusOf = (id: string) => s.graph.upload(id)?.status as Status | undefined;
    const target = (id: string): Status => (statusOf(id) === 'complete' ? 'pending' : 'complete');
    // Warm-up: each person's first flow carries Teams SSO and the OBO exchange (parked command, sso_ items).
    for (let i = 0; i < people.length; i++) await fullFlow(chats[i], ids[i], target(ids[i]));
    await sleep(opts.settleMs);

    const mark = () => proxy.requests().length;
    // The worker starts on the announcement while the Confirm turn is still answering: its
    // requests (the notify-* registry and markers, its message deletes) are its own whatever the window.
    const add = (phase: Phase, from: number, to: number) => {
      for (const r of proxy.requests().slice(from, to)) {
        const kind = classify(r);
        const worker = kind === 'queue message deleted' || (r.service === 'blob' && r.path.includes('/notify-'));
        const counted = worker ? 'outbox worker' : phase;
        if (kind === 'poll') queuePolls++;
        else if (kind === 'listing') listings++;
        else if (kind !== 'other') totals[counted][kind]++;
        if (opts.trace && kind !== 'poll') log(`    ${counted}: ${kind} — ${r.service} ${r.method} ${r.path}`);
      }
    };
    for (let i = 0; i < opts.flows; i++) {
      const uploadId = ids[people.length + i];
      const chat = chats[i % chats.length];
      const m0 = mark();
      const asked = await chat.send(`set upload ${uploadId} to ${target(uploadId)}`);
      const messageId = confirmationIn(chat, asked, uploadId);
      const m1 = mark();
      if (!messageId) {
        failures.push(`flow ${i + 1}: no confirmation card`);
        continue;
      }
      const confirmed = await chat.press(messageId, 'Confirm');
      const m2 = mark();
      if (!cardText(confirmed.card).includes(RESULT_TITLE)) failures.push(`flow ${i + 1}: ${cardText(confirmed.card).slice(0, 120)}`);
      await sleep(opts.settleMs);
      const m3 = mark();
      add('request turn', m0, m1);
      add('Confirm turn', m1, m2);
      add('outbox worker', m2, m3);
      counted++;
    }
    log(`  ${counted} flows counted; ${failures.length} failed`);
  } finally {
    await bot.kill('SIGTERM');
    await proxy.close();
  }
  const perFlow = Object.fromEntries(
    PHASES.map((p) => [p, Object.fromEntries(OPERATIONS.map((o) => [o, counted ? totals[p][o] / counted : NaN]))]),
  ) as Record<Phase, Record<Operation, number>>;
  return { flows: counted, perFlow, settleMs: opts.settleMs, background: { queuePolls, listings, seconds: (Date.now() - startedAt) / 1000 }, failures };
}
