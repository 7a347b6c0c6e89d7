/** bench/goals.ts and the storage-ops classifier: how a bench run is judged against issue 11's goals. */
import { fanoutFigures, judgeGoals } from '../../bench/goals';
import { classify } from '../../bench/measures/storageOps';
import { renderReport, type BenchReport } from '../../bench/report';

const q = (s = '') => new URLSearchParams(s);

it('classifies what the storage account receives', () => {
  expect(classify({ service: 'blob', method: 'GET', path: '/bot-state/changes_x', query: q() })).toBe('blob read');
  expect(classify({ service: 'blob', method: 'HEAD', path: '/bot-state/changes_x', query: q() })).toBe('blob read');
  expect(classify({ service: 'blob', method: 'PUT', path: '/bot-state/changes_x', query: q() })).toBe('blob write');
  expect(classify({ service: 'blob', method: 'DELETE', path: '/bot-state/changes_x', query: q() })).toBe('blob delete');
  expect(classify({ service: 'blob', method: 'GET', path: '/bot-state', query: q('restype=container&comp=list') })).toBe('listing');
  expect(classify({ service: 'queue', method: 'POST', path: '/notifications/messages', query: q() })).toBe('queue message sent');
  expect(classify({ service: 'queue', method: 'PUT', path: '/notifications/messages/abc', query: q('popreceipt=x') })).toBe('queue message updated');
  expect(classify({ service: 'queue', method: 'DELETE', path: '/notifications/messages/abc', query: q('popreceipt=x') })).toBe('queue message deleted');
  expect(classify({ service: 'queue', method: 'GET', path: '/notifications/messages', query: q('numofmessages=16') })).toBe('poll');
});

const FANOUT = [
  '| channels | 429s injected | delivered | lost | duplicated | time (s) | floor (s) | time / floor | injected 429s | rate-limit 429s | worker retries |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  '| 100 | 0% | 100 | 0 | 0 | 2.8 | 2.0 | 1.41 | 0 | 3 | 0 |',
  '| 1000 | 0% | 999 | 1 | 0 | 21.0 | 20.0 | 1.05 | 0 | 0 | 0 |',
  '| 1000 | 10% | 1000 | 0 | 0 | 25.5 | 20.0 | 1.27 | 89 | 0 | 0 |',
].join('\n');

it('reads the 1,000-channel row without injected 429s from the fan-out table', () => {
  expect(fanoutFigures(FANOUT)).toEqual({ ratio: 1.05, lost: 1, duplicated: 0 });
  expect(fanoutFigures('no table')).toBeUndefined();
});

const ops = (read: number, write: number, sent: number) => ({ 'blob read': read, 'blob write': write, 'blob delete': 0, 'queue message sent': sent, 'queue message updated': 1, 'queue message deleted': 0 });

function report(confirm: ReturnType<typeof ops>): BenchReport {
  return {
    startedAt: new Date(0),
    durationS: 1,
    versions: {},
    fullFlow: [],
    rss: [],
    storageOps: { flows: 3, settleMs: 1000, background: { queuePolls: 0, listings: 0, seconds: 1 }, failures: [], perFlow: { 'request turn': ops(0, 2, 0), 'Confirm turn': confirm, 'outbox worker': ops(1, 0, 0) } },
    startToReady: { measurable: false, why: 'not run' },
    fanout: { measurable: true, markdown: FANOUT, source: 'x', modified: new Date(0) },
    notes: [],
  };
}

it('judges each goal on the run\'s own figures; unmeasured goals are not called met', () => {
  const goals = Object.fromEntries(judgeGoals(report(ops(1, 2, 1))).map((g) => [g.id, g.met]));
  expect(goals['confirm-storage']).toBe(true);
  expect(goals['fanout-1000']).toBe(false); // one lost
  expect(goals['azurite-p50']).toBeUndefined();
  expect(goals['help-rate']).toBeUndefined();
  expect(Object.fromEntries(judgeGoals(report(ops(2, 2, 1))).map((g) => [g.id, g.met]))['confirm-storage']).toBe(false);
  expect(Object.fromEntries(judgeGoals(report(ops(1, 2, 2))).map((g) => [g.id, g.met]))['confirm-storage']).toBe(false);
});

it('prints a missed goal with the cause profiling found, or says none is recorded', () => {
  const md = renderReport(report(ops(2, 2, 1)), { 'confirm-storage': 'The profile shows X.' });
  expect(md).toContain('**Missed: Confirm path: at most 3 blob operations and 1 queue message.** The profile shows X.');
  expect(md).toContain('**Missed: Fan-out to 1,000 channels ≤ 1.1× the rate-limit floor, 0 lost, 0 duplicated.** No profiling result is recorded');
  expect(md).toContain('| Confirm turn | 2.0 | 2.0 | 0.0 | 1.0 | 1.0 | 0.0 |');
});
