/**
 * The upload resource itself: what Intune does with an authenticated request for
 * `/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads[…]`. Used for plain requests and
 * for each `$batch` entry alike.
 *
 * Order of checks, gateway first then Intune: route → readable JSON → tenant → scopes → verb →
 * throttling → OData model validation → existence → the operation.
 *
 * Read-only properties: the API page's own PATCH example sends `createdDateTimeUtc` (the docs list
 * every property in request bodies), so `id` and `createdDateTimeUtc` are accepted in PATCH and POST
 * bodies when well-typed, and ignored: the server owns both. Only `status` changes.
 */
import { GRAPH_SCOPES, MSA_TENANT_ID } from '../directory';
import type { Caller } from './auth';
import {
  emptyPayload,
  graphError,
  intuneError,
  intuneForbidden,
  intuneNotFound,
  intuneTooManyRequests,
  modelValidation,
  noMethodRoute,
  segmentNotFound,
  unreadableJson,
} from './errors';
import type { DeviceIdentity, Upload, UploadStatus } from './model';
import { COLLECTION_SEGMENT, DEVICES_SEGMENT, IDENTITIES_SEGMENT, deviceJson, intuneType, uploadJson } from './model';
import { DEVICE_IDENTITY, UPLOAD, readEntity } from './odata-body';
import type { GraphResponse, RequestContext } from './response';
import { noContent, odata } from './response';
import type { Resource, Route } from './routes';
import { resolveRoute } from './routes';
import { deviceManagementSegments, type GraphSchema } from './schema';
import type { DeviceInput, TenantStores, UploadStore } from './store';
import type { Throttle } from './throttle';

export type ApiBody = { kind: 'none' } | { kind: 'text'; text: string } | { kind: 'json'; value: unknown };

export interface ApiRequest {
  method: string;
  /** Canonical version: 'v1.0' or 'beta'. */
  version: string;
  /** Path after the version. */
  path: string;
  query: URLSearchParams;
  contentType?: string;
  body: ApiBody;
}

const ALLOWED_METHODS: Record<Resource['kind'], readonly string[]> = {
  identities: ['GET'],
  identity: ['GET', 'DELETE'],
  uploads: ['GET', 'POST'],
  upload: ['GET', 'PATCH', 'DELETE'],
  devices: ['GET', 'POST'],
  device: ['GET', 'DELETE'],
};

const READ_SCOPES = [GRAPH_SCOPES.read, GRAPH_SCOPES.readWrite] as const;
const WRITE_SCOPES = [GRAPH_SCOPES.readWrite] as const;

/** Intune's server-side page size when the caller sends no $top (not documented; large enough for the sandbox). */
const DEFAULT_PAGE_SIZE = 1000;

const SUPPORTED_QUERY_OPTIONS = new Set(['$top', '$skiptoken', '$select', '$expand', '$filter', '$orderby']);

export interface IntuneOptions {
  /** Which paths exist (schema.ts); default `documented`. */
  schema: GraphSchema;
  /**
   * What a successful PATCH answers. Intune answers `204 No Content` "by design"
   * (fixtures/real-cloud/intune-patch-204.txt); the API page shows `200` with the entity.
   */
  patchResponse: 'noContent' | 'entity';
}

export class IntuneApi {
  constructor(
    private readonly stores: TenantStores,
    private readonly throttle: Throttle,
    private readonly onPatched: (uploadId: string) => void,
    readonly options: IntuneOptions = { schema: 'documented', patchResponse: 'noContent' },
  ) {}

  execute(req: ApiRequest, caller: Caller, ctx: RequestContext): GraphResponse {
    const resolved = resolveRoute(req.path, deviceManagementSegments(this.options.schema, req.version));
    if (!resolved.ok) {
      return resolved.reason === 'segment'
        ? segmentNotFound(ctx, resolved.segment)
        : graphError(ctx, 501, 'NotImplemented', `The sandbox Graph stand-in does not implement ${resolved.path}.`);
    }
    const { route } = resolved;
    const method = req.method.toUpperCase();
    const isWrite = method !== 'GET';

    let body: unknown;
    if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
      const parsed = parseBody(req);
      if (parsed === 'empty') return emptyPayload(ctx);
      if (parsed === 'unreadable') return unreadableJson(ctx);
      body = parsed.value;
    }

