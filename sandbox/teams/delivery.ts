/**
 * Delivers an activity to the bot's messaging endpoint the way the Bot Connector does: POST with a
 * signed JWT, Teams' routing headers (x-ms-conversation-id, x-ms-tenant-id: "Request headers of
 * the bot", msteams-docs) and the Connector's user agent. The bot's HTTP answer is the invoke
 * response for invokes.
 */
import type { ChannelAuth, ChannelSigner } from './channelSigning';
import { httpCall, HttpTimeoutError } from './httpClient';
import type { Activity } from './world';

export interface Delivery {
  activity: Activity;
  /** HTTP status the bot answered; 0 when it did not answer in time or the connection failed. */
  status: number;
  /** Parsed JSON body (the invoke response for invokes), or the raw text when not JSON. */
  body: unknown;
  timedOut?: boolean;
  error?: string;
}

export async function deliver(
  endpoint: string,
  signer: ChannelSigner,
  activity: Activity,
  opts: { auth?: ChannelAuth; timeoutMs: number; ca?: string },
): Promise<Delivery> {
  const authorization = await signer.authorizationFor(String(activity.serviceUrl ?? ''), opts.auth ?? 'valid');
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'User-Agent': 'Microsoft-SkypeBotApi (Microsoft-BotFramework/3.0)',
    'x-ms-conversation-id': String(activity.conversation?.id ?? ''),
    'x-ms-tenant-id': String(activity.conversation?.tenantId ?? activity.channelData?.tenant?.id ?? ''),
  };
  if (authorization) headers.Authorization = authorization;
  try {
    const answer = await httpCall(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify(activity),
      ca: opts.ca,
      timeoutMs: opts.timeoutMs,
    });
    return { activity, status: answer.status, body: answer.json ?? (answer.text || undefined) };
  } catch (err) {
    if (err instanceof HttpTimeoutError) return { activity, status: 0, body: undefined, timedOut: true, error: err.message };
    return { activity, status: 0, body: undefined, error: (err as Error).message };
  }
}
