/**
 * The Intune enrollment entities the stand-in serves, and how they look on the wire.
 *
 * Shapes follow the v1.0 resource pages (microsoft-graph-docs-contrib,
 * api-reference/v1.0/resources/intune-enrollment-importedwindowsautopilotdeviceidentityupload.md and
 * …-importedwindowsautopilotdeviceidentity.md). Responses carry `@odata.type` on every entity, as
 * the API pages' example responses do.
 */

export const UPLOAD_STATUSES = ['noUpload', 'pending', 'complete', 'error'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

export const DEVICE_IMPORT_STATUSES = ['unknown', 'pending', 'partial', 'complete', 'error'] as const;
export type DeviceImportStatus = (typeof DEVICE_IMPORT_STATUSES)[number];

export interface DeviceIdentityState {
  deviceImportStatus: DeviceImportStatus;
  deviceRegistrationId: string | null;
  deviceErrorCode: number;
  deviceErrorName: string | null;
}

export interface DeviceIdentity {
  id: string;
  groupTag: string | null;
  serialNumber: string | null;
  productKey: string | null;
  importId: string | null;
  /** Edm.Binary: base64 on the wire and here. */
  hardwareIdentifier: string | null;
  assignedUserPrincipalName: string | null;
  state: DeviceIdentityState;
}

export interface Upload {
  id: string;
  /** Kept exactly as written (the API page's value has a -08:00 offset and 7 fractional digits). */
  createdDateTimeUtc: string;
  status: UploadStatus;
  deviceIdentities: DeviceIdentity[];
}

/** Graph-facing type names (what callers put in `@odata.type`). */
export const GRAPH_TYPES = {
  upload: 'microsoft.graph.importedWindowsAutopilotDeviceIdentityUpload',
  device: 'microsoft.graph.importedWindowsAutopilotDeviceIdentity',
  deviceState: 'microsoft.graph.importedWindowsAutopilotDeviceIdentityState',
} as const;

/**
 * Intune's own namespace. Intune's OData errors name its internal types, e.g. "The property 'x' does
 * not exist on type 'microsoft.management.services.api.windows10GeneralConfiguration'"
 * (microsoft/Intune-PowerShell-SDK#98).
 */
export const INTUNE_NAMESPACE = 'microsoft.management.services.api';
export const intuneType = (graphType: string): string => graphType.replace(/^microsoft\.graph\./, `${INTUNE_NAMESPACE}.`);

export const COLLECTION_SEGMENT = 'importedWindowsAutopilotDeviceIdentityUploads';
export const DEVICES_SEGMENT = 'deviceIdentities';
/** The collection Graph's published schema routes (v1.0 and beta): every imported device identity of the tenant. */
export const IDENTITIES_SEGMENT = 'importedWindowsAutopilotDeviceIdentities';

export function uploadJson(upload: Upload): Record<string, unknown> {
  return {
    '@odata.type': `#${GRAPH_TYPES.upload}`,
    id: upload.id,
    createdDateTimeUtc: upload.createdDateTimeUtc,
    status: upload.status,
  };
}

export function deviceJson(device: DeviceIdentity): Record<string, unknown> {
  return {
    '@odata.type': `#${GRAPH_TYPES.device}`,
    id: device.id,
    groupTag: device.groupTag,
    serialNumber: device.serialNumber,
    productKey: device.productKey,
    importId: device.importId,
    hardwareIdentifier: device.hardwareIdentifier,
    // The API pages show the complex type's annotation without '#'; mirrored as published.
    state: { '@odata.type': GRAPH_TYPES.deviceState, ...device.state },
    assignedUserPrincipalName: device.assignedUserPrincipalName,
  };
}

export function cloneUpload(upload: Upload): Upload {
  return structuredClone(upload);
}

/** Intune timestamps carry 7 fractional digits (e.g. 2016-12-31T23:59:45.8788427-08:00). */
export function intuneTimestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, (_, ms: string) => `.${ms}0000Z`);
}
