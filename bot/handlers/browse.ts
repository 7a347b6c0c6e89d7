/**
 * The read views: `list uploads [<status>]`, `show upload <id>` (with its device identities), `show imports`,
 * `show import <importId>` (their card buttons are verbs in bot/verbs: browse, showUpload, changeStatus); and the upload
 * picker's typeahead (`application/search`).
 *
 * Paging: an upload list follows Graph's `@odata.nextLink`; device reports and the imports view read the devices
 * whole (up to MAX_DEVICES) because errors come first and counts must be true, and page through them by offset.
 * Either way the card carries a sealed page token (../browse/pageToken.ts), bound to the user and the view.
 */
import type { TokenCredential } from '@azure/identity';
import type { Attachment, InvokeResponse, TurnContext } from 'botbuilder';
import { changeStatusFormCard, noticeCard, rich, bold, uploadChoiceTitle, SEARCH_DATASETS } from '../../cards';
import { PageTokens, type PageKind, type PageTokenRefusal } from '../browse/pageToken';
import { groupByImport, summarise } from '../browse/report';
import { type Command, formatCommand, normaliseUploadId, parseCommand, parseStatus, suggestStatus } from '../commands/parse';
import type { BotConfig } from '../config';
import { isBotError } from '../errors';
import { DeviceIdentitiesClient, readAll } from '../graph/deviceIdentities';
import { isGuidFragment } from '../guid';
import type { DeviceIdentity, Upload } from '../model';
import type { Services } from '../services';
import type { Requester } from '../state/changes';
import { actorOf } from '../teams/activity';
import { setOutcome } from '../teams/outcome';
import * as views from '../views';
import { cardForError, sendCard } from './respond';
import { searchError, searchResults } from '../teams/invokeResponses';

export type BrowseCommand = Extract<Command, { kind: 'listUploads' | 'showImports' | 'showImport' | 'show' }>;

export const isBrowseCommand = (c: Command): c is BrowseCommand =>
  c.kind === 'listUploads' || c.kind === 'showImports' || c.kind === 'showImport' || c.kind === 'show';

/** Rows per card page. */
export const PAGE_SIZE = 10;
/** Devices read for one report or the imports view; beyond this the card says the counts are partial. */
const MAX_DEVICES = 1000;
const GRAPH_PAGE = 100;
/** Teams shows at most 15 typeahead choices. */
const SEARCH_MAX = 15;
const SEARCH_QUERY_MAX = 64;

type View = { card: Attachment; outcome: string };

const tokensByConfig = new WeakMap<BotConfig, PageTokens>();
function pageTokens(config: BotConfig): PageTokens {
  let tokens = tokensByConfig.get(config);
  if (!tokens) {
    tokens = new PageTokens({ secret: config.sso.clientSecret, graphBaseUrl: config.graph.baseUrl, apiVersion: config.graph.apiVersion });
    tokensByConfig.set(config, tokens);
  }
  return tokens;
}

function client(services: Services, credential: TokenCredential): DeviceIdentitiesClient {
  return new DeviceIdentitiesClient(credential, { ...services.config.graph, offerings: services.offerings, clock: services.clock });
}

/** Runs a read command as a new message (personal and group chats, or a channel user who is signed in). */
export async function runBrowseCommand(context: TurnContext, services: Services, command: BrowseCommand, actor: Requester, credential: TokenCredential): Promise<void> {
  const view = await browseView(services, command, actor, credential);
  await sendCard(context, view.card);
  setOutcome(context, view.outcome);
}

