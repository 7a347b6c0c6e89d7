/**
 * The recovery job, come due: the instance that prepared the announcement did not turn this
 * message into its fan-out, so ask what became of the change and announce it if nobody did.
 * Messages of the old `kind: 'settle'` are the same job and are read the same way.
 */
import { done, later, type Disposition } from './disposition';
import type { JobContext } from './jobContext';
import type { LegacyRecoveryJob, RecoveryJob, RecoveryVerdict } from './types';

export async function recover(ctx: JobContext, job: RecoveryJob | LegacyRecoveryJob): Promise<Disposition> {
  const { outbox, log, resolveRecovery } = ctx.deps;
  const verdict: RecoveryVerdict = resolveRecovery ? await resolveRecovery(job.changeKey) : { kind: 'drop', reason: 'no resolver' };
  if (verdict.kind === 'wait') {
    // Put back under the current name: an old-kind message is rewritten on its way.
    return later({ kind: 'recover', changeKey: job.changeKey, enqueuedAt: job.enqueuedAt }, ctx.options.recoveryDelaySeconds * 1000);
  }
  if (verdict.kind === 'drop') {
    log.debug({ reason: verdict.reason }, 'prepared announcement not needed');
    return done();
  }
  await outbox.enqueue({ kind: 'fanout', deliveryId: verdict.deliveryId, notice: verdict.notice, enqueuedAt: ctx.clock() });
  await verdict.announced();
  log.warn({ uploadId: verdict.notice.uploadId, status: verdict.notice.status }, 'change notification recovered: the instance that made the change stopped before announcing it');
  return done('recovered');
}
