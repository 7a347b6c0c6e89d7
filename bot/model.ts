/** The Graph entity this bot exists for: importedWindowsAutopilotDeviceIdentityUpload. */

export const UPLOAD_STATUSES = ['noUpload', 'pending', 'complete', 'error'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

export interface Upload {
  id: string;
  /** DateTimeOffset, as Graph returns it. */
  createdDateTimeUtc: string;
  status: UploadStatus;
}

export interface DeviceIdentity {
  id: string;
  groupTag?: string | null;
  serialNumber?: string | null;
  productKey?: string | null;
  importId?: string | null;
  hardwareIdentifier?: string | null;
  assignedUserPrincipalName?: string | null;
  state?: {
    deviceImportStatus?: 'unknown' | 'pending' | 'partial' | 'complete' | 'error';
    deviceRegistrationId?: string | null;
    deviceErrorCode?: number;
    deviceErrorName?: string | null;
  };
}

/** The signed-in user, as proven by a validated SSO token. */
export interface UserIdentity {
  oid: string;
  tid: string;
  upn?: string;
  name?: string;
}
