/**
 * Plain HTTPS calls to the Graph stand-in for its tests (global fetch; the sandbox CA is trusted
 * through NODE_EXTRA_CA_CERTS).
 */

export const UPLOADS_PATH = '/deviceManagement/importedWindowsAutopilotDeviceIdentityUploads';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined for an empty body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk arbitrary Graph JSON
  body: any;
}

export interface CallOptions {
  token?: string;
  /** An object is sent as JSON with Content-Type application/json; a string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call(baseUrl: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (typeof opts.body === 'string') body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const url = /^https:/.test(path) ? path : `${baseUrl}${path}`;
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

/** The JSON document Intune serialises into `error.message`. */
export function intuneMessage(reply: Reply): { _version: number; Message: string; [k: string]: unknown } {
  return JSON.parse(reply.body.error.message);
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
