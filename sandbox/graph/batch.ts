/**
 * JSON batching (`POST /{version}/$batch`), per microsoft-graph-docs-contrib concepts/json-batching.md:
 * at most 20 requests; relative urls; `id` unique (case-insensitive); a request with a body must
 * carry a Content-Type header; `dependsOn` orders requests and a failed dependency turns its
 * dependants into 424; responses may come in any order (here: completion order). Every entry is
 * authorised with the outer request's token, and each counts against throttling on its own.
 *
 * "Batch should be either fully sequential or fully parallel" (Microsoft's answer on Q&A 1532547):
 * when any request uses dependsOn, exactly one request may be without it. The wording of the
 * structural 400s below, other than "Write request id : … does not contain Content-Type header or
 * body.", is not published and is the stand-in's own.
 */
import type { ApiBody, ApiRequest } from './intune-api';
import { graphError } from './errors';
import type { GraphResponse, RequestContext } from './response';
import { PLAIN_JSON } from './response';

export const MAX_BATCH_REQUESTS = 20;

interface BatchEntry {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  dependsOn: string[];
}

export interface BatchSubResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Runs one entry (auth already done by the caller); `entryId` lets the caller log it. */
export type RunEntry = (request: ApiRequest, entryId: string) => Promise<GraphResponse>;

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export async function runBatch(payload: unknown, version: string, ctx: RequestContext, run: RunEntry): Promise<GraphResponse> {
  const parsed = parseBatch(payload);
  if (!parsed.ok) return graphError(ctx, 400, 'BadRequest', parsed.message);
  const entries = parsed.entries;
  const byId = new Map(entries.map((e) => [e.id.toLowerCase(), e]));

  const responses: BatchSubResponse[] = [];
  const running = new Map<string, Promise<BatchSubResponse>>();
  const execute = (entry: BatchEntry): Promise<BatchSubResponse> => {
    const key = entry.id.toLowerCase();
    let promise = running.get(key);
    if (!promise) {
      promise = (async () => {
        const dependencies = await Promise.all(entry.dependsOn.map((d) => execute(byId.get(d.toLowerCase()) as BatchEntry)));
        const result = dependencies.some((d) => d.status >= 400)
          ? toSub(entry.id, graphError(ctx, 424, 'FailedDependency', 'The request was not run because a request it depends on failed.'))
          : toSub(entry.id, await runEntry(entry, version, ctx, run));
        responses.push(result);
        return result;
      })();
      running.set(key, promise);
    }
    return promise;
  };
  await Promise.all(entries.map(execute));
  return { status: 200, headers: { 'Content-Type': PLAIN_JSON, 'Cache-Control': 'no-cache' }, body: { responses } };
}

function toSub(id: string, response: GraphResponse): BatchSubResponse {
  return { id, status: response.status, headers: response.headers, ...(response.body !== undefined ? { body: response.body } : {}) };
}

function runEntry(entry: BatchEntry, version: string, ctx: RequestContext, run: RunEntry): Promise<GraphResponse> | GraphResponse {
  if (/^[a-z][a-z0-9+.-]*:/i.test(entry.url)) {
    return graphError(ctx, 400, 'BadRequest', `The url '${entry.url}' must be relative to the version root, e.g. /deviceManagement/…`);
  }
  const relative = entry.url.startsWith('/') ? entry.url : `/${entry.url}`;
  const queryAt = relative.indexOf('?');
  const path = queryAt < 0 ? relative : relative.slice(0, queryAt);
  if (/^\/\$batch\/?$/i.test(path)) return graphError(ctx, 400, 'BadRequest', 'A batch request cannot contain another batch request.');
  const contentType = header(entry.headers, 'content-type');
  return run(
    {
      method: entry.method,
      version,
      path,
      query: new URLSearchParams(queryAt < 0 ? '' : relative.slice(queryAt + 1)),
      contentType,
      body: entryBody(entry.body, contentType),
    },
    entry.id,
  );
}

