/**
 * What people do during a soak: admins asking for changes and confirming them (once, twice at the
 * same time, twice in a row, after a colleague's refused press), cancelling or walking away; a
 * read-only admin whose PATCH Graph forbids; a user without consent, one from a tenant the bot does
 * not allow, one with a personal account; `help` and `sign out` (which makes the next command go
 * through Teams SSO again, with duplicate token exchanges). Every change flow holds its upload
 * alone, so the Graph stand-in's PATCH count for that upload during the flow is the flow's.
 */
import { performance } from 'node:perf_hooks';
import type { UserKey } from '../../sandbox/directory';
import { SEED } from '../../sandbox/graph';
import type { ChatView, TurnResult } from '../../sandbox/teams';
import { findAction } from '../../sandbox/teams/cards';
import { sleep } from '../lib/driver';
import { cardText, confirmationIn, RESULT_TITLE } from '../lib/flows';
import type { StandIns } from '../lib/standins';
import type { Status, UploadPool } from '../lib/uploads';

export type Variant = 'confirm' | 'doubleConcurrent' | 'doubleSequential' | 'cancel' | 'abandon' | 'othersConfirmFirst';

export interface FlowRecord {
  worker: string;
  user: UserKey;
  uploadId: string;
  target: Status;
  variant: Variant;
  start: number;
  end: number;
  patchesBefore: number;
  patchesAfter: number;
  /** Confirm presses by the person who asked (retries after a failed delivery included). */
  requesterConfirms: number;
  /** What each press showed: applied, updating, in-progress, already-done, refused, cancelled, http:<status>, other:<text>. */
  outcomes: string[];
  /** Confirmation cards the command produced (more than one = resumed twice). */
  confirmationCards: number;
  /** No confirmation card came (text of what came instead). */
  noConfirmation?: string;
  /** How many successful PATCHes this flow must have caused. */
  expect: 'one' | 'zero' | 'atMostOne';
}

export interface TurnRecord {
  worker: string;
  text: string;
  status: number;
  at: number;
  ok: boolean;
  note?: string;
}

export interface WorkloadLog {
  flows: FlowRecord[];
  turns: TurnRecord[];
  errors: Array<{ worker: string; at: number; message: string }>;
}

export interface Actor {
  name: string;
  user: UserKey;
  chat: ChatView;
  /** Someone else in the same conversation (group chats): presses the requester's Confirm first. */
  other?: ChatView;
  variants: Variant[];
  /** Read-only admin: Graph must refuse the PATCH. */
  readOnly?: boolean;
  signOutEvery?: number;
}

const classify = (r: TurnResult): string => {
  if (r.status !== 200) return `http:${r.status}`;
  if (r.toast) return /only .* can/i.test(r.toast) ? 'refused' : `toast:${r.toast.slice(0, 60)}`;
  if (r.error) return `error:${r.error.code ?? r.error.statusCode}`;
  const text = cardText(r.card);
  if (text.includes(RESULT_TITLE)) return 'applied';
  if (/updating/i.test(text)) return 'updating';
  if (/cancelled/i.test(text)) return 'cancelled';
  return `other:${text.slice(0, 80)}`;
};

/** The card / toast / error an invoke's answer carries, as the client would show it. */
function invokeAnswer(r: TurnResult): Partial<TurnResult> {
  const body = r.body as { statusCode?: number; type?: string; value?: unknown } | undefined;
  if (!body || typeof body !== 'object') return {};
  if (body.type === 'application/vnd.microsoft.card.adaptive') return { card: body.value as TurnResult['card'] };
  if (body.type === 'application/vnd.microsoft.activity.message') return { toast: String(body.value ?? '') };
  if ((body.statusCode ?? 0) >= 400) return { error: { statusCode: body.statusCode!, ...(body.value as object) } };
  return {};
}

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length];

export class Workload {
  readonly log: WorkloadLog = { flows: [], turns: [], errors: [] };

  constructor(
    private readonly s: StandIns,
    private readonly pool: UploadPool,
    private readonly deadline: number,
    /** Waits while no instance is known to be up (a person retries once Teams delivers again). */
    private readonly anyInstanceDown: () => boolean,
  ) {}

  private async turn(worker: string, chat: ChatView, text: string, check?: (r: TurnResult) => string | undefined): Promise<TurnResult | undefined> {
    try {
      const r = await chat.send(text);
      const note = check?.(r);
      this.log.turns.push({ worker, text, status: r.status, at: performance.now(), ok: r.status === 200 && !note, ...(note ? { note } : {}) });
      return r;
    } catch (err) {
      this.log.errors.push({ worker, at: performance.now(), message: (err as Error).message });
      return undefined;
    }
  }

  private async press(chat: ChatView, messageId: string, title: string): Promise<string> {
    try {
      return classify(await chat.press(messageId, title));
    } catch (err) {
      return `throw:${(err as Error).message.slice(0, 80)}`;
    }
  }

