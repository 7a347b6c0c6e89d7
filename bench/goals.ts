/**
 * Issue 11's performance goals, judged on one bench report: each goal, the figure this run
 * measured, and whether it met it. A missed goal's cause is not guessed here: bench/causes.md
 * holds what profiling found, per goal id, and the report prints it next to the miss.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchReport } from './report';
import { repoRoot } from './lib/root';
import { fmt } from './lib/stats';

export interface GoalRow {
  id: string;
  goal: string;
  measured: string;
  /** undefined: not measured in this run. */
  met: boolean | undefined;
}

const blobOps = (ops: Record<string, number>) => ops['blob read'] + ops['blob write'] + ops['blob delete'];

/** The ratio of the 1,000-channel row without injected 429s, read from the fan-out bench's table. */
export function fanoutFigures(markdown: string): { ratio: number; lost: number; duplicated: number } | undefined {
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | channels | 429s injected | delivered | lost | duplicated | time | floor | time / floor | …
    if (cells[1] === '1000' && cells[2] === '0%') return { lost: Number(cells[4]), duplicated: Number(cells[5]), ratio: Number(cells[8]) };
  }
  return undefined;
}

export function judgeGoals(r: BenchReport): GoalRow[] {
  const rows: GoalRow[] = [];
  const storage = r.storageOps;
  const confirm = storage?.perFlow['Confirm turn'];
  rows.push({
    id: 'confirm-storage',
    goal: 'Confirm path: at most 3 blob operations and 1 queue message',
    measured: confirm ? `${fmt(blobOps(confirm), 1)} blob operations, ${fmt(confirm['queue message sent'], 1)} queue messages sent (+ ${fmt(confirm['queue message updated'], 1)} updated)` : 'not measured',
    met: confirm ? blobOps(confirm) <= 3 && confirm['queue message sent'] <= 1 : undefined,
  });
  const azurite = r.fullFlow.find((f) => f.label.includes('Azurite'));
  rows.push({
    id: 'azurite-p50',
    goal: 'Full flow on Azurite, one at a time: bot time p50 ≤ 50 ms',
    measured: azurite ? `${fmt(azurite.serial.bot.p50, 1)} ms` : 'not measured',
    met: azurite ? azurite.serial.bot.p50 <= 50 : undefined,
  });
  rows.push({
    id: 'azurite-p99',
    goal: 'Full flow on Azurite at concurrency 16: whole-flow p99 ≤ 1 s',
    measured: azurite ? `${fmt(azurite.concurrent.raw.p99, 0)} ms` : 'not measured',
    met: azurite ? azurite.concurrent.raw.p99 <= 1000 : undefined,
  });
  const h = r.help;
  rows.push({
    id: 'help-rate',
    goal: '`help` turns/s ≥ 0.95× the echo bot (text answer / help-card answer)',
    measured: h ? `${fmt(h.ratio.median, 3)} / ${fmt(h.ratioCard.median, 3)} (medians)` : 'not measured',
    met: h ? h.ratio.median >= 0.95 && h.ratioCard.median >= 0.95 : undefined,
  });
  rows.push({
    id: 'help-cpu',
    goal: 'CPU per `help` turn ≤ 1.15× the echo bot (text answer / help-card answer)',
    measured: h ? `${fmt(h.cpuRatio.median, 3)} / ${fmt(h.cpuRatioCard.median, 3)} (medians)` : 'not measured',
    met: h ? h.cpuRatio.median <= 1.15 && h.cpuRatioCard.median <= 1.15 : undefined,
  });
  const echo = r.rss.find((x) => x.label === 'echo bot');
  const at500 = (label: string) => r.rss.find((x) => x.label === label)?.points.find((p) => p.conversations === 500)?.rssMiB;
  const echo500 = echo?.points.find((p) => p.conversations === 500)?.rssMiB;
  const bots = r.rss.filter((x) => x !== echo).map((x) => ({ label: x.label, ratio: (at500(x.label) ?? NaN) / (echo500 ?? NaN) }));
  rows.push({
    id: 'rss-500',
    goal: 'RSS at 500 conversations ≤ 1.3× the echo bot',
    measured: echo500 && bots.length ? bots.map((b) => `${b.label}: ${fmt(b.ratio, 2)}×`).join('; ') : 'not measured',
    met: echo500 && bots.length ? bots.every((b) => b.ratio <= 1.3) : undefined,
  });
  const fan = r.fanout.measurable ? fanoutFigures(r.fanout.markdown) : undefined;
  rows.push({
    id: 'fanout-1000',
    goal: 'Fan-out to 1,000 channels ≤ 1.1× the rate-limit floor, 0 lost, 0 duplicated',
    measured: fan ? `${fmt(fan.ratio, 2)}× the floor, ${fan.lost} lost, ${fan.duplicated} duplicated (bench/fanout-results.md)` : 'not measured',
    met: fan ? fan.ratio <= 1.1 && fan.lost === 0 && fan.duplicated === 0 : undefined,
  });
  return rows;
}

/** bench/causes.md: `## <goal id>` sections, each what profiling found for that goal's miss. */
export function readCauses(file = path.join(repoRoot(), 'bench/causes.md')): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  const causes: Record<string, string> = {};
  let id: string | undefined;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const heading = /^## (\S+)/.exec(line);
    if (heading) {
      id = heading[1];
      causes[id] = '';
    } else if (id) causes[id] += `${line}\n`;
  }
  for (const k of Object.keys(causes)) causes[k] = causes[k].trim();
  return causes;
}
