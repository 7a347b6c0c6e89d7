/**
 * Which resource a path under `/{version}` names. Segment names compare case-insensitively, as
 * Graph's do (`/Beta/deviceManagement/…` works); keys may be a path segment (`/uploads/{id}`) or
 * OData key syntax (`/uploads('{id}')`).
 */
import { COLLECTION_SEGMENT, DEVICES_SEGMENT, IDENTITIES_SEGMENT } from './model';

export type Resource =
  | { kind: 'identities' }
  | { kind: 'identity'; identityId: string }
  | { kind: 'uploads' }
  | { kind: 'upload'; uploadId: string }
  | { kind: 'devices'; uploadId: string }
  | { kind: 'device'; uploadId: string; deviceId: string };

export interface Route {
  resource: Resource;
  /** Canonical OData path, as Intune prints it in its messages. */
  odataPath: string;
  /** Intune's route template for the resource (for "No method match route template"). */
  template: string;
}

export type RouteResult =
  | { ok: true; route: Route }
  | { ok: false; reason: 'segment'; segment: string }
  | { ok: false; reason: 'notImplemented'; path: string };

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** `name` or `name('key')` / `name(key)`. */
function splitKey(segment: string): { name: string; key?: string } {
  const match = /^([^(]+)\((?:'([^']*)'|([^)']*))\)$/.exec(segment);
  return match ? { name: match[1], key: match[2] ?? match[3] } : { name: segment };
}

/**
 * `path` is the part after the version, e.g. `/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads/x`;
 * `routed` holds the `deviceManagement` segments the schema in force has (lower case, see schema.ts).
 */
export function resolveRoute(path: string, routed: ReadonlySet<string>): RouteResult {
  const raw = path.split('/').slice(1);
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  let segments: string[];
  try {
    segments = raw.map((s) => decodeURIComponent(s));
  } catch {
    return { ok: false, reason: 'segment', segment: raw.join('/') };
  }

  const [root, ...rest] = segments;
  if (!same(root ?? '', 'deviceManagement')) return { ok: false, reason: 'segment', segment: root ?? '' };
  if (rest.length === 0) return { ok: false, reason: 'notImplemented', path: '/deviceManagement' };

  // Flatten `x('key')` into `x`, `key` so both key syntaxes walk the same way.
  const walk: string[] = [];
  for (const segment of rest) {
    const { name, key } = splitKey(segment);
    walk.push(name);
    if (key !== undefined) walk.push(key);
  }

  const [collection, uploadId, navigation, deviceId, ...extra] = walk;
  if (!routed.has(collection.toLowerCase())) return { ok: false, reason: 'segment', segment: collection };
  if (same(collection, IDENTITIES_SEGMENT)) return identitiesRoute(walk.slice(1));
  if (!same(collection, COLLECTION_SEGMENT)) return { ok: false, reason: 'notImplemented', path: `/deviceManagement/${collection}` };
  const uploadsPath = `/deviceManagement/${COLLECTION_SEGMENT}`;
  if (uploadId === undefined) {
    return { ok: true, route: { resource: { kind: 'uploads' }, odataPath: uploadsPath, template: '~/singleton/navigation' } };
  }
  const uploadPath = `${uploadsPath}('${uploadId}')`;
  if (navigation === undefined) {
    return { ok: true, route: { resource: { kind: 'upload', uploadId }, odataPath: uploadPath, template: '~/singleton/navigation/key' } };
  }
  if (!same(navigation, DEVICES_SEGMENT)) return { ok: false, reason: 'segment', segment: navigation };
  const devicesPath = `${uploadPath}/${DEVICES_SEGMENT}`;
  if (deviceId === undefined) {
    return {
      ok: true,
      route: { resource: { kind: 'devices', uploadId }, odataPath: devicesPath, template: '~/singleton/navigation/key/navigation' },
    };
  }
  if (extra.length > 0) return { ok: false, reason: 'segment', segment: extra[0] };
  return {
    ok: true,
    route: {
      resource: { kind: 'device', uploadId, deviceId },
      odataPath: `${devicesPath}('${deviceId}')`,
      template: '~/singleton/navigation/key/navigation/key',
    },
  };
}

/** `/deviceManagement/importedWindowsAutopilotDeviceIdentities[/{id}]` (the bound `import` action is not served). */
function identitiesRoute(rest: string[]): RouteResult {
  const collectionPath = `/deviceManagement/${IDENTITIES_SEGMENT}`;
  const [identityId, ...extra] = rest;
  if (identityId === undefined) {
    return { ok: true, route: { resource: { kind: 'identities' }, odataPath: collectionPath, template: '~/singleton/navigation' } };
  }
  if (same(identityId, 'import')) return { ok: false, reason: 'notImplemented', path: `${collectionPath}/import` };
  if (extra.length > 0) return { ok: false, reason: 'segment', segment: extra[0] };
  return {
    ok: true,
    route: { resource: { kind: 'identity', identityId }, odataPath: `${collectionPath}('${identityId}')`, template: '~/singleton/navigation/key' },
  };
}