  /** One change flow, start to settled. */
  async changeFlow(actor: Actor, variant: Variant): Promise<void> {
    const lease = await this.pool.lease();
    const { uploadId, target } = lease;
    const record: FlowRecord = {
      worker: actor.name,
      user: actor.user,
      uploadId,
      target,
      variant,
      start: performance.now(),
      end: 0,
      patchesBefore: this.s.graph.patchCount(uploadId),
      patchesAfter: 0,
      requesterConfirms: 0,
      confirmationCards: 0,
      outcomes: [],
      expect: 'zero',
    };
    try {
      const asked = await actor.chat.send(`set upload ${uploadId} to ${target}`);
      const messageId = asked.status === 200 ? confirmationIn(actor.chat, asked, uploadId) : undefined;
      record.confirmationCards = asked.sent.filter(
        (x) => x.operation !== 'updateActivity' && x.operation !== 'deleteActivity' && cardText(x.activity?.attachments?.[0]?.content).includes('[Confirm]'),
      ).length;
      if (!messageId) {
        const got = asked.replies.map((x) => (x.text as string | undefined) ?? cardText(x.attachments?.[0]?.content).slice(0, 60)).join(' | ') || 'no reply';
        const invokes = asked.invokes.map((i) => `${i.name}→${i.status}${i.body && typeof i.body === 'object' && 'statusCode' in i.body ? `/${(i.body as { statusCode: number }).statusCode}` : ''}`).join(', ');
        record.noConfirmation = asked.status === 200 ? `${got}${invokes ? ` [${invokes}]` : ''}`.slice(0, 240) : `http:${asked.status}`;
      } else {
        const confirm = async () => {
          record.requesterConfirms += 1;
          return this.press(actor.chat, messageId, 'Confirm');
        };
        switch (variant) {
          case 'abandon':
            break;
          case 'cancel':
            record.outcomes.push(await this.press(actor.chat, messageId, 'Cancel'));
            break;
          case 'confirm':
            record.outcomes.push(await confirm());
            break;
          case 'doubleConcurrent':
            record.outcomes.push(...(await Promise.all([confirm(), confirm()])));
            break;
          case 'doubleSequential': {
            // The person's second device still shows the confirmation: Confirm again from there, after the first went through.
            const stale = actor.chat.message(messageId)?.card;
            const action = stale ? findAction(stale, 'Confirm') : undefined;
            record.outcomes.push(await confirm());
            if (action) {
              record.requesterConfirms += 1;
              const again = await actor.chat.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', title: action.title, verb: action.verb, data: action.data }, trigger: 'manual' }, { replyToId: messageId });
              record.outcomes.push(classify({ ...again, ...invokeAnswer(again) }));
            }
            break;
          }
          case 'othersConfirmFirst':
            if (actor.other) record.outcomes.push(`other:${await this.press(actor.other, messageId, 'Confirm')}`);
            record.outcomes.push(await confirm());
            break;
        }
        // A press whose delivery failed (an instance died under it): the person presses again once Teams gets through.
        if (record.outcomes.some((o) => o.startsWith('http:')) && record.requesterConfirms > 0) {
          while (this.anyInstanceDown()) await sleep(100);
          record.outcomes.push(`retry:${await confirm()}`);
        }
      }
      // Let a late PATCH ("updating…" answered, Graph still retrying) land inside this flow's window.
      const mayStillPatch = record.outcomes.some((o) => /^(retry:)?(updating|http:|throw:)/.test(o));
      if (record.requesterConfirms > 0 && mayStillPatch && !actor.readOnly) {
        const until = performance.now() + 12_000;
        while (this.s.graph.upload(uploadId)?.status !== target && performance.now() < until) await sleep(100);
        await sleep(300);
      }
    } catch (err) {
      this.log.errors.push({ worker: actor.name, at: performance.now(), message: (err as Error).message });
    } finally {
      record.patchesAfter = this.s.graph.patchCount(uploadId);
      record.end = performance.now();
      const sawResult = record.outcomes.some((o) => o === 'applied' || o === 'retry:applied');
      record.expect = record.requesterConfirms === 0 || actor.readOnly ? 'zero' : sawResult ? 'one' : 'atMostOne';
      this.log.flows.push(record);
      lease.release();
    }
  }

  /** An admin's loop until the deadline. */
  async admin(actor: Actor, thinkMs: number): Promise<void> {
    for (let i = 0; performance.now() < this.deadline; i++) {
      if (actor.signOutEvery && i > 0 && i % actor.signOutEvery === 0) await this.turn(actor.name, actor.chat, 'sign out');
      if (i % 4 === 3) await this.turn(actor.name, actor.chat, 'help', (r) => (r.status === 200 && !r.replies.length ? 'answered 200 but no reply came' : undefined));
      await this.changeFlow(actor, pick(actor.variants, i));
      await sleep(thinkMs);
    }
  }

  /** People who must never get a confirmation card: no consent, foreign tenant, personal account. */
  async outsider(name: string, chat: ChatView, thinkMs: number): Promise<void> {
    for (let i = 0; performance.now() < this.deadline; i++) {
      const text = i % 2 ? `show upload ${SEED.complete}` : `set upload ${SEED.pending} to complete`;
      await this.turn(name, chat, text, (r) => (r.status === 200 && confirmationIn(chat, r) ? 'an outsider got a confirmation card' : undefined));
      await sleep(thinkMs);
    }
  }
}