    if (caller.tid === MSA_TENANT_ID) {
      // "Delegated (personal Microsoft account): Not supported." — there is no Intune tenant behind it.
      return intuneError(ctx, 403, 'Forbidden', 'An error has occurred', route.odataPath);
    }
    const required = isWrite ? WRITE_SCOPES : READ_SCOPES;
    if (caller.appOnly || !required.some((scope) => caller.scopes.includes(scope))) {
      return intuneForbidden(ctx, required, route.odataPath);
    }
    if (!ALLOWED_METHODS[route.resource.kind].includes(method)) {
      return noMethodRoute(ctx, route.template, method, route.odataPath);
    }
    const decision = this.throttle.admit(`${caller.tid}|${caller.appId ?? 'unknown-app'}`, isWrite, ctx.now.getTime());
    if (!decision.allowed) return intuneTooManyRequests(ctx, route.odataPath, decision.retryAfterSeconds);

    const store = this.stores.forTenant(caller.tid);
    switch (method) {
      case 'GET':
        return this.read(route, store, req, ctx);
      case 'POST':
        return this.create(route, store, body, req, ctx);
      case 'PATCH':
        return this.patch(route, store, body, req, ctx);
      default:
        return this.remove(route, store, ctx);
    }
  }

  private read(route: Route, store: UploadStore, req: ApiRequest, ctx: RequestContext): GraphResponse {
    const options = readQueryOptions(req.query, route.resource);
    if (!options.ok) return graphError(ctx, 400, 'BadRequest', options.message);
    const base = `${ctx.baseUrl}/${req.version}`;
    const contextBase = `${base}/$metadata#deviceManagement/${COLLECTION_SEGMENT}`;
    const r = route.resource;

    if (r.kind === 'identities' || r.kind === 'identity') return this.readIdentities(r, store, options, req, ctx, route);

    if (r.kind === 'uploads') {
      let uploads = store.list().filter((u) => (options.uploadFilter ?? []).every((clause) => clause(u)));
      if (options.orderBy) {
        const sign = options.orderBy.desc ? -1 : 1;
        uploads = uploads.map((u, i) => ({ u, i, t: Date.parse(u.createdDateTimeUtc) })).sort((a, b) => sign * (a.t - b.t) || a.i - b.i).map((x) => x.u);
      }
      const page = paginate(uploads, options, `${base}/deviceManagement/${COLLECTION_SEGMENT}`);
      if (!page.ok) return graphError(ctx, 400, 'BadRequest', page.message);
      return odata(200, {
        '@odata.context': contextBase + contextSuffix(options),
        ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
        value: page.items.map((u) => shapeUpload(u, options)),
      });
    }

    const upload = store.get(r.uploadId);
    if (!upload) return intuneNotFound(ctx, route.odataPath);
    if (r.kind === 'upload') {
      return odata(200, { '@odata.context': `${contextBase}${contextSuffix(options)}/$entity`, ...shapeUpload(upload, options) });
    }

    const devicesContext = `${contextBase}('${upload.id}')/${DEVICES_SEGMENT}`;
    if (r.kind === 'devices') {
      const page = paginate(upload.deviceIdentities, options, `${base}/deviceManagement/${COLLECTION_SEGMENT}/${upload.id}/${DEVICES_SEGMENT}`);
      if (!page.ok) return graphError(ctx, 400, 'BadRequest', page.message);
      return odata(200, {
        '@odata.context': devicesContext + contextSuffix(options),
        ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
        value: page.items.map((d) => select(deviceJson(d), options.select)),
      });
    }
    const device = findDevice(upload, r.deviceId);
    if (!device) return intuneNotFound(ctx, route.odataPath);
    return odata(200, { '@odata.context': `${devicesContext}${contextSuffix(options)}/$entity`, ...select(deviceJson(device), options.select) });
  }

  /** The tenant's imported device identities (every upload's, in upload order), filtered as Intune accepts. */
  private readIdentities(
    r: Extract<Resource, { kind: 'identities' | 'identity' }>,
    store: UploadStore,
    options: QueryOptions,
    req: ApiRequest,
    ctx: RequestContext,
    route: Route,
  ): GraphResponse {
    const base = `${ctx.baseUrl}/${req.version}`;
    const contextBase = `${base}/$metadata#deviceManagement/${IDENTITIES_SEGMENT}`;
    if (r.kind === 'identity') {
      const device = store.identity(r.identityId);
      if (!device) return intuneNotFound(ctx, route.odataPath);
      return odata(200, { '@odata.context': `${contextBase}${contextSuffix(options)}/$entity`, ...select(deviceJson(device), options.select) });
    }
    const matching = store.identities().filter((d) => (options.filter ?? []).every((clause) => clause.matches(d)));
    const page = paginate(matching, options, `${base}/deviceManagement/${IDENTITIES_SEGMENT}`);
    if (!page.ok) return graphError(ctx, 400, 'BadRequest', page.message);
    return odata(200, {
      '@odata.context': contextBase + contextSuffix(options),
      ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
      value: page.items.map((d) => select(deviceJson(d), options.select)),
    });
  }

  private create(route: Route, store: UploadStore, body: unknown, req: ApiRequest, ctx: RequestContext): GraphResponse {
    const base = `${ctx.baseUrl}/${req.version}/$metadata#deviceManagement/${COLLECTION_SEGMENT}`;
    const r = route.resource;
    if (r.kind === 'uploads') {
      const read = readEntity(body, UPLOAD, 'create');
      if (!read.ok) return modelValidation(ctx, read.message);
      const upload = store.create(
        {
          status: read.value.status as UploadStatus | undefined,
          deviceIdentities: read.value.deviceIdentities as DeviceInput[] | undefined,
        },
        ctx.now,
      );
      return odata(201, { '@odata.context': `${base}/$entity`, ...uploadJson(upload) });
    }
    const read = readEntity(body, DEVICE_IDENTITY, 'create');
    if (!read.ok) return modelValidation(ctx, read.message);
    const uploadId = r.kind === 'devices' ? r.uploadId : '';
    const device = store.addDevice(uploadId, read.value as DeviceInput);
    if (!device) return intuneNotFound(ctx, route.odataPath);
    const upload = store.get(uploadId) as Upload;
    return odata(201, { '@odata.context': `${base}('${upload.id}')/${DEVICES_SEGMENT}/$entity`, ...deviceJson(device) });
  }

  private patch(route: Route, store: UploadStore, body: unknown, req: ApiRequest, ctx: RequestContext): GraphResponse {
    const read = readEntity(body, UPLOAD, 'update');
    if (!read.ok) return modelValidation(ctx, read.message);
    const uploadId = route.resource.kind === 'upload' ? route.resource.uploadId : '';
    const updated = store.update(uploadId, { status: read.value.status as UploadStatus | undefined });
    if (!updated) return intuneNotFound(ctx, route.odataPath);
    this.onPatched(updated.id);
    if (this.options.patchResponse === 'noContent') return noContent();
    return odata(200, {
      '@odata.context': `${ctx.baseUrl}/${req.version}/$metadata#deviceManagement/${COLLECTION_SEGMENT}/$entity`,
      ...uploadJson(updated),
    });
  }

  private remove(route: Route, store: UploadStore, ctx: RequestContext): GraphResponse {
    const r = route.resource;
    const removed =
      r.kind === 'device' ? store.removeDevice(r.uploadId, r.deviceId)
      : r.kind === 'identity' ? store.removeIdentity(r.identityId)
      : r.kind === 'upload' && store.remove(r.uploadId);
    return removed ? noContent() : intuneNotFound(ctx, route.odataPath);
  }
}

