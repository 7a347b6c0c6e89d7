/**
 * Calls into the Agents Playground's own Connector (its serviceUrl, `…/_connector`): the bridge
 * passes the bot's Connector calls on there, without the bot's token — the Playground would
 * otherwise use it to reach token.botframework.com for OAuthCards.
 */
import { httpCall, type HttpAnswer } from '../teams/httpClient';

export async function callPlayground(
  serviceUrl: string,
  method: string,
  v3PathAndQuery: string,
  body?: unknown,
  timeoutMs = 15_000,
): Promise<HttpAnswer> {
  const base = serviceUrl.replace(/\/+$/, '');
  return httpCall(`${base}/v3/${v3PathAndQuery}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
    timeoutMs,
  });
}
