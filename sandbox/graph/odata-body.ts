/**
 * Reads a POST/PATCH body the way Intune's OData stack does, and fails with its messages.
 *
 * Messages (code ModelValidationFailure) as seen from Intune:
 * - unknown property: "The property 'x' does not exist on type 'microsoft.management.services.api.T'.
 *   Make sure to only use property names that are defined by the type." (microsoft/Intune-PowerShell-SDK#98)
 * - bad enum member: "Requested value 'equals' was not found." (byteben/Win32App-Migration-Tool#23)
 * - wrong primitive: "Cannot convert the literal '0' to the expected type 'Edm.String'." (Microsoft365DSC#5954)
 * - unknown @odata.type: "A type named 'microsoft.graph.X' could not be resolved by the model. …" (OpenIntuneBaseline#207)
 * - known but wrong @odata.type: "An entry with type '…' was found, but it is not assignable to the expected
 *   type '…'. …" (microsoft/Intune-Config-Frameworks#8)
 * - navigation property in PATCH: "Cannot apply PATCH to navigation property 'apps' on entity type '…'"
 *   (microsoftgraph/powershell-intune-samples#117)
 * The remaining ones (null for a non-nullable property, missing time zone, wrong JSON node) are the
 * Microsoft.OData.Core resource strings those stacks are built on.
 *
 * Instance and property annotations other than `@odata.type` are ignored, as OData readers do by default.
 * Property names are case-sensitive.
 */
import {
  DEVICE_IMPORT_STATUSES,
  GRAPH_TYPES,
  UPLOAD_STATUSES,
  intuneType,
} from './model';

type Edm = 'Edm.String' | 'Edm.DateTimeOffset' | 'Edm.Binary' | 'Edm.Int32';

type PropertyType =
  | { kind: 'primitive'; edm: Edm }
  | { kind: 'enum'; graphType: string; members: readonly string[] }
  | { kind: 'complex'; schema: StructuredType };

interface Property {
  type: PropertyType;
  nullable: boolean;
}

export interface StructuredType {
  graphType: string;
  kind: 'entity' | 'complex';
  properties: Record<string, Property>;
  /** Collection-valued navigation properties: deep insert on POST, refused on PATCH. */
  navigation: Record<string, StructuredType>;
}

const prim = (edm: Edm, nullable = true): Property => ({ type: { kind: 'primitive', edm }, nullable });

const DEVICE_STATE: StructuredType = {
  graphType: GRAPH_TYPES.deviceState,
  kind: 'complex',
  properties: {
    deviceImportStatus: {
      type: { kind: 'enum', graphType: 'microsoft.graph.importedWindowsAutopilotDeviceIdentityImportStatus', members: DEVICE_IMPORT_STATUSES },
      nullable: false,
    },
    deviceRegistrationId: prim('Edm.String'),
    deviceErrorCode: prim('Edm.Int32', false),
    deviceErrorName: prim('Edm.String'),
  },
  navigation: {},
};

export const DEVICE_IDENTITY: StructuredType = {
  graphType: GRAPH_TYPES.device,
  kind: 'entity',
  properties: {
    id: prim('Edm.String', false),
    groupTag: prim('Edm.String'),
    serialNumber: prim('Edm.String'),
    productKey: prim('Edm.String'),
    importId: prim('Edm.String'),
    hardwareIdentifier: prim('Edm.Binary'),
    assignedUserPrincipalName: prim('Edm.String'),
    state: { type: { kind: 'complex', schema: DEVICE_STATE }, nullable: true },
  },
  navigation: {},
};

export const UPLOAD: StructuredType = {
  graphType: GRAPH_TYPES.upload,
  kind: 'entity',
  properties: {
    id: prim('Edm.String', false),
    createdDateTimeUtc: prim('Edm.DateTimeOffset', false),
    status: {
      type: { kind: 'enum', graphType: 'microsoft.graph.importedWindowsAutopilotDeviceIdentityUploadStatus', members: UPLOAD_STATUSES },
      nullable: false,
    },
  },
  navigation: { deviceIdentities: DEVICE_IDENTITY },
};

/** Types of the enrollment model that exist but are not these (for the "not assignable" message). */
const OTHER_KNOWN_TYPES = new Set([
  'microsoft.graph.entity',
  'microsoft.graph.deviceManagement',
  'microsoft.graph.windowsAutopilotDeviceIdentity',
  'microsoft.graph.windowsAutopilotDeploymentProfile',
  'microsoft.graph.importedDeviceIdentity',
  ...[UPLOAD, DEVICE_IDENTITY, DEVICE_STATE].map((t) => t.graphType),
]);

export type ReadResult = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/** The JSON reader's node name for a value, as ODL names them in its messages. */
function nodeKind(value: unknown): 'StartObject' | 'StartArray' | 'PrimitiveValue' {
  if (Array.isArray(value)) return 'StartArray';
  if (value !== null && typeof value === 'object') return 'StartObject';
  return 'PrimitiveValue';
}

const unexpectedNode = (found: string, expected: string): string =>
  `An unexpected '${found}' node was found when reading from the JSON reader. A '${expected}' node was expected.`;

const literal = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

const cannotConvert = (value: unknown, typeName: string): string =>
  `Cannot convert the literal '${literal(value)}' to the expected type '${typeName}'.`;