function parseBody(req: ApiRequest): { value: unknown } | 'empty' | 'unreadable' {
  if (req.body.kind === 'none') return 'empty';
  if (req.body.kind === 'json') return { value: req.body.value };
  if (req.body.text.trim() === '') return 'empty';
  if (!/\bjson\b/i.test(req.contentType ?? '')) return 'unreadable';
  try {
    return { value: JSON.parse(req.body.text) as unknown };
  } catch {
    return 'unreadable';
  }
}

function findDevice(upload: Upload, deviceId: string): DeviceIdentity | undefined {
  return upload.deviceIdentities.find((d) => d.id.toLowerCase() === deviceId.toLowerCase());
}

// ---- query options ---------------------------------------------------------------------------

interface QueryOptions {
  top?: number;
  skip: number;
  select?: string[];
  expandDevices: boolean;
  filter?: FilterClause[];
  /** The $filter text as sent, for the next page's link. */
  filterText?: string;
  /** Uploads: `status eq '…'` clauses. */
  uploadFilter?: Array<(u: Upload) => boolean>;
  /** Uploads: `$orderby=createdDateTimeUtc [asc|desc]`. */
  orderBy?: { desc: boolean; text: string };
}

/** One `property eq 'value'` clause of a $filter. */
interface FilterClause {
  matches(device: DeviceIdentity): boolean;
}

