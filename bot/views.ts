/** Domain objects → card data: the one place that knows both the state model and the cards. */
import {
  type CardAttachment,
  confirmChangeCard,
  pendingChannelCard,
  resultCard,
  updatingCard,
  uploadDetailsCard,
  deviceReportCard,
  importListCard,
  uploadListCard,
} from '../cards';
import type { DeviceSummary, ImportGroup } from './browse/report';
import type { Upload, UploadStatus } from './model';
import type { PendingChange } from './state/changes';

export function confirmation(change: PendingChange, upload: Upload): CardAttachment {
  return confirmChangeCard({
    key: change.key,
    uploadId: upload.id,
    createdDateTimeUtc: upload.createdDateTimeUtc,
    currentStatus: upload.status,
    requestedStatus: change.requestedStatus,
    requesterName: change.requester.name,
    // Only a channel card is shared with people who must not see the buttons; elsewhere a refresh is a wasted invoke.
    requesterMri: change.scope === 'channel' ? change.requester.mri : undefined,
    expiresAt: new Date(change.expiresAt),
  });
}

export function channelRequest(change: PendingChange): CardAttachment {
  return pendingChannelCard({
    key: change.key,
    uploadId: change.uploadId,
    requestedStatus: change.requestedStatus,
    requesterName: change.requester.name,
    requesterMri: change.requester.mri,
    expiresAt: new Date(change.expiresAt),
  });
}

export function result(change: PendingChange): CardAttachment {
  const r = change.result;
  if (!r) throw new Error('result() needs a change that was applied');
  return resultCard({
    uploadId: change.uploadId,
    createdDateTimeUtc: r.createdDateTimeUtc,
    previousStatus: r.previousStatus,
    newStatus: r.status,
    changedBy: r.by,
    changedAt: new Date(r.at),
  });
}

export function updating(change: PendingChange): CardAttachment {
  return updatingCard({ uploadId: change.uploadId, status: change.requestedStatus, key: change.key });
}

export function details(upload: Upload, deviceIdentityCount?: number): CardAttachment {
  return uploadDetailsCard({ uploadId: upload.id, createdDateTimeUtc: upload.createdDateTimeUtc, status: upload.status, deviceIdentityCount });
}

// --- browsing ------------------------------------------------------------------------------------------------------

export function uploadList(
  items: ReadonlyArray<Upload & { deviceIdentities?: unknown[] }>,
  opts: { status?: UploadStatus; page: number; command: string; pageToken?: string },
): CardAttachment {
  return uploadListCard({
    status: opts.status,
    page: opts.page,
    command: opts.command,
    pageToken: opts.pageToken,
    rows: items.map((u) => ({
      uploadId: u.id,
      createdDateTimeUtc: u.createdDateTimeUtc,
      status: u.status,
      deviceCount: Array.isArray(u.deviceIdentities) ? u.deviceIdentities.length : undefined,
    })),
  });
}

export function deviceReport(
  subject: { kind: 'upload'; upload: Upload } | { kind: 'import'; importId: string },
  summary: DeviceSummary,
  opts: { offset: number; pageSize: number; command: string; pageToken?: string; truncatedAt?: number },
): CardAttachment {
  const rows = summary.ordered.slice(opts.offset, opts.offset + opts.pageSize).map((d) => ({
    serialNumber: d.serialNumber,
    groupTag: d.groupTag,
    importStatus: d.state?.deviceImportStatus,
    errorCode: d.state?.deviceErrorCode,
    errorName: d.state?.deviceErrorName,
  }));
  return deviceReportCard({
    kind: subject.kind,
    subjectId: subject.kind === 'upload' ? subject.upload.id : subject.importId,
    ...(subject.kind === 'upload' && { createdDateTimeUtc: subject.upload.createdDateTimeUtc, status: subject.upload.status }),
    total: summary.total,
    statusCounts: summary.statusCounts,
    errorGroups: summary.errorGroups,
    rows,
    firstRow: opts.offset,
    command: opts.command,
    pageToken: opts.pageToken,
    truncatedAt: opts.truncatedAt,
  });
}

export function importList(groups: readonly ImportGroup[], opts: { page: number; pageToken?: string }): CardAttachment {
  return importListCard({ groups, page: opts.page, pageToken: opts.pageToken });
}
