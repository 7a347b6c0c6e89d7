/**
 * Which paths the Graph stand-in routes, in one of two modes:
 * - `documented`: the API page's world (today's default for `npm start`): Graph's published schema
 *   plus the uploads collection the API page documents.
 * - `published`: only what Microsoft's metadata routes (microsoftgraph/msgraph-metadata, copied
 *   under test/fixtures/graph-metadata/): `deviceManagement` has no
 *   `importedWindowsAutopilotDeviceIdentityUploads`, so those paths answer Graph's 400
 *   "Resource not found for the segment '…'." — what a real tenant most likely answers.
 */
import beta from '../../test/fixtures/graph-metadata/beta-entity-types.autopilot.json';
import v1 from '../../test/fixtures/graph-metadata/v1.0-entity-types.autopilot.json';
import { COLLECTION_SEGMENT } from './model';

export const GRAPH_SCHEMAS = ['documented', 'published'] as const;
export type GraphSchema = (typeof GRAPH_SCHEMAS)[number];

const PUBLISHED: Record<string, readonly string[]> = {
  'v1.0': v1.deviceManagement.navigationProperties,
  beta: beta.deviceManagement.navigationProperties,
};

/** `deviceManagement`'s navigation properties in this version, under this schema (lower case). */
export function deviceManagementSegments(schema: GraphSchema, version: string): Set<string> {
  const published = PUBLISHED[version] ?? [];
  const segments = schema === 'documented' ? [...published, COLLECTION_SEGMENT] : published;
  return new Set(segments.map((s) => s.toLowerCase()));
}

export function parseGraphSchema(value: string | undefined): GraphSchema {
  const schema = (value ?? 'documented').toLowerCase();
  if (!(GRAPH_SCHEMAS as readonly string[]).includes(schema)) {
    throw new Error(`GRAPH_SCHEMA must be ${GRAPH_SCHEMAS.join(' or ')} (got "${value}")`);
  }
  return schema as GraphSchema;
}