/** Reads an entity body for `mode` ('create' = POST, 'update' = PATCH). */
export function readEntity(body: unknown, type: StructuredType, mode: 'create' | 'update'): ReadResult {
  const node = nodeKind(body);
  if (node !== 'StartObject') return fail(unexpectedNode(node, 'StartObject'));
  return readStructured(body as Record<string, unknown>, type, mode);
}

function readStructured(obj: Record<string, unknown>, type: StructuredType, mode: 'create' | 'update'): ReadResult {
  if ('@odata.type' in obj) {
    const problem = checkTypeAnnotation(obj['@odata.type'], type);
    if (problem) return fail(problem);
  }
  const value: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(obj)) {
    if (name.includes('@')) continue;
    const navigationTarget = type.navigation[name];
    if (navigationTarget) {
      if (mode === 'update') {
        return fail(`Cannot apply PATCH to navigation property '${name}' on entity type '${intuneType(type.graphType)}'.`);
      }
      const nested = readCollection(raw, navigationTarget);
      if (!nested.ok) return nested;
      value[name] = nested.items;
      continue;
    }
    const property = type.properties[name];
    if (!property) {
      return fail(
        `The property '${name}' does not exist on type '${intuneType(type.graphType)}'. ` +
          'Make sure to only use property names that are defined by the type.',
      );
    }
    const read = readValue(name, raw, property);
    if (!read.ok) return read;
    value[name] = read.value;
  }
  return { ok: true, value };
}

function readCollection(raw: unknown, type: StructuredType): { ok: true; items: Record<string, unknown>[] } | { ok: false; message: string } {
  const node = nodeKind(raw);
  if (node !== 'StartArray') return fail(unexpectedNode(node, 'StartArray'));
  const items: Record<string, unknown>[] = [];
  for (const item of raw as unknown[]) {
    const read = readEntity(item, type, 'create');
    if (!read.ok) return read;
    items.push(read.value);
  }
  return { ok: true, items };
}

function checkTypeAnnotation(annotation: unknown, expected: StructuredType): string | undefined {
  if (typeof annotation !== 'string' || annotation.replace(/^#/, '') === '') {
    return "The value of the 'odata.type' instance annotation must be a non-empty string.";
  }
  const name = annotation.replace(/^#/, '');
  if (name === expected.graphType) return undefined;
  if (!OTHER_KNOWN_TYPES.has(name)) {
    return `A type named '${name}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.`;
  }
  if (expected.kind === 'complex') {
    return (
      `A value was encountered that has a type name that is incompatible with the metadata. The value specified its type as ` +
      `'${intuneType(name)}', but the type specified in the metadata is '${intuneType(expected.graphType)}'.`
    );
  }
  return (
    `An entry with type '${intuneType(name)}' was found, but it is not assignable to the expected type ` +
    `'${intuneType(expected.graphType)}'. The type specified in the entry must be equal to either the expected type or a derived type.`
  );
}

function typeName(type: PropertyType): string {
  if (type.kind === 'primitive') return type.edm;
  return intuneType(type.kind === 'enum' ? type.graphType : type.schema.graphType);
}

const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function readValue(name: string, raw: unknown, property: Property): { ok: true; value: unknown } | { ok: false; message: string } {
  const { type } = property;
  if (raw === null) {
    if (property.nullable) return { ok: true, value: null };
    const t = `${typeName(type)}[Nullable=False]`;
    return fail(`A null value was found for the property named '${name}', which has the expected type '${t}'. The expected type '${t}' does not allow null values.`);
  }
  const node = nodeKind(raw);
  if (type.kind === 'complex') {
    if (node !== 'StartObject') return fail(unexpectedNode(node, 'StartObject'));
    const read = readStructured(raw as Record<string, unknown>, type.schema, 'create');
    return read.ok ? { ok: true, value: read.value } : read;
  }
  if (node !== 'PrimitiveValue') return fail(unexpectedNode(node, 'PrimitiveValue'));
  if (type.kind === 'enum') {
    if (typeof raw !== 'string') return fail(cannotConvert(raw, typeName(type)));
    if (!type.members.includes(raw)) return fail(`Requested value '${raw}' was not found.`);
    return { ok: true, value: raw };
  }
  switch (type.edm) {
    case 'Edm.String':
      return typeof raw === 'string' ? { ok: true, value: raw } : fail(cannotConvert(raw, type.edm));
    case 'Edm.Int32':
      return typeof raw === 'number' && Number.isInteger(raw) && raw >= -(2 ** 31) && raw < 2 ** 31
        ? { ok: true, value: raw }
        : fail(cannotConvert(raw, type.edm));
    case 'Edm.Binary':
      return typeof raw === 'string' && BASE64.test(raw) ? { ok: true, value: raw } : fail(cannotConvert(raw, type.edm));
    case 'Edm.DateTimeOffset': {
      const match = typeof raw === 'string' ? DATE_TIME_OFFSET.exec(raw) : null;
      if (!match || Number.isNaN(Date.parse(raw as string))) return fail(cannotConvert(raw, type.edm));
      if (!match[3]) {
        return fail(`The time zone information is missing on the DateTimeOffset value '${raw as string}'. A DateTimeOffset value must contain the time zone information.`);
      }
      return { ok: true, value: raw };
    }
  }
}
