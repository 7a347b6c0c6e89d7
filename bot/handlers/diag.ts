/**
 * `diag`: the admin's own end-to-end check, one line per link of the chain — Teams SSO token, OBO,
 * Graph, the uploads collection in v1.0 and beta, the device identities, the permission, the state
 * store and the notification queue. Reads only; never shows a token.
 *
 * Personal and group chats run it like `show upload` (message-level SSO when needed). In a channel
 * the results must reach the asker only: the bot posts a card that the asker's client refreshes
 * (card-level SSO), and the refreshed view — the results — is theirs alone.
 */
import type { TokenCredential } from '@azure/identity';
import type { TurnContext } from 'botbuilder';
import type { DiagLine } from '../../cards';
import { type BotError, isBotError } from '../errors';
import { API_VERSIONS } from '../graph/offerings';
import { UploadsClient, graphScope, toBotError, type ProbeTarget } from '../graph/uploads';
import type { Services } from '../services';
import type { Requester } from '../state/changes';
import { grantedScopes } from '../sso/grantedScopes';
import * as views from '../views';

const READ_WRITE = 'DeviceManagementServiceConfig.ReadWrite.All';
const READ = 'DeviceManagementServiceConfig.Read.All';

/** A key of the right shape that no change ever has: a real read of the store that finds nothing. */
const PROBE_KEY = 'diag-probe-0000000000000000000000000000000';

type Probe = { ok: true; requestId?: string; count: number } | { ok: false; error: BotError };

