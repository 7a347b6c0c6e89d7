/**
 * What one Graph call answers, before it is written to a socket or into a `$batch` response.
 */

/** Per-request identifiers every answer carries (headers and `innerError`). */
export interface RequestContext {
  requestId: string;
  /** The caller's `client-request-id`, or `requestId` when none was sent (as Graph does). */
  clientRequestId: string;
  now: Date;
  /** This stand-in's origin, for `@odata.context` and `@odata.nextLink`. */
  baseUrl: string;
}

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** The content type Graph sends with OData payloads (see the json-batching page's sample response). */
export const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
/** Graph errors and `$batch` answers are plain `application/json`. */
export const PLAIN_JSON = 'application/json';

export function odata(status: number, body: unknown, headers: Record<string, string> = {}): GraphResponse {
  return {
    status,
    headers: { 'Content-Type': ODATA_JSON, 'OData-Version': '4.0', 'Cache-Control': 'no-cache', ...headers },
    body,
  };
}

export function noContent(): GraphResponse {
  return { status: 204, headers: { 'Cache-Control': 'no-cache' } };
}