/**
 * The filters Intune accepts on imported device identities: equality on `importId` and on
 * `state/deviceImportStatus`, joined with `and`. Anything else is refused, as Graph refuses
 * filters a resource does not support, rather than silently ignored.
 */
const FILTERABLE: Record<string, (d: DeviceIdentity) => string | null> = {
  importid: (d) => d.importId,
  'state/deviceimportstatus': (d) => d.state.deviceImportStatus,
};

function parseFilter(text: string): FilterClause[] | { message: string } {
  const clauses: FilterClause[] = [];
  for (const part of text.split(/\s+and\s+/i)) {
    const match = /^\s*([A-Za-z/]+)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(part);
    const read = match ? FILTERABLE[match[1].toLowerCase()] : undefined;
    if (!match || !read) return { message: `Invalid filter clause: '${part.trim()}'. Supported: importId eq '<id>', state/deviceImportStatus eq '<status>', joined with and.` };
    const value = match[2].replace(/''/g, "'");
    const byStatus = match[1].toLowerCase() !== 'importid';
    clauses.push({ matches: (d) => (byStatus ? read(d)?.toLowerCase() === value.toLowerCase() : read(d) === value) });
  }
  return clauses;
}

const UPLOAD_PROPERTIES = Object.keys(UPLOAD.properties);
const DEVICE_PROPERTIES = Object.keys(DEVICE_IDENTITY.properties);

