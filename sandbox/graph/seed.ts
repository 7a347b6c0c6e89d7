/**
 * The uploads the sandbox starts with: one per status in Contoso (some with devices), the API page's
 * example upload, and one in Fabrikam to show that tenants do not see each other's uploads.
 */
import { TENANTS } from '../directory';
import type { DeviceIdentity, Upload } from './model';

export const SEED = {
  /** The API page's example: id and createdDateTimeUtc exactly as published, status pending. */
  docExample: '8d639524-9524-8d63-2495-638d2495638d',
  complete: '3f2a9c4e-7b1d-4e8a-9c6f-1d2e3f4a5b6c',
  pending: '6b1e8d2f-4c3a-4f9b-8e7d-2a3b4c5d6e7f',
  error: 'a9c3e5f7-2d4b-4a6c-8e1f-3b5d7f9a1c2e',
  noUpload: 'd4e6f8a0-5b7c-4d9e-a1f3-5c7e9a1b3d5f',
  /** A large import: 40 device identities in every state, with Autopilot's documented import errors (paging shows). */
  large: 'b2d4f6a8-1c3e-4a5b-9d7f-0e2c4a6b8d0f',
  /** Lives in Fabrikam: Contoso callers get 404 for it. */
  fabrikam: 'e7f9a1b3-6c8d-4e0f-b2a4-6d8f0a2c4e6a',
  /** Device identities inside the uploads above (for /deviceIdentities/{id} reads). */
  devices: {
    completeFirst: '1c5e9a3d-2b6f-4c8e-9a1d-5f7b3c9e1a2d',
    errorRejected: '8f2d6b4a-9c1e-4a7f-b3d5-e9a1c7f5b3d2',
  },
} as const;

/** A plausible (not real) hardware hash: base64 of a short byte string. */
const hardwareHash = (serial: string): string => Buffer.from(`T0FBQUFBQUFB-${serial}`).toString('base64');

function device(id: string, serial: string, state: DeviceIdentity['state'], extra: Partial<DeviceIdentity> = {}): DeviceIdentity {
  return {
    id,
    groupTag: 'Contoso-Sales',
    serialNumber: serial,
    productKey: null,
    // The import batch: set to the upload's id below (Intune does not publish how the two relate).
    importId: null,
    hardwareIdentifier: hardwareHash(serial),
    assignedUserPrincipalName: null,
    state,
    ...extra,
  };
}

const imported = (registrationId: string): DeviceIdentity['state'] => ({
  deviceImportStatus: 'complete',
  deviceRegistrationId: registrationId,
  deviceErrorCode: 0,
  deviceErrorName: null,
});

const waiting: DeviceIdentity['state'] = {
  deviceImportStatus: 'pending',
  deviceRegistrationId: null,
  deviceErrorCode: 0,
  deviceErrorName: null,
};

/**
 * Autopilot's import errors as Intune reports them (deviceErrorCode / deviceErrorName), from
 * Microsoft's troubleshooting material for Autopilot device imports: 802 an invalid hardware hash,
 * 806 a device already registered (to this or another tenant), 808 registered to another tenant.
 */
const importError = (deviceErrorCode: number, deviceErrorName: string): DeviceIdentity['state'] => ({
  deviceImportStatus: 'error',
  deviceRegistrationId: null,
  deviceErrorCode,
  deviceErrorName,
});

/** Deterministic GUIDs for the large import's devices. */
const largeDeviceId = (i: number): string => `c${String(i).padStart(7, '0')}-7e1a-4b2c-8d3e-4f5a6b7c8d9e`;

