/**
 * One tenant's uploads, in memory. Ids compare case-insensitively (they are GUIDs); listing keeps
 * creation order so paging is stable.
 */
import { randomUUID } from 'node:crypto';
import type { DeviceIdentity, DeviceIdentityState, Upload, UploadStatus } from './model';
import { cloneUpload, intuneTimestamp } from './model';

/** Device identity fields a caller may supply (already type-checked by odata-body). */
export type DeviceInput = Partial<Omit<DeviceIdentity, 'id' | 'state'>> & { state?: Partial<DeviceIdentityState> | null };

const DEFAULT_STATE: DeviceIdentityState = {
  deviceImportStatus: 'unknown',
  deviceRegistrationId: null,
  deviceErrorCode: 0,
  deviceErrorName: null,
};

function newDevice(input: DeviceInput): DeviceIdentity {
  return {
    // The server owns keys: a caller-supplied id is ignored, as for the upload itself.
    id: randomUUID(),
    groupTag: input.groupTag ?? null,
    serialNumber: input.serialNumber ?? null,
    productKey: input.productKey ?? null,
    importId: input.importId ?? null,
    hardwareIdentifier: input.hardwareIdentifier ?? null,
    assignedUserPrincipalName: input.assignedUserPrincipalName ?? null,
    state: { ...DEFAULT_STATE, ...(input.state ?? {}) },
  };
}

export class UploadStore {
  private readonly uploads = new Map<string, Upload>();

  constructor(seed: Upload[] = []) {
    for (const upload of seed) this.uploads.set(upload.id.toLowerCase(), cloneUpload(upload));
  }

  list(): Upload[] {
    return [...this.uploads.values()].map(cloneUpload);
  }

  get(id: string): Upload | undefined {
    const upload = this.uploads.get(id.toLowerCase());
    return upload && cloneUpload(upload);
  }

  /** POST: the server assigns id and createdDateTimeUtc; status defaults to noUpload. */
  create(input: { status?: UploadStatus; deviceIdentities?: DeviceInput[] }, now: Date): Upload {
    const upload: Upload = {
      id: randomUUID(),
      createdDateTimeUtc: intuneTimestamp(now),
      status: input.status ?? 'noUpload',
      deviceIdentities: (input.deviceIdentities ?? []).map(newDevice),
    };
    this.uploads.set(upload.id, upload);
    return cloneUpload(upload);
  }

  /** PATCH: only `status` is writable; `id` and `createdDateTimeUtc` belong to the server. */
  update(id: string, changes: { status?: UploadStatus }): Upload | undefined {
    const upload = this.uploads.get(id.toLowerCase());
    if (!upload) return undefined;
    if (changes.status !== undefined) upload.status = changes.status;
    return cloneUpload(upload);
  }

  remove(id: string): boolean {
    return this.uploads.delete(id.toLowerCase());
  }

  addDevice(uploadId: string, input: DeviceInput): DeviceIdentity | undefined {
    const upload = this.uploads.get(uploadId.toLowerCase());
    if (!upload) return undefined;
    const device = newDevice(input);
    upload.deviceIdentities.push(device);
    return structuredClone(device);
  }

  /** importedWindowsAutopilotDeviceIdentities: every device identity of the tenant, uploads in creation order. */
  identities(): DeviceIdentity[] {
    return [...this.uploads.values()].flatMap((u) => u.deviceIdentities.map((d) => structuredClone(d)));
  }

  identity(id: string): DeviceIdentity | undefined {
    return this.identities().find((d) => d.id.toLowerCase() === id.toLowerCase());
  }

  removeIdentity(id: string): boolean {
    const owner = [...this.uploads.values()].find((u) => u.deviceIdentities.some((d) => d.id.toLowerCase() === id.toLowerCase()));
    return owner ? this.removeDevice(owner.id, id) : false;
  }

  removeDevice(uploadId: string, deviceId: string): boolean {
    const upload = this.uploads.get(uploadId.toLowerCase());
    if (!upload) return false;
    const index = upload.deviceIdentities.findIndex((d) => d.id.toLowerCase() === deviceId.toLowerCase());
    if (index < 0) return false;
    upload.deviceIdentities.splice(index, 1);
    return true;
  }
}

/** Every tenant's store; a tenant seen for the first time starts empty. */
export class TenantStores {
  private readonly stores = new Map<string, UploadStore>();

  constructor(private readonly seed: () => Record<string, Upload[]>) {
    this.reset();
  }

  reset(): void {
    this.stores.clear();
    for (const [tenantId, uploads] of Object.entries(this.seed())) this.stores.set(tenantId, new UploadStore(uploads));
  }

  forTenant(tenantId: string): UploadStore {
    let store = this.stores.get(tenantId);
    if (!store) {
      store = new UploadStore();
      this.stores.set(tenantId, store);
    }
    return store;
  }

  /** Looks an upload up in every tenant (ids are GUIDs, so at most one matches). */
  find(id: string): Upload | undefined {
    for (const store of this.stores.values()) {
      const upload = store.get(id);
      if (upload) return upload;
    }
    return undefined;
  }
}
