/**
 * The sign-in button's `state`: an HMAC-sealed token that binds one sign-in to one user and one
 * parked exchange, so a `signin/verifyState` can only resume what was parked for the person
 * sending it. Two purposes, never interchangeable:
 * - `start`: in the button's URL; the start page and Entra carry it to the end page;
 * - `done`: what the end page hands `notifySuccess`, i.e. what Teams puts in verifyState's
 *   `value.state` — so a verifyState proves the person came back through the end page.
 * The key is derived from the app's client secret with HKDF (no new secret to manage); rotating
 * the secret invalidates open sign-ins, which is fine for a 15-minute flow.
 */
import { systemClock } from '../clock';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export type StatePurpose = 'start' | 'done';

export interface SignInState {
  purpose: StatePurpose;
  tid: string;
  oid: string;
  /** The parked exchange (tokenExchangeResource id) this sign-in belongs to. */
  exchangeId: string;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

export type OpenedState =
  | { ok: true; state: SignInState }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'wrong-purpose' };

/** As long as a parked command lives (PARKED_TTL_MS): a sign-in cannot outlive what it resumes. */
export const SIGNIN_STATE_TTL_MS = 15 * 60 * 1000;
/** Teams passes the state through a URL and an invoke; stay far below any limit. */
const MAX_TOKEN_CHARS = 1024;
const VERSION = 1;

export function signInStateKey(clientSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', clientSecret, 'autopilot-uploads-bot', 'signin-state/v1', 32));
}

export class SignInStates {
  constructor(
    private readonly key: Buffer,
    private readonly now: () => number = systemClock,
    private readonly ttlMs = SIGNIN_STATE_TTL_MS,
  ) {}

  seal(purpose: StatePurpose, input: { tid: string; oid: string; exchangeId: string }, exp = this.now() + this.ttlMs): string {
    const body = Buffer.from(JSON.stringify({ v: VERSION, p: purpose, t: input.tid, o: input.oid, x: input.exchangeId, e: exp })).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  open(token: unknown, purpose: StatePurpose): OpenedState {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed' };
    const [body, mac, ...rest] = token.split('.');
    if (!body || !mac || rest.length) return { ok: false, reason: 'malformed' };
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
    let fields: { v?: unknown; p?: unknown; t?: unknown; o?: unknown; x?: unknown; e?: unknown };
    try {
      fields = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const { v, p, t, o, x, e } = fields;
    if (v !== VERSION || typeof t !== 'string' || typeof o !== 'string' || typeof x !== 'string' || typeof e !== 'number') return { ok: false, reason: 'malformed' };
    if (p !== purpose) return { ok: false, reason: 'wrong-purpose' };
    if (this.now() >= e) return { ok: false, reason: 'expired' };
    return { ok: true, state: { purpose, tid: t, oid: o, exchangeId: x, exp: e } };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
