/**
 * Calls the Teams stand-in's Connector REST API directly, with a bot token obtained from the
 * Entra stand-in by MSAL (client credentials, as botbuilder does) — for tests that need exact
 * control over each call (rate limits, error bodies).
 */
import { botMsalClient } from './teams-echo-bot';

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** `tenant`: botframework.com for a multi-tenant bot, the bot's own tenant for a single-tenant one. */
export async function connectorToken(entraUrl: string, appId: string, secret: string, tenant?: string): Promise<string> {
  const result = await botMsalClient(entraUrl, appId, secret, tenant).acquireTokenByClientCredential({
    scopes: ['https://api.botframework.com/.default'],
  });
  if (!result?.accessToken) throw new Error('no token from the Entra stand-in');
  return result.accessToken;
}

/** `path` is relative to the serviceUrl, e.g. `v3/conversations/${encodeURIComponent(id)}/activities`. */
export async function connectorCall(
  serviceUrl: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<RawAnswer> {
  const res = await fetch(new URL(path, serviceUrl), {
    method,
    headers: {
      ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

export const conversationPath = (conversationId: string, rest = '') =>
  `v3/conversations/${encodeURIComponent(conversationId)}${rest}`;