/** The card for a read command, at the page a token names (or the first). Graph failures become cards. */
export async function browseView(services: Services, command: BrowseCommand, actor: Requester, credential: TokenCredential, pageToken?: unknown): Promise<View> {
  const tokens = pageTokens(services.config);
  const kind: PageKind = command.kind === 'listUploads' ? 'uploads' : command.kind === 'show' ? 'devices' : command.kind === 'showImport' ? 'import' : 'imports';
  const subject = command.kind === 'listUploads' ? command.status : command.kind === 'show' ? command.uploadId : command.kind === 'showImport' ? command.importId : undefined;
  let position: { nextLink?: string; offset?: number; page?: number } = {};
  if (pageToken !== undefined) {
    const opened = tokens.open(pageToken, actor, kind);
    if (!opened.ok) return refused(opened.reason);
    if (opened.position.subject !== subject) return refused('wrong_view');
    position = opened.position;
  }
  const page = (position.offset ?? 0) / PAGE_SIZE + 1;
  const graph = client(services, credential);
  const commandText = formatCommand(command);
  try {
    switch (command.kind) {
      case 'listUploads': {
        const listed = await graph.list({ top: PAGE_SIZE, status: command.status, withDevices: true, nextLink: position.nextLink });
        // The page number rides in `offset` (rows before this page), so the card can say "page 3".
        const nextOffset = (position.offset ?? 0) + PAGE_SIZE;
        const token = listed.nextLink ? tokens.seal({ kind, subject, nextLink: listed.nextLink, offset: nextOffset }, actor) : undefined;
        return { card: views.uploadList(listed.items, { status: command.status, page, command: commandText, pageToken: token }), outcome: `listed:${listed.items.length}` };
      }
      case 'show': {
        const [upload, devices] = await Promise.all([
          graph.get(command.uploadId),
          readAll((): ReturnType<typeof graph.deviceIdentities> => graph.deviceIdentities(command.uploadId, { top: GRAPH_PAGE }), (next) => graph.deviceIdentities(command.uploadId, { nextLink: next }), MAX_DEVICES),
        ]);
        return report(tokens, actor, { kind: 'upload', upload }, devices, position.offset ?? 0, commandText, kind, subject);
      }
      case 'showImport': {
        const devices = await readAll(() => graph.identities({ top: GRAPH_PAGE, importId: command.importId }), (next) => graph.identities({ nextLink: next }), MAX_DEVICES);
        return report(tokens, actor, { kind: 'import', importId: command.importId }, devices, position.offset ?? 0, commandText, kind, subject);
      }
      case 'showImports': {
        const devices = await readAll(() => graph.identities({ top: GRAPH_PAGE }), (next) => graph.identities({ nextLink: next }), MAX_DEVICES);
        const groups = groupByImport(devices.items);
        const offset = position.offset ?? 0;
        const shown = groups.slice(offset, offset + PAGE_SIZE);
        const token = offset + PAGE_SIZE < groups.length ? tokens.seal({ kind, offset: offset + PAGE_SIZE }, actor) : undefined;
        return { card: views.importList(shown, { page, pageToken: token }), outcome: `imports:${shown.length}` };
      }
    }
  } catch (err) {
    if (isBotError(err, 'not_offered')) return { card: views.notOffered(err), outcome: 'not-offered' };
    return { card: cardForError(err), outcome: `graph-error:${isBotError(err) ? err.code : 'unknown'}` };
  }
}

function report(
  tokens: PageTokens,
  actor: Requester,
  subject: { kind: 'upload'; upload: Upload } | { kind: 'import'; importId: string },
  devices: { items: DeviceIdentity[]; truncated: boolean },
  offset: number,
  command: string,
  kind: PageKind,
  subjectId: string | undefined,
): View {
  const summary = summarise(devices.items);
  const next = offset + PAGE_SIZE;
  const token = next < summary.ordered.length ? tokens.seal({ kind, subject: subjectId, offset: next }, actor) : undefined;
  return {
    card: views.deviceReport(subject, summary, { offset, pageSize: PAGE_SIZE, command, pageToken: token, truncatedAt: devices.truncated ? MAX_DEVICES : undefined }),
    outcome: subject.kind === 'upload' ? 'shown' : 'import-shown',
  };
}

const REFUSALS: Record<PageTokenRefusal, string> = {
  malformed: 'This Show more button does not carry a page this bot made, so nothing was read.',
  signature: 'This Show more button was altered or is not from this bot, so nothing was read.',
  expired: 'This Show more button has expired. Run the command again for a fresh list.',
  wrong_user: 'This Show more button belongs to the person who ran the command. Run it yourself to page through.',
  wrong_view: 'This Show more button does not belong to this list, so nothing was read.',
  bad_link: 'This Show more button points outside Microsoft Graph, so nothing was read.',
};

