/** Fixed-concurrency load: `concurrency` workers take task numbers until `count` have run. */
import { performance } from 'node:perf_hooks';

export interface Sample<T> {
  index: number;
  start: number;
  end: number;
  ok: boolean;
  value?: T;
  error?: string;
}

export interface RunResult<T> {
  samples: Sample<T>[];
  wallMs: number;
  start: number;
  end: number;
  /** Completed tasks per second of wall time. */
  perSecond: number;
  failures: number;
}

export async function runConcurrent<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<RunResult<T>> {
  const samples: Sample<T>[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const t0 = performance.now();
      try {
        const value = await task(index);
        samples.push({ index, start: t0, end: performance.now(), ok: true, value });
      } catch (err) {
        samples.push({ index, start: t0, end: performance.now(), ok: false, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const end = performance.now();
  const wallMs = end - start;
  return { samples, wallMs, start, end, perSecond: (samples.filter((s) => s.ok).length * 1000) / wallMs, failures: samples.filter((s) => !s.ok).length };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
