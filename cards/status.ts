/**
 * How upload statuses read on cards. The union mirrors `UploadStatus` in bot/model.ts (cards/ stays a leaf module
 * that imports nothing from bot/; a unit test keeps the two lists identical).
 */
export type CardUploadStatus = 'noUpload' | 'pending' | 'complete' | 'error';

export const CARD_UPLOAD_STATUSES: readonly CardUploadStatus[] = ['noUpload', 'pending', 'complete', 'error'];

/**
 * Titles for people and what each status means for an Intune admin. Graph documents the values only as "Upload
 * status" (importedWindowsAutopilotDeviceIdentityUploadStatus: noUpload, pending, complete, error); the descriptions
 * follow how Intune's Windows Autopilot device import behaves.
 */
export const STATUS_INFO: Readonly<Record<CardUploadStatus, { title: string; description: string }>> = {
  noUpload: {
    title: 'No upload',
    description: 'Nothing from this import has been uploaded to the Windows Autopilot deployment service yet.',
  },
  pending: {
    title: 'Pending',
    description:
      'The upload was received and Intune is still processing it; its devices may not be listed under Windows Autopilot devices yet.',
  },
  complete: {
    title: 'Complete',
    description: 'Intune finished processing the upload; its devices should be listed under Windows Autopilot devices.',
  },
  error: {
    title: 'Error',
    description:
      "Processing failed. Check each device identity's import status and error (for example a hardware hash that is already registered), then import those devices again.",
  },
};

export function isCardUploadStatus(s: string): s is CardUploadStatus {
  return (CARD_UPLOAD_STATUSES as readonly string[]).includes(s);
}

/** "Complete"; a value Graph may add later is shown as it came, so nothing is hidden. */
export function statusTitle(status: string): string {
  return isCardUploadStatus(status) ? STATUS_INFO[status].title : status || 'Unknown';
}
