/**
 * What a job's handler decided, for the worker loop to carry out in one place (worker.ts apply):
 * handlers never delete, put back or dead-letter a message themselves.
 */
import type { WorkerStats } from './jobContext';
import type { OutboxJob } from './types';

/** The counter a disposition adds one to once it has been carried out. */
export type Counter = keyof WorkerStats;

export type Disposition =
  /** Finished (sent, expanded, dropped on purpose): the message is deleted. */
  | { kind: 'done'; count?: Counter }
  /** Back into the queue as `job`, visible again after `afterSeconds` (a retry, a pacer wait, a copy held back, a recovery not yet due). */
  | { kind: 'later'; job: OutboxJob; afterSeconds: number; count?: Counter }
  /** Never worth trying again: moved to the dead-letter queue with why (as `job` when given, e.g. with its final attempt count). */
  | { kind: 'deadLetter'; reason: string; job?: OutboxJob };

export const done = (count?: Counter): Disposition => ({ kind: 'done', count });
export const later = (job: OutboxJob, afterMs: number, count?: Counter): Disposition => ({ kind: 'later', job, afterSeconds: Math.ceil(afterMs / 1000), count });
export const deadLetter = (reason: string, job?: OutboxJob): Disposition => ({ kind: 'deadLetter', reason, job });
