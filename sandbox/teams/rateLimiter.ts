/**
 * Teams' throttling of bot API calls ("Optimize your bot with rate limiting in Teams",
 * msteams-docs bots/how-to/rate-limit.md): sliding windows per bot per conversation ("thread":
 * a personal chat, a group chat, or a whole channel) for each kind of operation, plus a global
 * limit per app per tenant. A refused call does not count against the windows.
 */

export type OperationKind = 'send' | 'create' | 'members' | 'conversations';

export interface Window {
  seconds: number;
  max: number;
}

export interface RateLimits {
  perConversation: Record<OperationKind, Window[]>;
  /** All calls of the app in one tenant, per second. Docs: "The global limit per app per tenant is 50 RPS". */
  perAppPerTenantPerSecond: number;
}

const SEND: Window[] = [
  { seconds: 1, max: 7 },
  { seconds: 2, max: 8 },
  { seconds: 30, max: 60 },
  { seconds: 3600, max: 1800 },
];
const READ: Window[] = [
  { seconds: 1, max: 14 },
  { seconds: 2, max: 16 },
  { seconds: 30, max: 120 },
  { seconds: 3600, max: 3600 },
];

export const TEAMS_RATE_LIMITS: RateLimits = {
  perConversation: { send: SEND, create: SEND, members: READ, conversations: READ },
  perAppPerTenantPerSecond: 50,
};

export interface Throttled {
  retryAfterSeconds: number;
  limit: string;
}

export class RateLimiter {
  private readonly accepted = new Map<string, number[]>();

  constructor(
    private readonly limits: RateLimits = TEAMS_RATE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the call and returns undefined, or returns why it is throttled (and records nothing). */
  admit(tenantId: string, conversationKey: string, kind: OperationKind): Throttled | undefined {
    const at = this.now();
    const tenantKey = `tenant|${tenantId}`;
    const threadKey = `thread|${kind}|${conversationKey}`;
    const checks: Array<[string, Window, string]> = [
      [tenantKey, { seconds: 1, max: this.limits.perAppPerTenantPerSecond }, `${this.limits.perAppPerTenantPerSecond} requests/1 s per app per tenant`],
      ...this.limits.perConversation[kind].map(
        (w): [string, Window, string] => [threadKey, w, `${kind}: ${w.max}/${w.seconds} s per bot per conversation`],
      ),
    ];
    let worst: Throttled | undefined;
    for (const [key, window, limit] of checks) {
      const since = at - window.seconds * 1000;
      const inWindow = (this.accepted.get(key) ?? []).filter((t) => t > since);
      if (inWindow.length >= window.max) {
        // Free again once enough of the oldest calls in the window have aged out of it.
        const freeAt = inWindow[inWindow.length - window.max] + window.seconds * 1000;
        const retryAfterSeconds = Math.max(1, Math.ceil((freeAt - at) / 1000));
        if (!worst || retryAfterSeconds > worst.retryAfterSeconds) worst = { retryAfterSeconds, limit };
      }
    }
    if (worst) return worst;
    for (const key of [tenantKey, threadKey]) {
      const horizon = at - 3600 * 1000;
      const kept = (this.accepted.get(key) ?? []).filter((t) => t > horizon);
      kept.push(at);
      this.accepted.set(key, kept);
    }
    return undefined;
  }
}