function readQueryOptions(query: URLSearchParams, resource: Resource): { ok: true } & QueryOptions | { ok: false; message: string } {
  for (const name of query.keys()) {
    if (name.startsWith('$') && !SUPPORTED_QUERY_OPTIONS.has(name.toLowerCase())) {
      // Real Graph supports more ($filter, $orderby, $count…); refusing loudly beats silently ignoring them.
      return { ok: false, message: `The query option '${name}' is not supported by the sandbox Graph stand-in.` };
    }
  }
  const get = (name: string): string | null => {
    for (const [key, value] of query) if (key.toLowerCase() === name) return value;
    return null;
  };
  const isCollection = resource.kind === 'uploads' || resource.kind === 'devices' || resource.kind === 'identities';
  const entityType = resource.kind === 'uploads' || resource.kind === 'upload' ? UPLOAD.graphType : DEVICE_IDENTITY.graphType;
  const properties = entityType === UPLOAD.graphType ? UPLOAD_PROPERTIES : DEVICE_PROPERTIES;
  const notFound = (name: string): { ok: false; message: string } => ({
    ok: false,
    message: `Could not find a property named '${name}' on type '${intuneType(entityType)}'.`,
  });

  const options: QueryOptions = { skip: 0, expandDevices: false };
  const top = get('$top');
  if (top !== null) {
    if (!/^\d+$/.test(top)) {
      return { ok: false, message: `Invalid value '${top}' for $top query option found. The $top query option requires a non-negative integer value.` };
    }
    options.top = Number(top);
  }
  const skiptoken = get('$skiptoken');
  if (skiptoken !== null) {
    const offset = isCollection ? decodeSkipToken(skiptoken) : undefined;
    if (offset === undefined) return { ok: false, message: `The $skiptoken value '${skiptoken}' is not valid.` };
    options.skip = offset;
  }
  const selectText = get('$select');
  if (selectText !== null) {
    options.select = selectText.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = options.select.find((p) => !properties.includes(p));
    if (unknown) return notFound(unknown);
  }
  const filterText = get('$filter');
  if (filterText !== null && resource.kind === 'uploads') {
    // Uploads: equality on status, as for the other Intune enrollment collections.
    const clauses: Array<(u: Upload) => boolean> = [];
    for (const part of filterText.split(/\s+and\s+/i)) {
      const match = /^\s*status\s+eq\s+'([A-Za-z]+)'\s*$/i.exec(part);
      if (!match) return { ok: false, message: `The query option '$filter' supports only status eq '<status>' on uploads, not '${part.trim()}'.` };
      const wanted = match[1]!;
      clauses.push((u) => u.status === wanted);
    }
    options.uploadFilter = clauses;
    options.filterText = filterText;
  } else if (filterText !== null) {
    if (resource.kind !== 'identities') return { ok: false, message: `The query option '$filter' is not supported by the sandbox Graph stand-in on this resource.` };
    const parsed = parseFilter(filterText);
    if (!Array.isArray(parsed)) return { ok: false, message: parsed.message };
    options.filter = parsed;
    options.filterText = filterText;
  }
  const orderText = get('$orderby');
  if (orderText !== null) {
    const match = /^\s*createdDateTimeUtc(?:\s+(asc|desc))?\s*$/i.exec(orderText);
    if (resource.kind !== 'uploads' || !match) return { ok: false, message: `The $orderby value '${orderText}' is not supported by the sandbox Graph stand-in (only createdDateTimeUtc asc|desc on uploads).` };
    options.orderBy = { desc: match[1]?.toLowerCase() === 'desc', text: orderText };
  }
  const expand = get('$expand');
  if (expand !== null) {
    for (const item of expand.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (entityType !== UPLOAD.graphType || item !== DEVICES_SEGMENT) return notFound(item);
      options.expandDevices = true;
    }
  }
  return { ok: true, ...options };
}

const encodeSkipToken = (offset: number): string => Buffer.from(`offset=${offset}`).toString('base64url');

function decodeSkipToken(token: string): number | undefined {
  const match = /^offset=(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

function paginate<T>(
  items: T[],
  options: QueryOptions,
  collectionUrl: string,
): { ok: true; items: T[]; nextLink?: string } | { ok: false; message: string } {
  if (options.skip > items.length) return { ok: false, message: 'The $skiptoken value is not valid.' };
  const size = options.top ?? DEFAULT_PAGE_SIZE;
  const page = items.slice(options.skip, options.skip + size);
  const next = options.skip + page.length;
  if (next >= items.length || page.length === 0) return { ok: true, items: page };
  const params = [
    ...(options.top !== undefined ? [`$top=${options.top}`] : []),
    ...(options.select ? [`$select=${options.select.join(',')}`] : []),
    ...(options.expandDevices ? [`$expand=${DEVICES_SEGMENT}`] : []),
    ...(options.filterText !== undefined ? [`$filter=${encodeURIComponent(options.filterText)}`] : []),
    ...(options.orderBy ? [`$orderby=${encodeURIComponent(options.orderBy.text)}`] : []),
    `$skiptoken=${encodeSkipToken(next)}`,
  ];
  return { ok: true, items: page, nextLink: `${collectionUrl}?${params.join('&')}` };
}

function contextSuffix(options: QueryOptions): string {
  const parts = [...(options.select ?? []), ...(options.expandDevices ? [`${DEVICES_SEGMENT}()`] : [])];
  return parts.length ? `(${parts.join(',')})` : '';
}

function select(json: Record<string, unknown>, properties: string[] | undefined): Record<string, unknown> {
  if (!properties) return json;
  return Object.fromEntries(Object.entries(json).filter(([key]) => key === '@odata.type' || properties.includes(key)));
}

function shapeUpload(upload: Upload, options: QueryOptions): Record<string, unknown> {
  const json = select(uploadJson(upload), options.select);
  return options.expandDevices ? { ...json, [DEVICES_SEGMENT]: upload.deviceIdentities.map(deviceJson) } : json;
}
