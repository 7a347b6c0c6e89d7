/** Domain objects → card data: the one place that knows both the state model and the cards. */
import {
  type CardAttachment,
  type DiagLine,
  confirmChangeCard,
  graphErrorCard,
  noticeCard,
  statusTitle,
  diagCard,
  diagRequestCard,
  notOfferedCard,
  pendingChannelCard,
  resultCard,
  updatingCard,
  uploadDetailsCard,
  deviceReportCard,
  importListCard,
  uploadListCard,
} from '../cards';
import type { DeviceSummary, ImportGroup } from './browse/report';
import { type BotError, isBotError } from './errors';
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

export function result(change: PendingChange, note?: string): CardAttachment {
  const r = change.result;
  if (!r) throw new Error('result() needs a change that was applied');
  return resultCard({
    uploadId: change.uploadId,
    createdDateTimeUtc: r.createdDateTimeUtc,
    previousStatus: r.previousStatus,
    newStatus: r.status,
    changedBy: r.by,
    changedAt: new Date(r.at),
    note,
  });
}

/** Graph refused the change (or did not answer and now shows the upload unchanged). */
export function notApplied(change: PendingChange, error: BotError, seen?: Upload): CardAttachment {
  if (!seen) return cardForError(error);
  return graphErrorCard({
    title: 'Not applied',
    explanation:
      `Microsoft Graph did not confirm the change (${error.message}) and now shows upload ${change.uploadId} as ` +
      `${statusTitle(seen.status)}, not ${statusTitle(change.requestedStatus)}: the change was not applied.`,
    code: error.details.serviceCode,
    requestId: error.details.requestId,
    hint: 'Ask again if you still want the change.',
  });
}

/** Graph did not answer the PATCH and could not be read afterwards either. */
export function outcomeUnknown(change: PendingChange, error: BotError): CardAttachment {
  return graphErrorCard({
    title: 'Outcome unknown',
    explanation:
      `Microsoft Graph did not answer (${error.message}), and the upload could not be read afterwards: the change to ` +
      `${statusTitle(change.requestedStatus)} may or may not have been applied. The bot will not send it again.`,
    code: error.details.serviceCode,
    requestId: error.details.requestId,
    hint: `Use "show upload ${change.uploadId}" to see its status, or press Confirm again later: the bot then reads the upload instead of changing it.`,
  });
}

export function updating(change: PendingChange): CardAttachment {
  return updatingCard({ uploadId: change.uploadId, status: change.requestedStatus, key: change.key });
}

export function details(upload: Upload, deviceIdentityCount?: number): CardAttachment {
  return uploadDetailsCard({ uploadId: upload.id, createdDateTimeUtc: upload.createdDateTimeUtc, status: upload.status, deviceIdentityCount });
}

/** Commands that need no upload records: they work on a Graph that does not offer them. */
export const COMMANDS_WITHOUT_UPLOADS = ['show imports', 'diag'] as const;

/** A `not_offered` BotError as the card that says so (see GraphOfferings for what "offered" rests on). */
export function notOffered(err: BotError): CardAttachment {
  const d = err.details;
  const other = d.other ?? { apiVersion: d.apiVersion === 'beta' ? 'v1.0' : 'beta' };
  return notOfferedCard({
    apiVersion: d.apiVersion ?? 'unknown',
    graphHost: d.graphHost ?? 'unknown',
    segment: d.segment,
    requestId: d.requestId,
    other: { apiVersion: other.apiVersion, known: other.offered === undefined ? 'unknown' : other.offered ? 'offered' : 'notOffered' },
    workingCommands: COMMANDS_WITHOUT_UPLOADS,
  });
}

export function diagResults(userName: string, lines: readonly DiagLine[], channel?: { requesterMri: string; askedAt: number }): CardAttachment {
  return diagCard({ userName, lines, requesterMri: channel?.requesterMri, askedAt: channel?.askedAt });
}

export function diagRequest(requester: { name: string; mri: string }, askedAt: number): CardAttachment {
  return diagRequestCard({ requesterName: requester.name, requesterMri: requester.mri, askedAt });
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

const GRAPH_EXPLANATIONS: Partial<Record<BotError['code'], { title: string; explanation: string; hint?: string }>> = {
  not_found: { title: 'Upload not found', explanation: 'Intune has no Autopilot device-identity upload with that id.', hint: 'Check the id in Intune (Devices › Enrollment › Windows Autopilot › Devices) and try again.' },
  forbidden: { title: 'Not permitted', explanation: 'Microsoft Graph refused: your account lacks DeviceManagementServiceConfig.ReadWrite.All for this app.', hint: 'Ask an Intune administrator to grant the permission (admin consent), then try again.' },
  throttled: { title: 'Intune is busy', explanation: 'Microsoft Graph is throttling requests right now; nothing was changed.', hint: 'Wait a minute and try again.' },
  unavailable: { title: 'Microsoft Graph is unavailable', explanation: 'Graph did not answer successfully; nothing was changed.', hint: 'Try again in a few minutes.' },
  timeout: { title: 'No answer from Microsoft Graph', explanation: 'Graph did not answer in time; the change may or may not have been applied.', hint: 'Use "show upload <id>" to see the current status before trying again.' },
  invalid_request: { title: 'Request rejected', explanation: 'Microsoft Graph rejected the request.' },
  sign_in_failed: { title: 'Sign-in failed', explanation: 'Microsoft Entra ID did not accept the sign-in for this bot.', hint: 'Type "sign out", then try again.' },
  consent_required: { title: 'Consent needed', explanation: 'This bot needs permission to manage Autopilot uploads on your behalf.', hint: 'Ask an administrator to grant admin consent for the app, then try again.' },
};

/** The card that explains a failure; unknown failures are rethrown for onTurnError. */
export function cardForError(err: unknown): CardAttachment {
  if (!isBotError(err)) throw err;
  switch (err.code) {
    case 'personal_account':
      return noticeCard({ title: 'Work or school account needed', message: err.message, tone: 'attention' });
    case 'tenant_not_allowed':
      return noticeCard({ title: 'Organization not allowed', message: 'Your organization is not on this bot\'s list of allowed tenants.', tone: 'attention' });
    case 'sso_token_invalid':
      return noticeCard({ title: 'Sign-in rejected', message: err.message, tone: 'attention' });
    case 'not_offered':
      return notOffered(err);
    default: {
      const e = GRAPH_EXPLANATIONS[err.code] ?? { title: 'Something failed', explanation: err.message };
      return graphErrorCard({
        title: e.title,
        explanation: err.code === 'invalid_request' ? err.message : e.explanation,
        code: err.details.serviceCode,
        requestId: err.details.requestId,
        hint: e.hint,
      });
    }
  }
}
