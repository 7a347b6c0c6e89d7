/**
 * The fan-out job: one delivery job per subscribed channel of the change's tenant, in target
 * order, saving the cursor after each chunk so a crash repeats at most one chunk. Nothing is
 * expanded into a tenant that is not allowed, and each delivery id is expanded by one message only.
 */
import { FORMAT_VERSION, sentMarkerTtlMs } from '../state/lifetimes';
import { readItem, writeItem } from '../state/storage';
import { isStateStore } from '../state/store';
import { deadLetter, done, type Disposition } from './disposition';
import { allowedTenant, type JobContext } from './jobContext';
import type { Lease } from './lease';
import { fanOutKey } from './markers';
import { targetKey, type ChangeNotice, type DeliveryJob, type FanOutJob, type ReceivedJob } from './types';

export async function fanOut(ctx: JobContext, lease: Lease, job: FanOutJob): Promise<Disposition> {
  const { outbox, registry, log } = ctx.deps;
  const tenantId = tenantOf(ctx, job);
  if (!tenantId) return deadLetter('the change names no tenant and several tenants are allowed: it cannot be sent anywhere');
  if (!allowedTenant(ctx, tenantId)) {
    log.warn({ deliveryId: job.deliveryId, tenantId }, 'notification fan-out dropped: its tenant is not in ALLOWED_TENANTS');
    return done('tenantRefused');
  }
  const notice: ChangeNotice = { ...job.notice, tenantId };
  if (!(await ownsFanOut(ctx, lease.current, job))) {
    log.info({ deliveryId: job.deliveryId }, 'a second fan-out of an announced change dropped: it was announced already');
    return done('duplicatesSkipped');
  }
  const all = await registry.targets(tenantId);
  const remaining = job.cursor ? all.filter((t) => targetKey(t) > job.cursor!) : all;
  // A fan-out taken before was interrupted: the chunk after its cursor may already be queued.
  const mayRepeat = lease.current.dequeueCount > 1 || undefined;
  const chunkSize = ctx.options.expandChunk;
  for (let i = 0; i < remaining.length; i += chunkSize) {
    const chunk = remaining.slice(i, i + chunkSize);
    await Promise.all(chunk.map((target) => outbox.enqueue({ kind: 'deliver', deliveryId: job.deliveryId, notice, target, attempt: 0, mayRepeat } satisfies DeliveryJob)));
    await lease.update({ ...job, cursor: targetKey(chunk[chunk.length - 1]) });
  }
  log.info({ deliveryId: job.deliveryId, uploadId: job.notice.uploadId, tenantId, targets: all.length, enqueued: remaining.length }, 'notification fan-out enqueued');
  return done('expanded');
}

/**
 * The tenant a fan-out is for. Jobs written before tenants were tracked carry none: with one
 * allowed tenant it can only be that one; with several, nobody can say, so it is not sent.
 */
function tenantOf(ctx: JobContext, job: FanOutJob): string | undefined {
  const tid = (job.notice as Partial<ChangeNotice>).tenantId?.toLowerCase();
  if (tid) return tid;
  return ctx.deps.allowedTenants.length === 1 ? ctx.deps.allowedTenants[0] : undefined;
}

/**
 * One fan-out per delivery id: a change announced twice (its Confirm, and the recovery job after a
 * storage failure hid that it had) shares its delivery id (bot/changes/notice.ts). The first
 * message to claim the id expands it; the same message, redelivered, continues from its cursor.
 */
async function ownsFanOut(ctx: JobContext, held: ReceivedJob, job: FanOutJob): Promise<boolean> {
  const { storage } = ctx.deps;
  const key = fanOutKey(job.deliveryId);
  const claim = { v: FORMAT_VERSION, deliveryId: job.deliveryId, messageId: held.messageId, at: ctx.clock() };
  if (isStateStore(storage)) {
    const created = await storage.put(key, claim, { ifNoneMatch: '*', expiresAt: storage.now() + sentMarkerTtlMs(ctx.options) });
    if (created !== undefined) return true;
  } else if (!(await readItem(storage, key))) {
    await writeItem(storage, key, claim, { ttlMs: sentMarkerTtlMs(ctx.options) });
    return true;
  }
  const owner = await readItem<typeof claim>(storage, key);
  return !owner || owner.messageId === held.messageId;
}
