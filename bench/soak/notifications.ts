/**
 * Notifications in the soak, plugged in by name: enabled when the notifications module (issue 5)
 * is built (dist/bot/notifications) and NOTIFY_API_KEY is configured for the bot. Subscribed
 * channels must receive every applied change at least once; duplicates are counted and are only
 * acceptable where an instance was killed around the change.
 *
 * A change card names the upload and "<previous> → <new>" (cards/templates/changeNotification.json).
 * An upload changes to the same status more than once in a run, so cards are counted per
 * (upload, new status) against the applied changes of that pair.
 */
import { statusTitle } from '../../cards/status';
import type { ChatView } from '../../sandbox/teams';
import { sleep } from '../lib/driver';
import { cardText } from '../lib/flows';
import { distHas } from '../lib/root';
import type { StandIns } from '../lib/standins';
import type { DownWindow } from './cluster';
import type { FlowRecord } from './workload';

/** However long the backlog, a soak's notification check ends after this. */
const MAX_DRAIN_MS = 10 * 60_000;

export type NotificationsPlan = { enabled: true } | { enabled: false; why: string };

export function notificationsPlan(botEnv: Record<string, string>): NotificationsPlan {
  if (!distHas('bot/notifications/index.js')) return { enabled: false, why: 'bot/notifications (issue 5) is not built in this checkout' };
  if (!botEnv.NOTIFY_API_KEY) return { enabled: false, why: 'NOTIFY_API_KEY is not configured for the bot' };
  return { enabled: true };
}

export interface NotificationCheck {
  channels: number;
  changes: number;
  missing: Array<{ channel: string; uploadId: string; target: string; expected: number; got: number }>;
  duplicates: number;
  duplicatesOutsideKills: number;
}

export interface SubscribedChannels {
  views: ChatView[];
  /** Waits up to `waitMs` for every applied change to reach every channel, then counts. */
  check(flows: FlowRecord[], downWindows: DownWindow[], waitMs: number): Promise<NotificationCheck>;
}

const KILL_SLACK_MS = 5_000;

export async function subscribeChannels(s: StandIns, count: number): Promise<SubscribedChannels> {
  const team = s.teams.team('Soak notifications');
  await team.installBot('alex');
  const views: ChatView[] = [];
  for (let i = 0; i < count; i++) {
    const view = team.channel(`Changes ${i + 1}`).as('alex');
    const r = await view.send('subscribe');
    if (r.status !== 200) throw new Error(`subscribing channel ${i + 1}: HTTP ${r.status}`);
    views.push(view);
  }

  const tally = (flows: FlowRecord[], downWindows: DownWindow[]): NotificationCheck => {
    const applied = flows.filter((f) => f.patchesAfter - f.patchesBefore === 1);
    const pairs = new Map<string, FlowRecord[]>();
    for (const f of applied) pairs.set(`${f.uploadId}|${f.target}`, [...(pairs.get(`${f.uploadId}|${f.target}`) ?? []), f]);
    const result: NotificationCheck = { channels: views.length, changes: applied.length, missing: [], duplicates: 0, duplicatesOutsideKills: 0 };
    for (const view of views) {
      const texts = s.teams
        .sent(view.conversationId)
        .filter((x) => x.operation !== 'updateActivity' && x.operation !== 'deleteActivity')
        .map((x) => cardText(x.activity?.attachments?.[0]?.content));
      for (const [key, changes] of pairs) {
        const [uploadId, target] = key.split('|');
        const got = texts.filter((t) => t.includes(uploadId) && t.includes(`→ ${statusTitle(target)}`)).length;
        if (got < changes.length) result.missing.push({ channel: view.conversation.name ?? view.conversationId, uploadId, target, expected: changes.length, got });
        const extra = Math.max(0, got - changes.length);
        result.duplicates += extra;
        const nearKill = changes.some((f) => downWindows.some((w) => f.end > w.from - KILL_SLACK_MS && f.start < w.to + KILL_SLACK_MS));
        if (!nearKill) result.duplicatesOutsideKills += extra;
      }
    }
    return result;
  };

  return {
    views,
    async check(flows, downWindows, waitMs) {
      // Teams lets a bot post about 2 cards a second into one channel (60 per 30 s), and the soak
      // makes changes faster than that: the backlog drains after the load stops. Keep waiting while
      // cards still arrive; a lost card shows as no progress for `waitMs`.
      const missingCount = (x: NotificationCheck) => x.missing.reduce((n, m) => n + m.expected - m.got, 0);
      const hardStop = Date.now() + MAX_DRAIN_MS;
      let r = tally(flows, downWindows);
      let lastProgress = Date.now();
      let left = missingCount(r);
      while (left > 0 && Date.now() - lastProgress < waitMs && Date.now() < hardStop) {
        await sleep(250);
        r = tally(flows, downWindows);
        const now = missingCount(r);
        if (now < left) lastProgress = Date.now();
        left = now;
      }
      return r;
    },
  };
}