export async function runDiag(services: Services, actor: Requester, credential: TokenCredential): Promise<DiagLine[]> {
  const lines: DiagLine[] = [];
  const sso = services.sso.signedIn(actor);
  lines.push(
    sso
      ? {
          check: 'Teams SSO token',
          outcome: 'ok',
          detail: `valid for tenant ${sso.user.tid}, scopes ${(sso.scopes ?? []).join(' ') || 'none listed'}, until ${new Date(sso.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        }
      : { check: 'Teams SSO token', outcome: 'failed', detail: 'the bot holds no validated sign-in for you; type "sign out", then diag again' },
  );

  const scope = graphScope(services.config.graph.baseUrl);
  let oboOk = false;
  try {
    const token = await credential.getToken(scope);
    oboOk = token !== null;
    lines.push(
      token
        ? { check: 'On-behalf-of exchange', outcome: 'ok', detail: `Microsoft Entra ID issued a Microsoft Graph token for you, valid until ${new Date(token.expiresOnTimestamp).toISOString().slice(11, 16)} UTC` }
        : { check: 'On-behalf-of exchange', outcome: 'failed', detail: 'Microsoft Entra ID returned no token' },
    );
  } catch (err) {
    const e = toBotError(err);
    lines.push({ check: 'On-behalf-of exchange', outcome: 'failed', detail: reason(e), requestId: e.details.requestId });
  }

  const configured = services.config.graph.apiVersion;
  const host = new URL(services.config.graph.baseUrl).host;
  const client = (apiVersion: 'v1.0' | 'beta'): UploadsClient =>
    new UploadsClient(credential, { ...services.config.graph, apiVersion, offerings: services.offerings, clock: services.clock });
  const probe = (c: UploadsClient, target: ProbeTarget): Promise<Probe> =>
    c.probe(target).then(
      (r): Probe => ({ ok: true, ...r }),
      (err): Probe => ({ ok: false, error: toBotError(err) }),
    );
  const idLabel = `Device identities, ${configured}`;
  const uploadLabel = (version: string) => `Upload records, ${version}${version === configured ? ' (configured)' : ''}`;
  if (!oboOk) {
    for (const check of ['Microsoft Graph reachable', ...API_VERSIONS.map(uploadLabel), idLabel]) {
      lines.push({ check, outcome: 'skipped', detail: 'not tried without a Graph token' });
    }
  } else {
    const [uploadsByVersion, identities] = await Promise.all([
      Promise.all(API_VERSIONS.map((v) => probe(client(v), 'uploads'))),
      probe(client(configured), 'identities'),
    ]);
    const probes = [...uploadsByVersion, identities];
    // Any HTTP answer from Graph, even a refusal, proves the network path to it.
    const answered = probes.find((p) => p.ok || (p.error.details.httpStatus ?? 0) > 0);
    const failed = probes.find((p): p is Extract<Probe, { ok: false }> => !p.ok);
    lines.push(
      answered
        ? { check: 'Microsoft Graph reachable', outcome: 'ok', detail: `${host} answered`, requestId: requestIdOf(answered) }
        : { check: 'Microsoft Graph reachable', outcome: 'failed', detail: `${host}: ${failed ? reason(failed.error) : 'no answer'}` },
    );
    API_VERSIONS.forEach((version, i) => lines.push(probeLine(uploadLabel(version), uploadsByVersion[i]!)));
    lines.push(probeLine(idLabel, identities));
  }

  lines.push(await permissionLine(services, sso, scope));
  lines.push(await stateLine(services));
  lines.push(await queueLine(services));
  return lines;
}

/** Read vs read-write, from the scopes Entra's token endpoint says it granted. */
async function permissionLine(services: Services, sso: ReturnType<Services['sso']['signedIn']>, scope: string): Promise<DiagLine> {
  const check = 'Permission';
  if (!sso) return { check, outcome: 'skipped', detail: 'write not checked (it would change data); no sign-in to ask Entra about' };
  try {
    const scopes = await grantedScopes({
      clientId: services.config.sso.clientId,
      clientSecret: services.config.sso.clientSecret,
      authorityHost: services.config.sso.authorityHost,
      tenantId: sso.user.tid,
      assertion: sso.token,
      scope,
    });
    const has = (name: string) => scopes.some((s) => s.toLowerCase().endsWith(`/${name.toLowerCase()}`) || s.toLowerCase() === name.toLowerCase());
    if (has(READ_WRITE)) return { check, outcome: 'ok', detail: `read-write: Entra granted ${READ_WRITE}` };
    if (has(READ)) return { check, outcome: 'failed', detail: `read only: Entra granted ${READ}, not ${READ_WRITE}; Confirm will be refused` };
    return { check, outcome: 'failed', detail: `Entra granted neither ${READ} nor ${READ_WRITE}` };
  } catch (err) {
    const e = toBotError(err);
    return { check, outcome: 'notChecked', detail: `write not checked (it would change data); Entra did not list the granted scopes: ${reason(e)}` };
  }
}

async function stateLine(services: Services): Promise<DiagLine> {
  try {
    await services.changes.load(PROBE_KEY);
    return { check: 'State store', outcome: 'ok', detail: 'a read of a known key answered' };
  } catch (err) {
    return { check: 'State store', outcome: 'failed', detail: `a read failed (${errorName(err)})` };
  }
}

async function queueLine(services: Services): Promise<DiagLine> {
  try {
    const depth = await services.notifications.outbox.depth();
    return { check: 'Notification queue', outcome: 'ok', detail: `reachable, ${depth} message${depth === 1 ? '' : 's'} waiting${services.notifications.outbox.durable ? '' : ' (in memory)'}` };
  } catch (err) {
    return { check: 'Notification queue', outcome: 'failed', detail: `not reachable (${errorName(err)})` };
  }
}

function reason(e: BotError): string {
  const code = e.details.serviceCode ? ` (${e.details.serviceCode}${e.details.httpStatus ? `, HTTP ${e.details.httpStatus}` : ''})` : '';
  switch (e.code) {
    case 'not_offered':
      return `not offered: Graph has no ${e.details.segment ?? 'such'} segment here${code}`;
    case 'forbidden':
      return `refused: your account lacks permission${code}`;
    default:
      return `${e.message}${code}`;
  }
}

function probeLine(check: string, p: Probe): DiagLine {
  return p.ok
    ? { check, outcome: 'ok', detail: `readable ($top=1 returned ${p.count} item${p.count === 1 ? '' : 's'})`, requestId: p.requestId }
    : { check, outcome: 'failed', detail: reason(p.error), requestId: p.error.details.requestId };
}

function requestIdOf(p: Probe): string | undefined {
  return p.ok ? p.requestId : p.error.details.requestId;
}

/** A short, secret-free name for a storage failure (SDK messages can quote URLs). */
function errorName(err: unknown): string {
  if (isBotError(err)) return err.code;
  const e = err as { code?: unknown; name?: unknown; statusCode?: unknown };
  return [e.name, e.code, e.statusCode].filter((x) => typeof x === 'string' || typeof x === 'number').join(' ') || 'error';
}

/**
 * What a person sees: the results card, user-specific in a channel (`channel.askedAt` rides along
 * in its refresh data).
 */
export async function diagCardFor(services: Services, actor: Requester, credential: TokenCredential, channel?: { askedAt: number }) {
  // One run per few seconds per user: every client of theirs refreshes the channel card.
  const lines = await services.recent.diag.get(`${actor.tid}|${actor.oid}`, () => runDiag(services, actor, credential));
  return views.diagResults(actor.name, lines, channel ? { requesterMri: actor.mri, askedAt: channel.askedAt } : undefined);
}

/**
 * Teams refreshes a card each time its user views it: a channel's diag card would re-run the
 * whole check (Graph reads, an on-behalf-of exchange) for as long as the message lives. Automatic
 * refreshes run it only this long after it was asked; a press of "Run my check" always runs it.
 */
export const DIAG_REFRESH_WINDOW_MS = 10 * 60 * 1000;

export function diagRefreshExpired(askedAt: unknown, trigger: unknown, now: number): boolean {
  if (trigger !== 'automatic') return false;
  const at = Number(askedAt);
  return !Number.isFinite(at) || now - at > DIAG_REFRESH_WINDOW_MS;
}

export const isChannel = (context: TurnContext): boolean => context.activity.conversation?.conversationType === 'channel';
