/** Time intervals (ms, performance.now()) and the arithmetic to subtract one set from another. */

export interface Interval {
  start: number;
  end: number;
}

/** Sorted, non-overlapping cover of the given intervals. */
export function union(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

export const total = (intervals: readonly Interval[]): number => union(intervals).reduce((sum, i) => sum + (i.end - i.start), 0);

/** Total length of the overlap of two interval sets. */
export function overlap(a: readonly Interval[], b: readonly Interval[]): number {
  const ua = union(a);
  const ub = union(b);
  let sum = 0;
  let j = 0;
  for (const x of ua) {
    while (j < ub.length && ub[j].end <= x.start) j++;
    for (let k = j; k < ub.length && ub[k].start < x.end; k++) {
      sum += Math.min(x.end, ub[k].end) - Math.max(x.start, ub[k].start);
    }
  }
  return sum;
}

/** The intervals that touch [from, to], clipped to it. */
export function within(intervals: readonly Interval[], from: number, to: number): Interval[] {
  return intervals
    .filter((i) => i.end > from && i.start < to)
    .map((i) => ({ start: Math.max(i.start, from), end: Math.min(i.end, to) }));
}
