/** Upload statuses as people type them. */
import type { UploadStatus } from '../model';
import { lookup } from './lookup';
import { compact } from './tokenize';

/** Each status by its compact spelling (`compact()`), in the order of UPLOAD_STATUSES. */
export const STATUS_BY_COMPACT: Readonly<Record<string, UploadStatus>> = {
  noupload: 'noUpload',
  pending: 'pending',
  complete: 'complete',
  error: 'error',
};

/** A status in any friendly spelling (`noUpload`, `no upload`, `no-upload`, `NOUPLOAD`, `"complete"`), else undefined. */
export function parseStatus(input: string): UploadStatus | undefined {
  if (typeof input !== 'string' || input.length > 40) return undefined;
  return lookup(STATUS_BY_COMPACT, compact(input));
}