function refused(reason: PageTokenRefusal): View {
  return { card: noticeCard({ title: 'Page refused', message: REFUSALS[reason], tone: 'attention' }), outcome: `page-token-refused:${reason}` };
}

// --- for the card verbs (bot/verbs) -----------------------------------------------------------------------------

/** The newest uploads, the change-status form's static picker choices; none when Graph cannot list them. */
export function uploadChoices(services: Services, credential: TokenCredential): Promise<Upload[]> {
  return client(services, credential).list({ top: SEARCH_MAX }).then((p) => p.items, () => []);
}

// --- typeahead ---------------------------------------------------------------------------------------------------

/**
 * `application/search` from the upload picker (`Data.Query`, dataset `uploads`): uploads whose id starts with the
 * query, or whose status the query names (`err`, `failed`, `no upload`); newest first; at most 15. An empty query
 * lists the newest. The answer is Teams' search response; a malformed query is a 400 in the body.
 */
export async function handleSearch(context: TurnContext, services: Services): Promise<InvokeResponse> {
  const value = context.activity.value as { queryText?: unknown; dataset?: unknown; queryOptions?: { top?: unknown } } | undefined;
  if (!value || typeof value !== 'object' || value.dataset !== SEARCH_DATASETS.uploads) {
    setOutcome(context, 'search-invalid:dataset');
    return searchError(400, 'BadRequest', 'This bot searches only the dataset "uploads".');
  }
  const queryText = value.queryText ?? '';
  if (typeof queryText !== 'string' || queryText.length > SEARCH_QUERY_MAX || !/^[\p{L}\p{N}\s{}_-]*$/u.test(queryText)) {
    setOutcome(context, 'search-invalid:query');
    return searchError(400, 'BadRequest', 'Type part of an upload id (hexadecimal digits and dashes) or a status.');
  }
  const actor = actorOf(context.activity);
  const credential = actor && services.sso.credentialFor(actor);
  if (!actor || !credential) {
    // Teams has no sign-in step for a search; the static choices on the card still work.
    setOutcome(context, 'search-no-credential');
    return searchResults([]);
  }
  const requested = typeof value.queryOptions?.top === 'number' && value.queryOptions.top > 0 ? Math.min(value.queryOptions.top, SEARCH_MAX) : SEARCH_MAX;
  try {
    const uploads = await client(services, credential).list({ top: GRAPH_PAGE });
    const matches = matchUploads(uploads.items, queryText).slice(0, requested);
    setOutcome(context, `search:${matches.length}`);
    return searchResults(matches.map((u) => ({ title: uploadChoiceTitle({ uploadId: u.id, status: u.status, createdDateTimeUtc: u.createdDateTimeUtc }), value: u.id })));
  } catch (err) {
    setOutcome(context, `search-graph-error:${isBotError(err) ? err.code : 'unknown'}`);
    return searchError(502, isBotError(err) ? err.code : 'unavailable', 'Microsoft Graph could not list the uploads right now.');
  }
}

/** Uploads matching a typed query: by id prefix (braces and case ignored) or by a status word. Pure. */
export function matchUploads<T extends Pick<Upload, 'id' | 'status'>>(uploads: readonly T[], queryText: string): T[] {
  const q = queryText.trim().replace(/^\{/, '').replace(/\}$/, '').toLowerCase();
  if (q === '') return [...uploads];
  const byStatus = parseStatus(q) ?? (q.length >= 3 && !isGuidFragment(q) ? suggestStatus(q) : undefined) ?? statusByPrefix(q);
  return uploads.filter((u) => u.id.toLowerCase().startsWith(q) || (byStatus !== undefined && u.status === byStatus));
}

/** `comp` → complete, `no` → noUpload: a status whose name starts with what was typed (two letters at least). */
function statusByPrefix(q: string): Upload['status'] | undefined {
  if (q.length < 2) return undefined;
  const compact = q.replace(/[\s_-]+/g, '');
  const found = (['noUpload', 'pending', 'complete', 'error'] as const).filter((s) => s.toLowerCase().startsWith(compact));
  return found.length === 1 ? found[0] : undefined;
}
