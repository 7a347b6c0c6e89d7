/**
 * The sandbox Microsoft Graph: Intune's importedWindowsAutopilotDeviceIdentityUploads under /v1.0
 * and /beta, behind Graph's token checks, with Intune's error bodies and throttling, `$batch`, and
 * faults tests can inject.
 */
import type { SandboxCerts } from '../certs';
import { listenHttps } from '../http';
import { TokenVerifier } from './auth';
import type { Fault } from './faults';
import { FaultQueue } from './faults';
import { IntuneApi, type IntuneOptions } from './intune-api';
import type { GraphSchema } from './schema';
import type { Upload } from './model';
import { seedUploads } from './seed';
import type { LoggedRequest } from './service';
import { GraphService } from './service';
import { TenantStores } from './store';
import { Throttle } from './throttle';

export { SEED } from './seed';
export type { Upload, DeviceIdentity, UploadStatus } from './model';
export type { Fault } from './faults';
export { GRAPH_SCHEMAS, parseGraphSchema, type GraphSchema } from './schema';
export type { LoggedRequest } from './service';

export const DEFAULT_GRAPH_PORT = 3981;

export interface StartGraphOptions {
  certs: SandboxCerts;
  /** The Entra stand-in's origin; its JWKS is `${entraUrl}/common/discovery/v2.0/keys`. */
  entraUrl: string;
  /** Default 3981 (the launcher's); tests pass 0 for a free port. */
  port?: number;
  /** Start with the sample uploads (default true). */
  seed?: boolean;
  /** `documented` (the API page, default) or `published` (only what Graph's metadata routes): see schema.ts. */
  schema?: GraphSchema;
  /** PATCH answers Intune's `204 No Content` (default) or the API page's `200` with the entity. */
  patchResponse?: IntuneOptions['patchResponse'];
}

export interface GraphStandIn {
  /** e.g. https://127.0.0.1:3981 (no trailing slash, no version). */
  url: string;
  /** Which paths exist and how PATCH answers; tests may switch them between requests. */
  mode: IntuneOptions;
  close(): Promise<void>;
  faults: {
    /** The next `n` requests that reach the server get `fault` (a delay, then normal service, for delayMs). */
    next(n: number, fault: Fault): void;
    clear(): void;
    /** Faults not yet handed out (lets a test see that a request has reached the server). */
    pending(): number;
  };
  /** Every request so far, oldest first ($batch entries carry `inBatch`). */
  requests(): LoggedRequest[];
  /** Successful PATCHes of this upload. */
  patchCount(uploadId: string): number;
  /** The stored upload (any tenant), devices included; a copy. */
  upload(id: string): Upload | undefined;
  /** Reseed, restore the mode, and clear faults, throttling windows, PATCH counts and the request log. */
  reset(): void;
}

export async function startGraph(opts: StartGraphOptions): Promise<GraphStandIn> {
  const stores = new TenantStores(() => (opts.seed === false ? {} : seedUploads()));
  const throttle = new Throttle();
  const faults = new FaultQueue();
  const patches = new Map<string, number>();
  const initialMode: IntuneOptions = { schema: opts.schema ?? 'documented', patchResponse: opts.patchResponse ?? 'noContent' };
  const mode: IntuneOptions = { ...initialMode };
  const api = new IntuneApi(stores, throttle, (id) => patches.set(id.toLowerCase(), (patches.get(id.toLowerCase()) ?? 0) + 1), mode);
  const service = new GraphService(new TokenVerifier(opts.entraUrl, opts.certs.ca), api, faults);

  const server = await listenHttps(opts.certs, service.handle, {
    port: opts.port ?? DEFAULT_GRAPH_PORT,
    name: 'Graph stand-in',
    portVariable: 'GRAPH_PORT',
  });
  service.baseUrl = server.url;

  return {
    url: server.url,
    mode,
    close: () => server.close(),
    faults: {
      next: (n, fault) => faults.next(n, fault),
      clear: () => faults.clear(),
      pending: () => faults.pending,
    },
    requests: () => structuredClone(service.log),
    patchCount: (uploadId) => patches.get(uploadId.toLowerCase()) ?? 0,
    upload: (id) => stores.find(id),
    reset: () => {
      Object.assign(mode, initialMode);
      stores.reset();
      faults.clear();
      throttle.clear();
      patches.clear();
      service.log.length = 0;
    },
  };
}
