/**
 * The sign-in popup Teams opens for a sign-in button, without a browser: follows the button's URL
 * and its redirects (bot start page → Entra's consent page), submits the consent form as the admin
 * would (accept or decline), follows the redirect to the page Entra was told to return to, and
 * reads what that page hands `microsoftTeams.authentication.notifySuccess` / `notifyFailure`.
 *
 * Real Teams sends `signin/verifyState` only after the page called notifySuccess (msteams-docs
 * bots/how-to/authentication/auth-flow-bot.md); a page that cannot run teams-js cannot call it.
 * So the page counts as having called it only if it loads teams-js from its own origin (fetched
 * here: it must be JavaScript that has notifySuccess) and declares its result in
 * `<script type="application/json" id="teams-result">` — the value its own script passes on.
 */
import { httpCall } from './httpClient';

export interface PopupOptions {
  ca?: string;
  /** What the admin does on Entra's consent page (default accept). */
  consent?: 'accept' | 'decline';
  /** When set, the page that reports must be on one of these hosts (the manifest's validDomains). */
  validDomains?: string[];
  timeoutMs?: number;
}

export interface PopupVisit {
  method: string;
  url: string;
  status: number;
}

export type PopupOutcome =
  | { kind: 'notifySuccess'; result: string; page: string; visits: PopupVisit[] }
  | { kind: 'notifyFailure'; reason: string; page: string; visits: PopupVisit[] }
  /** The popup ended on a page that tells Teams nothing (an Entra error page, a bad link…). */
  | { kind: 'stuck'; why: string; page?: string; text?: string; visits: PopupVisit[] };

const MAX_STEPS = 10;

export async function runSignInPopup(startUrl: string, opts: PopupOptions = {}): Promise<PopupOutcome> {
  const visits: PopupVisit[] = [];
  let request: { method: string; url: string; body?: string } = { method: 'GET', url: startUrl };
  let submitted = false;
  for (let step = 0; step < MAX_STEPS; step++) {
    let target: URL;
    try {
      target = new URL(request.url);
    } catch {
      return { kind: 'stuck', why: `not a URL: ${request.url}`, visits };
    }
    if (target.protocol !== 'https:' && target.protocol !== 'http:') return { kind: 'stuck', why: `a popup cannot open ${target.protocol} URLs`, visits };
    let answer;
    try {
      answer = await httpCall(request.url, {
        method: request.method,
        ca: opts.ca,
        timeoutMs: opts.timeoutMs ?? 10_000,
        ...(request.body !== undefined ? { body: request.body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } } : {}),
      });
    } catch (err) {
      return { kind: 'stuck', why: `the popup could not load ${request.url} (${(err as Error).message})`, page: request.url, visits };
    }
    visits.push({ method: request.method, url: request.url, status: answer.status });
    const location = answer.headers.location;
    if (answer.status >= 300 && answer.status < 400 && location) {
      request = { method: 'GET', url: new URL(location, request.url).toString() };
      continue;
    }
    const html = answer.text;
    const consentForm = /<form\b[^>]*\bid="consent"[^>]*>/i.exec(html);
    if (answer.status === 200 && consentForm && !submitted) {
      submitted = true;
      const action = /\baction="([^"]*)"/i.exec(consentForm[0])?.[1];
      request = { method: 'POST', url: action ? new URL(action, request.url).toString() : request.url, body: `decision=${opts.consent ?? 'accept'}` };
      continue;
    }
    const declared = /<script\b[^>]*\bid="teams-result"[^>]*>([\s\S]*?)<\/script>/i.exec(html);
    if (!declared) return { kind: 'stuck', why: `the popup ended on a page that does not talk to Teams (HTTP ${answer.status})`, page: request.url, text: textOf(html), visits };
    if (opts.validDomains && !opts.validDomains.includes(target.hostname)) {
      return { kind: 'stuck', why: `${target.hostname} is not one of the app's validDomains`, page: request.url, visits };
    }
    const teamsJs = await loadsTeamsJs(html, target, opts);
    if (teamsJs !== true) return { kind: 'stuck', why: teamsJs, page: request.url, visits };
    let result: { outcome?: unknown; result?: unknown; reason?: unknown };
    try {
      result = JSON.parse(declared[1]!);
    } catch {
      return { kind: 'stuck', why: 'the page declares an unreadable result', page: request.url, visits };
    }
    if (result.outcome === 'success' && typeof result.result === 'string') return { kind: 'notifySuccess', result: result.result, page: request.url, visits };
    if (result.outcome === 'failure') return { kind: 'notifyFailure', reason: String(result.reason ?? ''), page: request.url, visits };
    return { kind: 'stuck', why: 'the page declares neither success nor failure', page: request.url, visits };
  }
  return { kind: 'stuck', why: `more than ${MAX_STEPS} steps`, visits };
}

/** The page must load teams-js from its own origin (no CDN), and that script must offer notifySuccess. */
async function loadsTeamsJs(html: string, page: URL, opts: PopupOptions): Promise<true | string> {
  const sources = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/gi)].map((m) => new URL(m[1]!.replace(/&amp;/g, '&'), page));
  const own = sources.filter((s) => s.origin === page.origin);
  if (own.length === 0) return sources.length ? `the page loads its scripts from elsewhere (${sources.map((s) => s.origin).join(', ')})` : 'the page loads no teams-js';
  for (const src of own) {
    const answer = await httpCall(src.toString(), { ca: opts.ca, timeoutMs: opts.timeoutMs ?? 10_000 }).catch(() => undefined);
    if (!answer) continue;
    if (answer.status === 200 && /javascript/.test(String(answer.headers['content-type'])) && answer.text.includes('notifySuccess')) return true;
  }
  return 'the page loads no teams-js from its own origin';
}

function textOf(html: string): string {
  return html.replace(/<script[\s\S]*?<\/script>/gi, ' ').replace(/<[^>]+>/g, ' ').replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/\s+/g, ' ').trim().slice(0, 600);
}