function largeImport(): DeviceIdentity[] {
  return Array.from({ length: 40 }, (_, i) => {
    const serial = `8CG${String(4000 + i).padStart(6, '0')}`;
    const state =
      i % 10 === 3 ? importError(806, 'ZtdDeviceAlreadyAssigned')
      : i % 10 === 7 ? importError(808, 'ZtdDeviceAssignedToOtherTenant')
      : i === 15 ? importError(802, 'InvalidZtdHardwareHash')
      : i >= 36 ? waiting
      : imported(`0a${String(i).padStart(6, '0')}-5b6c-4d7e-8f9a-0b1c2d3e4f5a`);
    return device(largeDeviceId(i), serial, state, { groupTag: i % 2 ? 'Contoso-Field' : 'Contoso-Office' });
  });
}

/** Fresh copies every call: reset() must not share objects with a previous run. */
export function seedUploads(): Record<string, Upload[]> {
  const tenants = sampleUploads();
  for (const uploads of Object.values(tenants)) {
    for (const upload of uploads) for (const d of upload.deviceIdentities) d.importId ??= upload.id;
  }
  return tenants;
}

function sampleUploads(): Record<string, Upload[]> {
  return {
    [TENANTS.contoso.id]: [
      {
        id: SEED.docExample,
        createdDateTimeUtc: '2016-12-31T23:59:45.8788427-08:00',
        status: 'pending',
        deviceIdentities: [],
      },
      {
        id: SEED.complete,
        createdDateTimeUtc: '2024-03-04T09:15:27.4418210Z',
        status: 'complete',
        deviceIdentities: [
          device(SEED.devices.completeFirst, 'CZC1234ABC', imported('6f4c2b1a-0d9e-4c8b-a7f6-e5d4c3b2a190'), {
            assignedUserPrincipalName: 'AlexW@contoso.onmicrosoft.com',
          }),
          device('2d6fab4e-3c7a-4d9f-8b2e-6a8c4d0f2b3e', 'CZC1234ABD', imported('7a5d3c2b-1e0f-4d9c-b8a7-f6e5d4c3b2a1')),
        ],
      },
      {
        id: SEED.pending,
        createdDateTimeUtc: '2024-05-20T14:02:11.9034501Z',
        status: 'pending',
        deviceIdentities: [
          device('3e7abc5f-4d8b-4eaf-9c3f-7b9d5e1a3c4f', '5CG9876XYZ', waiting, { groupTag: 'Contoso-Kiosk' }),
          device('4f8bcd6a-5e9c-4fba-8d4a-8cae6f2b4d5a', '5CG9876XZA', waiting, { groupTag: 'Contoso-Kiosk' }),
          device('5a9cde7b-6fad-4acb-9e5b-9dbf7a3c5e6b', '5CG9876XZB', waiting, { groupTag: 'Contoso-Kiosk' }),
        ],
      },
      {
        id: SEED.error,
        createdDateTimeUtc: '2024-06-11T08:47:53.0021377Z',
        status: 'error',
        deviceIdentities: [
          device(SEED.devices.errorRejected, 'PF3ABCDE', {
            deviceImportStatus: 'error',
            deviceRegistrationId: null,
            // Autopilot's "device already registered to another tenant" import error.
            deviceErrorCode: 806,
            deviceErrorName: 'ZtdDeviceAlreadyAssigned',
          }),
          device('9a3e7c5b-0d2f-4b8a-c4e6-f0b2d8a6c4e3', 'PF3ABCDF', imported('8b6e4d3c-2f1a-4e0d-c9b8-a7f6e5d4c3b2')),
        ],
      },
      {
        id: SEED.noUpload,
        createdDateTimeUtc: '2024-07-01T16:30:00.0000000Z',
        status: 'noUpload',
        deviceIdentities: [],
      },
      {
        id: SEED.large,
        createdDateTimeUtc: '2024-09-16T07:05:41.2289013Z',
        status: 'error',
        deviceIdentities: largeImport(),
      },
    ],
    [TENANTS.fabrikam.id]: [
      {
        id: SEED.fabrikam,
        createdDateTimeUtc: '2024-04-02T11:11:11.1111111Z',
        status: 'pending',
        deviceIdentities: [],
      },
    ],
  };
}