/** A JSON body arrives as JSON; a string body is base64 (json-batching.md: "base64 URL-encoded value"). */
function entryBody(body: unknown, contentType: string | undefined): ApiBody {
  if (body === undefined) return { kind: 'none' };
  if (typeof body === 'string') return { kind: 'text', text: Buffer.from(body, 'base64').toString('utf8') };
  if (!/\bjson\b/i.test(contentType ?? '')) return { kind: 'text', text: JSON.stringify(body) };
  return { kind: 'json', value: body };
}

const header = (headers: Record<string, string>, name: string): string | undefined =>
  Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];

function parseBatch(payload: unknown): { ok: true; entries: BatchEntry[] } | { ok: false; message: string } {
  const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });
  const requests = (payload as { requests?: unknown } | null)?.requests;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || !Array.isArray(requests)) {
    return fail("Invalid batch payload: the body must be a JSON object with a 'requests' array.");
  }
  if (requests.length > MAX_BATCH_REQUESTS) {
    return fail(`Invalid batch payload: ${requests.length} requests, the limit is ${MAX_BATCH_REQUESTS} requests per batch.`);
  }

  const entries: BatchEntry[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of requests.entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`Invalid batch payload: request ${index} is not an object.`);
    const r = raw as Record<string, unknown>;
    for (const property of ['id', 'method', 'url']) {
      if (typeof r[property] !== 'string' || r[property] === '') {
        return fail(`Invalid batch payload: request ${index} needs a non-empty string '${property}'.`);
      }
    }
    const id = r.id as string;
    if (seen.has(id.toLowerCase())) return fail(`Invalid batch payload: the request id '${id}' is used more than once.`);
    seen.add(id.toLowerCase());
    const headers = r.headers ?? {};
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
      return fail(`Invalid batch payload: the headers of request '${id}' must be an object of strings.`);
    }
    const dependsOn = r.dependsOn ?? [];
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) {
      return fail(`Invalid batch payload: dependsOn of request '${id}' must be an array of request ids.`);
    }
    const method = (r.method as string).toUpperCase();
    const entry: BatchEntry = { id, method, url: r.url as string, headers: headers as Record<string, string>, body: r.body, dependsOn };
    if (WRITE_METHODS.has(method) && (entry.body === undefined || header(entry.headers, 'content-type') === undefined)) {
      return fail(`Write request id : ${id} does not contain Content-Type header or body.`);
    }
    entries.push(entry);
  }
  return checkDependencies(entries);
}

function checkDependencies(entries: BatchEntry[]): { ok: true; entries: BatchEntry[] } | { ok: false; message: string } {
  const ids = new Set(entries.map((e) => e.id.toLowerCase()));
  for (const entry of entries) {
    const missing = entry.dependsOn.find((d) => !ids.has(d.toLowerCase()));
    if (missing !== undefined) return { ok: false, message: `Invalid batch payload: request '${entry.id}' depends on '${missing}', which is not in the batch.` };
  }
  const roots = entries.filter((e) => e.dependsOn.length === 0);
  if (roots.length !== entries.length && roots.length !== 1) {
    return { ok: false, message: 'Batch should be either fully sequential or fully parallel' };
  }
  // Depth-first search for a cycle (a request waiting on itself, directly or not).
  const byId = new Map(entries.map((e) => [e.id.toLowerCase(), e]));
  const state = new Map<string, 'visiting' | 'done'>();
  const cyclic = (key: string): boolean => {
    if (state.get(key) === 'done') return false;
    if (state.get(key) === 'visiting') return true;
    state.set(key, 'visiting');
    const found = (byId.get(key) as BatchEntry).dependsOn.some((d) => cyclic(d.toLowerCase()));
    state.set(key, 'done');
    return found;
  };
  if (entries.some((e) => cyclic(e.id.toLowerCase()))) {
    return { ok: false, message: 'Invalid batch payload: the dependsOn chain contains a cycle.' };
  }
  return { ok: true, entries };
}
