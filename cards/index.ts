/**
 * Adaptive Cards of the bot: one JSON template per card in ./templates, expanded with adaptivecards-templating, and
 * one typed builder per card returning an attachment (`{ contentType, content }`); an `adaptiveCard/action` invoke
 * response uses `.content` as its `value`. Pure: no I/O, no botbuilder.
 *
 * Safety rules every builder follows:
 * - Text from people or services (ids echoed back, display names, Graph messages, parser messages) only ever enters
 *   as template DATA. The templating engine evaluates `${…}` in the template source, never in data values, so
 *   `${$root.secret}` in a display name comes out literally.
 * - Such text is rendered in `RichTextBlock`/`TextRun`, which Adaptive Cards never treat as markdown, so a value like
 *   `[sign in](https://evil.example)` cannot become a link on a bot-authored card. A message that names a word in
 *   bold is `RichText` (./text.ts), one TextRun per part: never Markdown, whose code spans Teams shows literally. `TextBlock` (markdown) is used only
 *   for fixed strings and for `{{DATE()}}`/`{{TIME()}}` lines built here from validated timestamps: Teams does not
 *   evaluate those functions inside a TextRun (MicrosoftDocs/msteams-docs#4489).
 * - Builders give every field a value, because the engine leaves an unbound `${name}` in the output verbatim.
 *
 * Universal Actions (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards):
 * cards are version 1.5; every `Action.Execute` sits in an `ActionSet` (older Teams clients ignore `fallback`
 * outside one) and has an `Action.Submit` fallback carrying the same data plus `verb`, so the bot sees the same
 * request either as an `adaptiveCard/action` invoke or as a message whose `value` holds `{ ...data, verb }`.
 *
 * The cards (`xxxCard(data: XxxCardData)`):
 * | card               | actions: verb or submit data                          | shown                                          |
 * |--------------------|-------------------------------------------------------|------------------------------------------------|
 * | help               | Submit `{ action: 'openForm' }`                       | help, or the answer to text that did not parse |
 * | setUploadForm      | Submit `{ action: 'submitForm', uploadId, status }`   | `set upload` with parts missing                |
 * | confirmChange      | Execute confirmChange / cancelChange `{ key }`        | the requester's view of a pending change       |
 * | pendingChannel     | refresh + Execute refreshChange `{ key }` ("Review")  | everyone's view of a pending change, channels  |
 * | result             | —                                                     | the updated upload                             |
 * | uploadDetails      | —                                                     | `show upload`                                  |
 * | notice             | —                                                     | cancelled, expired, not yours, refused, …      |
 * | graphError         | —                                                     | a Graph failure, with code and request-id      |
 * | updating           | —                                                     | while Graph is slow (replaced by an update)    |
 * | uploadLookup       | Execute showUpload `{ uploadId }`                     | `show upload` in a channel (card-level SSO)    |
 * | changeNotification | Execute showUpload `{ uploadId }`                     | change notices in team channels                |
 * | diag               | refresh runDiag `{ askedAt }` (channels only)         | `diag`: one line per check, ✓/✗                |
 * | diagRequest        | refresh + Execute runDiag `{ askedAt }` ("Run my check") | `diag` in a channel (results for the clicker)  |
 * | uploadList         | Execute showUpload / changeStatus `{ uploadId }`, browse `{ command, pageToken }` | `list uploads`     |
 * | deviceReport       | Execute browse `{ command, pageToken }`, changeStatus `{ uploadId }` | `show upload`, `show import`    |
 * | importList         | Execute browse `{ command, pageToken? }`              | `show imports`                                 |
 * | browseLookup       | Execute browse `{ command }`                          | a read command in a channel (card-level SSO)   |
 * | notOffered         | Execute browse `{ command: 'show imports' }`          | this Graph does not offer the uploads API      |
 * | changeStatusForm   | Submit `{ action: 'submitForm', uploadPick, uploadId, status }` | Change status (typeahead picker)     |
 * Fallback `Action.Submit`s carry the same data plus `verb`.
 */
import { Template } from 'adaptivecards-templating';
import { COMMANDS } from '../bot/commands/grammar';
import { GUID_INPUT_REGEX } from '../bot/guid';
import { ADAPTIVE_CARD_CONTENT_TYPE, EXAMPLE_UPLOAD_ID } from './ids';
import { CARD_UPLOAD_STATUSES, STATUS_INFO, isCardUploadStatus, statusTitle, type CardUploadStatus } from './status';
import { type RichText } from './text';
import changeNotificationTemplate from './templates/changeNotification.json';
import diagTemplate from './templates/diag.json';
import diagRequestTemplate from './templates/diagRequest.json';
import notOfferedTemplate from './templates/notOffered.json';
import confirmChangeTemplate from './templates/confirmChange.json';
import graphErrorTemplate from './templates/graphError.json';
import helpTemplate from './templates/help.json';
import noticeTemplate from './templates/notice.json';
import pendingChannelTemplate from './templates/pendingChannel.json';
import resultTemplate from './templates/result.json';
import setUploadFormTemplate from './templates/setUploadForm.json';
import updatingTemplate from './templates/updating.json';
import uploadDetailsTemplate from './templates/uploadDetails.json';
import uploadLookupTemplate from './templates/uploadLookup.json';
import browseLookupTemplate from './templates/browseLookup.json';
import changeStatusFormTemplate from './templates/changeStatusForm.json';
import deviceReportTemplate from './templates/deviceReport.json';
import importListTemplate from './templates/importList.json';
import uploadListTemplate from './templates/uploadList.json';

export * from './ids';
export * from './text';
export { CARD_UPLOAD_STATUSES, STATUS_INFO, isCardUploadStatus, statusTitle, type CardUploadStatus } from './status';

// --- shapes ------------------------------------------------------------------------------------------------------

/** An expanded Adaptive Card (the JSON Teams renders). */
export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: string;
  body: unknown[];
  actions?: unknown[];
  refresh?: { action: { type: 'Action.Execute'; verb: string; data: Record<string, unknown> }; userIds: string[] };
  [property: string]: unknown;
}

/** Structurally a botbuilder `Attachment`. */
export interface CardAttachment {
  contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
  content: AdaptiveCard;
}

/** A timestamp: a Date, epoch milliseconds, or an ISO 8601 / RFC 3339 string as Graph returns it (`2016-12-31T23:59:45.8788427-08:00`). */
export type CardTime = string | Date | number;

/** A status as Graph reports it: one of the four known values, or a value Graph may add later (shown as is). */
export type ReportedStatus = CardUploadStatus | (string & {});

export interface HelpCardData {
  /** What was wrong with the message, e.g. a parser failure message (its bold parts become bold TextRuns). */
  problem?: string | RichText;
  /** What to type instead (shown as "Try: …"; `help` itself is not repeated on the help card). */
  suggestion?: string;
}

export interface SetUploadFormCardData {
  /** Prefill; should be a valid id (the parser only passes valid ones). */
  uploadId?: string;
  status?: CardUploadStatus;
  /** What was wrong with what was given. */
  problem?: string | RichText;
}

export interface ConfirmChangeCardData {
  /** Opaque key of the pending change stored server-side: the only state the card carries. */
  key: string;
  uploadId: string;
  createdDateTimeUtc?: CardTime;
  /** The status Graph reported just now. Equal to `requestedStatus` → the card says so and offers only Dismiss. */
  currentStatus: ReportedStatus;
  requestedStatus: CardUploadStatus;
  requesterName: string;
  expiresAt: CardTime;
  /**
   * The requester's MRI (`29:…`). When given, the card carries `refresh` (verb refreshChange, data `{ key }`,
   * `userIds` = [this]), as Teams' user-specific views do for the card returned from a refresh; the card then also
   * refreshes itself whenever the requester views it (expired, done…). Omit it for a card that must not refresh.
   */
  requesterMri?: string;
}

export interface PendingChannelCardData {
  key: string;
  uploadId: string;
  requestedStatus: CardUploadStatus;
  requesterName: string;
  /** The requester's MRI: the only user whose Teams client refreshes this card into the confirm view. */
  requesterMri: string;
  expiresAt?: CardTime;
}

export interface ResultCardData {
  uploadId: string;
  createdDateTimeUtc?: CardTime;
  previousStatus: ReportedStatus;
  newStatus: ReportedStatus;
  changedBy: string;
  changedAt: CardTime;
  note?: string;
}

export interface UploadDetailsCardData {
  uploadId: string;
  createdDateTimeUtc?: CardTime;
  status: ReportedStatus;
  /** Number of device identities in the upload, when they were fetched. */
  deviceIdentityCount?: number;
}

export type NoticeTone = 'good' | 'warning' | 'attention' | 'default';

export interface NoticeFact {
  title: string;
  value: string;
}

/**
 * Outcomes that are not a result: cancelled, expired, already used, not yours, unknown key, personal account
 * refused, tenant not allowed, signed out…
 */
export interface NoticeCardData {
  title: string;
  message: string;
  tone?: NoticeTone;
  facts?: readonly NoticeFact[];
}

export interface GraphErrorCardData {
  /** Short headline, e.g. "Upload not found"; default "Microsoft Graph did not make the change". */
  title?: string;
  /** Plain-language explanation of what went wrong and what it means for the admin. */
  explanation: string;
  /** Graph `error.code`, e.g. `Forbidden`, `ResourceNotFound`, `TooManyRequests`. */
  code?: string;
  /** Graph `innerError["request-id"]`, for Microsoft support. */
  requestId?: string;
  /** HTTP status of the Graph response. */
  statusCode?: number;
  /** What to do next, e.g. a retry hint: "Wait a minute and try again." */
  hint?: string;
  uploadId?: string;
  /** Graph `innerError.date`. */
  date?: CardTime;
}

export interface UpdatingCardData {
  uploadId: string;
  status: CardUploadStatus;
  /** The pending change, for a "Check again" button (Confirm's verb: it shows the outcome, or finishes a claim a dead instance left). */
  key?: string;
}

export interface UploadLookupCardData {
  uploadId: string;
}

export interface ChangeNotificationCardData {
  uploadId: string;
  previousStatus: ReportedStatus;
  newStatus: ReportedStatus;
  changedBy: string;
  changedAt: CardTime;
  /** Where the change was made: "personal chat", a channel's name, "outside Teams"… */
  where: string;
}

export interface NotOfferedCardData {
  /** The API version asked, e.g. `v1.0`. */
  apiVersion: string;
  /** The Graph host asked, e.g. `graph.microsoft.com`. */
  graphHost: string;
  /** The segment Graph said it does not have. */
  segment?: string;
  requestId?: string;
  /**
   * What the bot knows of the other API version at this host: `offered` only on evidence (a call
   * that succeeded, or `diag`'s probe); `unknown` when it has never been tried.
   */
  other: { apiVersion: string; known: 'offered' | 'notOffered' | 'unknown' };
  /** Bot commands that do not need the missing collection (they work here). */
  workingCommands: readonly string[];
}

export type DiagOutcome = 'ok' | 'failed' | 'skipped' | 'notChecked';

export interface DiagLine {
  /** What was checked, e.g. "Teams SSO token". */
  check: string;
  outcome: DiagOutcome;
  /** The reason, in one sentence: what was found or what failed. Never a token. */
  detail: string;
  requestId?: string;
}

export interface DiagCardData {
  userName: string;
  lines: readonly DiagLine[];
  /** In a channel: keep the view the requester's own (refresh.userIds), so others never see it. */
  requesterMri?: string;
  /** When `diag` was asked (epoch ms): automatic refreshes stop re-running the check after a while. */
  askedAt?: number;
}

export interface DiagRequestCardData {
  requesterName: string;
  /** The only user whose client refreshes the card into their results. */
  requesterMri: string;
  /** When `diag` was asked (epoch ms). */
  askedAt: number;
}

// --- builders ----------------------------------------------------------------------------------------------------

/** The help card's command list: the grammar's table (bot/commands/grammar.ts), in its order. */
export const HELP_COMMANDS: ReadonlyArray<{ usage: string; explanation: string }> = COMMANDS.map(({ syntax, summary }) => ({
  usage: syntax,
  explanation: summary,
}));

/** The form's client-side id check: the bot's own GUID shape (bot/guid.ts). */
export const UPLOAD_ID_INPUT_REGEX = GUID_INPUT_REGEX;

const templates = {
  help: new Template(helpTemplate),
  setUploadForm: new Template(setUploadFormTemplate),
  confirmChange: new Template(confirmChangeTemplate),
  pendingChannel: new Template(pendingChannelTemplate),
  result: new Template(resultTemplate),
  uploadDetails: new Template(uploadDetailsTemplate),
  notice: new Template(noticeTemplate),
  graphError: new Template(graphErrorTemplate),
  updating: new Template(updatingTemplate),
  uploadLookup: new Template(uploadLookupTemplate),
  changeNotification: new Template(changeNotificationTemplate),
  notOffered: new Template(notOfferedTemplate),
  diag: new Template(diagTemplate),
  diagRequest: new Template(diagRequestTemplate),
  uploadList: new Template(uploadListTemplate),
  deviceReport: new Template(deviceReportTemplate),
  importList: new Template(importListTemplate),
  browseLookup: new Template(browseLookupTemplate),
  changeStatusForm: new Template(changeStatusFormTemplate),
};

/** The plain help card never changes: templated once, not on every `help` (the bot's most frequent answer). */
let plainHelp: CardAttachment | undefined;

export function helpCard(data: HelpCardData = {}): CardAttachment {
  if (!data.problem && !data.suggestion) return (plainHelp ??= renderHelp(data));
  return renderHelp(data);
}

function renderHelp(data: HelpCardData): CardAttachment {
  const problem = runs(data.problem, 600);
  const suggestion = text(data.suggestion, 300);
  return render(templates.help, {
    hasProblem: problem.length > 0,
    problem,
    hasSuggestion: suggestion !== '' && suggestion !== 'help',
    suggestion: suggestion || ' ',
    commands: HELP_COMMANDS,
    statusList: CARD_UPLOAD_STATUSES.join(', '),
  });
}

export function setUploadFormCard(data: SetUploadFormCardData = {}): CardAttachment {
  const problem = runs(data.problem, 600);
  return render(templates.setUploadForm, {
    hasProblem: problem.length > 0,
    problem,
    uploadId: text(data.uploadId, 40),
    status: data.status && isCardUploadStatus(data.status) ? data.status : '',
    exampleId: EXAMPLE_UPLOAD_ID,
    idRegex: UPLOAD_ID_INPUT_REGEX,
    idErrorMessage: `Enter the upload id, a GUID like ${EXAMPLE_UPLOAD_ID}.`,
    statusChoices: CARD_UPLOAD_STATUSES.map((value) => ({ title: STATUS_INFO[value].title, value })),
  });
}

/**
 * The requester's view of a pending change. When the upload already has the requested status the card says so and
 * offers only Dismiss (verb cancelChange): a PATCH would change nothing, so there is nothing to confirm.
 */
export function confirmChangeCard(data: ConfirmChangeCardData): CardAttachment {
  const key = required(data.key, 'key');
  const requesterMri = data.requesterMri === undefined ? '' : required(data.requesterMri, 'requesterMri');
  const requesterName = name(data.requesterName);
  return render(templates.confirmChange, {
    key,
    hasRefresh: requesterMri !== '',
    requesterMri: requesterMri || ' ',
    uploadId: id(data.uploadId),
    currentTitle: statusText(data.currentStatus),
    requestedTitle: statusText(data.requestedStatus),
    alreadyInState: data.currentStatus === data.requestedStatus,
    requesterName,
    facts: [
      textFact('Upload', id(data.uploadId), 'Monospace'),
      dateFact('Created', data.createdDateTimeUtc),
      textFact('Current status', statusText(data.currentStatus)),
      textFact('Requested status', statusText(data.requestedStatus)),
      textFact('Requested by', requesterName),
      dateFact('Expires', data.expiresAt),
    ],
  });
}

/** What everyone in a channel sees; only the requester's client refreshes it into `confirmChange`. */
export function pendingChannelCard(data: PendingChannelCardData): CardAttachment {
  const requesterName = name(data.requesterName);
  return render(templates.pendingChannel, {
    key: required(data.key, 'key'),
    requesterMri: required(data.requesterMri, 'requesterMri'),
    requesterName,
    uploadId: id(data.uploadId),
    requestedTitle: statusText(data.requestedStatus),
    facts: [
      textFact('Upload', id(data.uploadId), 'Monospace'),
      textFact('Requested status', statusText(data.requestedStatus)),
      textFact('Requested by', requesterName),
      ...(data.expiresAt === undefined ? [] : [dateFact('Expires', data.expiresAt)]),
    ],
  });
}

export function resultCard(data: ResultCardData): CardAttachment {
  const note = text(data.note, 600);
  return render(templates.result, {
    uploadId: id(data.uploadId),
    newTitle: statusText(data.newStatus),
    hasNote: note !== '',
    note: note || ' ',
    facts: [
      textFact('Upload', id(data.uploadId), 'Monospace'),
      dateFact('Created', data.createdDateTimeUtc),
      textFact('Previous status', statusText(data.previousStatus)),
      textFact('New status', statusText(data.newStatus)),
      textFact('Changed by', name(data.changedBy)),
      dateFact('Changed', data.changedAt),
    ],
  });
}

export function uploadDetailsCard(data: UploadDetailsCardData): CardAttachment {
  const count = data.deviceIdentityCount;
  return render(templates.uploadDetails, {
    statusTitle: statusText(data.status),
    statusDescription: isCardUploadStatus(data.status)
      ? STATUS_INFO[data.status].description
      : 'Microsoft Graph reported a status this bot does not know yet.',
    facts: [
      textFact('Upload', id(data.uploadId), 'Monospace'),
      dateFact('Created', data.createdDateTimeUtc),
      textFact('Status', statusText(data.status)),
      ...(typeof count === 'number' && Number.isFinite(count) ? [textFact('Device identities', String(count))] : []),
    ],
  });
}

const TONES: Readonly<Record<NoticeTone, { containerStyle: string; color: string }>> = {
  good: { containerStyle: 'good', color: 'Good' },
  warning: { containerStyle: 'warning', color: 'Warning' },
  attention: { containerStyle: 'attention', color: 'Attention' },
  default: { containerStyle: 'default', color: 'Default' },
};

export function noticeCard(data: NoticeCardData): CardAttachment {
  const tone = TONES[data.tone ?? 'default'] ?? TONES.default;
  const facts = (data.facts ?? []).map((fact) => textFact(text(fact.title, 80) || '—', text(fact.value, 300)));
  return render(templates.notice, {
    title: text(data.title, 200) || 'Notice',
    message: text(data.message, 2000) || ' ',
    containerStyle: tone.containerStyle,
    color: tone.color,
    hasFacts: facts.length > 0,
    facts,
  });
}

export function graphErrorCard(data: GraphErrorCardData): CardAttachment {
  const requestId = text(data.requestId, 100);
  const hint = text(data.hint, 300);
  return render(templates.graphError, {
    title: text(data.title, 200) || 'Microsoft Graph did not make the change',
    explanation: text(data.explanation, 2000) || 'Microsoft Graph returned an error.',
    hasHint: hint !== '',
    hint: hint || ' ',
    hasRequestId: requestId !== '',
    requestId: requestId || ' ',
    facts: [
      textFact('Error code', text(data.code, 100) || 'unknown', 'Monospace'),
      ...(typeof data.statusCode === 'number' ? [textFact('HTTP status', String(data.statusCode))] : []),
      ...(data.uploadId === undefined ? [] : [textFact('Upload', id(data.uploadId), 'Monospace')]),
      ...(data.date === undefined ? [] : [dateFact('When', graphUtc(data.date))]),
    ],
  });
}

/** Graph writes `innerError.date` in UTC without an offset (`2025-06-01T10:42:07`). */
function graphUtc(date: CardTime): CardTime {
  return typeof date === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(date.trim()) ? `${date.trim()}Z` : date;
}

export function updatingCard(data: UpdatingCardData): CardAttachment {
  return render(templates.updating, {
    uploadId: id(data.uploadId),
    statusTitle: statusText(data.status),
    hasKey: data.key !== undefined,
    key: data.key === undefined ? ' ' : required(data.key, 'key'),
  });
}

/**
 * `show upload` in a channel, where Teams does no message-level SSO: a Show button (Action.Execute showUpload)
 * whose invoke is where card-level SSO happens.
 */
export function uploadLookupCard(data: UploadLookupCardData): CardAttachment {
  return render(templates.uploadLookup, { uploadId: id(data.uploadId) });
}

export function changeNotificationCard(data: ChangeNotificationCardData): CardAttachment {
  return render(templates.changeNotification, {
    uploadId: id(data.uploadId),
    previousTitle: statusText(data.previousStatus),
    newTitle: statusText(data.newStatus),
    changedBy: name(data.changedBy),
    facts: [
      textFact('Upload', id(data.uploadId), 'Monospace'),
      textFact('Previous status', statusText(data.previousStatus)),
      textFact('New status', statusText(data.newStatus)),
      textFact('Changed by', name(data.changedBy)),
      dateFact('When', data.changedAt),
      textFact('Where', text(data.where, 800) || 'Unknown'),
    ],
  });
}

/**
 * "This Graph does not offer this API": says which version at which host, what the admin can do
 * (the other version — named as working only when the bot has seen it work), and the commands that
 * still work there.
 */
export function notOfferedCard(data: NotOfferedCardData): CardAttachment {
  const version = text(data.apiVersion, 20) || 'unknown';
  const host = text(data.graphHost, 200) || 'unknown';
  const other = text(data.other.apiVersion, 20) || 'the other version';
  const requestId = text(data.requestId, 100);
  type Run = { text: string; weight: 'Bolder' | 'Default' };
  const b = (t: string): Run => ({ text: t, weight: 'Bolder' });
  const p = (t: string): Run => ({ text: t, weight: 'Default' });
  const steps: Array<{ parts: Run[] }> = [];
  switch (data.other.known) {
    case 'offered':
      steps.push({ parts: [p(`Microsoft Graph ${other} at ${host} does offer them (the bot has read them there): set `), b(`GRAPH_API_VERSION=${other}`), p(' in the bot\'s configuration and restart it.')] });
      break;
    case 'notOffered':
      steps.push({ parts: [p(`Microsoft Graph ${other} at ${host} does not offer them either, so changing `), b('GRAPH_API_VERSION'), p(' will not help. The upload records cannot be read or changed through this Graph.')] });
      break;
    default:
      steps.push({ parts: [p('The other API version, '), b(other), p(`, has not been tried here. Type `), b('diag'), p(' to check both versions; if it offers them, set '), b(`GRAPH_API_VERSION=${other}`), p(' and restart the bot.')] });
  }
  const commands = data.workingCommands.map((c) => text(c, 40)).filter((c) => c !== '');
  if (commands.length > 0) {
    const parts: Run[] = [p('Commands that do not need upload records still work here: ')];
    commands.forEach((c, i) => parts.push(...(i === 0 ? [] : [p(i === commands.length - 1 ? ' and ' : ', ')]), b(c)));
    parts.push(p('.'));
    steps.push({ parts });
  }
  return render(templates.notOffered, {
    title: 'Autopilot upload records are not offered here',
    explanation: `Microsoft Graph ${version} at ${host} does not offer Autopilot upload records: it answered that the path segment does not exist. This is not a typo in your command, and nothing was changed.`,
    steps,
    facts: [
      textFact('API version', version, 'Monospace'),
      textFact('Graph host', host, 'Monospace'),
      ...(data.segment ? [textFact('Missing segment', text(data.segment, 120), 'Monospace')] : []),
      textFact('Error code', 'BadRequest', 'Monospace'),
    ],
    hasRequestId: requestId !== '',
    requestId: requestId || ' ',
  });
}

// --- browsing: lists, device reports, imports ---------------------------------------------------------------------

export interface UploadListRow {
  uploadId: string;
  createdDateTimeUtc?: CardTime;
  status: ReportedStatus;
  /** Device identities in the upload, when Graph returned them. */
  deviceCount?: number;
}

export interface UploadListCardData {
  /** The status the list is filtered on, if any. */
  status?: CardUploadStatus;
  rows: readonly UploadListRow[];
  /** The page shown, from 1. */
  page: number;
  /** The command that produced the list (`list uploads error`), carried back with the page token. */
  command: string;
  /** Sealed page token for Show more; absent on the last page. */
  pageToken?: string;
}

const STATUS_COLORS: Readonly<Record<string, string>> = { complete: 'Good', error: 'Attention', pending: 'Warning', partial: 'Warning' };

export function uploadListCard(data: UploadListCardData): CardAttachment {
  const filtered = data.status && isCardUploadStatus(data.status) ? data.status : undefined;
  const rows = data.rows.map((row) => {
    const time = row.createdDateTimeUtc === undefined ? undefined : cardTime(row.createdDateTimeUtc);
    return {
      uploadId: id(row.uploadId),
      created: time ? `Created {{DATE(${time.utc}, SHORT)}} {{TIME(${time.utc})}}` : 'Created: unknown',
      statusTitle: statusText(row.status),
      statusColor: STATUS_COLORS[row.status] ?? 'Default',
      devices: typeof row.deviceCount === 'number' ? plural(row.deviceCount, 'device') : 'devices not listed',
    };
  });
  const token = text(data.pageToken, 4096);
  const page = Number.isInteger(data.page) && data.page > 0 ? data.page : 1;
  return render(templates.uploadList, {
    title: filtered ? `Autopilot uploads: ${STATUS_INFO[filtered].title}` : 'Autopilot uploads',
    subtitle: `Newest first, page ${page}. Times are in your time zone.`,
    isEmpty: rows.length === 0,
    emptyMessage: runs(
      filtered
        ? [{ text: 'There are no uploads with the status ' }, { text: filtered, bold: true }, { text: page > 1 ? ' beyond the ones shown.' : '.' }]
        : [{ text: page > 1 ? 'There are no more uploads.' : 'There are no Autopilot uploads in this tenant.' }],
      300,
    ),
    rows,
    hasMore: token !== '',
    command: text(data.command, 100) || 'list uploads',
    pageToken: token || ' ',
  });
}

export interface DeviceRow {
  serialNumber?: string | null;
  groupTag?: string | null;
  importStatus?: string | null;
  errorCode?: number | null;
  errorName?: string | null;
}

export interface DeviceErrorGroup {
  /** deviceErrorName, or "Unnamed error" when Graph gave only a code. */
  name: string;
  codes: readonly number[];
  count: number;
}

export interface DeviceReportCardData {
  kind: 'upload' | 'import';
  /** The upload id or the import id. */
  subjectId: string;
  createdDateTimeUtc?: CardTime;
  status?: ReportedStatus;
  total: number;
  /** Device import statuses and how many devices have each. */
  statusCounts: Readonly<Record<string, number>>;
  /** Errors grouped by name, most frequent first. */
  errorGroups: readonly DeviceErrorGroup[];
  /** This page's rows, errors first. */
  rows: readonly DeviceRow[];
  /** Index of the first row shown (0-based). */
  firstRow: number;
  command: string;
  pageToken?: string;
  /** The bot read only the first devices of a larger import. */
  truncatedAt?: number;
}

const DEVICE_STATUS_TITLES: Readonly<Record<string, string>> = {
  unknown: 'Unknown', pending: 'Pending', partial: 'Partial', complete: 'Imported', error: 'Error',
};

export function deviceReportCard(data: DeviceReportCardData): CardAttachment {
  const isUpload = data.kind === 'upload';
  const statusSummary = Object.entries(data.statusCounts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${DEVICE_STATUS_TITLES[s] ?? text(s, 30)} ${n}`)
    .join(' · ');
  const facts = [
    ...(isUpload && data.createdDateTimeUtc !== undefined ? [dateFact('Created', data.createdDateTimeUtc)] : []),
    ...(isUpload && data.status !== undefined ? [textFact('Upload status', statusText(data.status))] : []),
    textFact('Devices', data.truncatedAt ? `${data.total}+ (the first ${data.truncatedAt} are counted)` : String(data.total)),
    ...(statusSummary ? [textFact('Import status', statusSummary)] : []),
  ];
  const errorGroups = data.errorGroups.map((g) => ({
    name: text(g.name, 80) || 'Unnamed error',
    detail: ` (${g.codes.length ? g.codes.join(', ') : 'no code'}): ${plural(g.count, 'device')}`,
  }));
  const rows = data.rows.map((r) => {
    const isError = r.importStatus === 'error' || (typeof r.errorCode === 'number' && r.errorCode !== 0);
    const errorText = isError ? ` — ${typeof r.errorCode === 'number' ? `${r.errorCode} ` : ''}${text(r.errorName ?? undefined, 80) || 'unnamed error'}` : '';
    return {
      serial: text(r.serialNumber ?? undefined, 60) || 'no serial number',
      groupTag: r.groupTag ? `  ${text(r.groupTag, 80)}` : '  no group tag',
      importStatus: DEVICE_STATUS_TITLES[r.importStatus ?? 'unknown'] ?? (text(r.importStatus ?? undefined, 30) || 'Unknown'),
      statusColor: STATUS_COLORS[r.importStatus ?? ''] ?? 'Default',
      error: errorText || ' ',
    };
  });
  const token = text(data.pageToken, 4096);
  const first = Math.max(0, Math.floor(data.firstRow));
  return render(templates.deviceReport, {
    heading: isUpload ? 'Autopilot device identity upload' : 'Autopilot import',
    subjectId: id(data.subjectId),
    facts,
    hasErrors: errorGroups.length > 0,
    errorGroups,
    isEmpty: rows.length === 0,
    emptyMessage: first > 0 ? 'There are no more devices.' : isUpload ? 'This upload has no device identities.' : 'No imported devices carry this import id.',
    rowsHeading: `Devices ${first + 1}–${first + rows.length} of ${data.total}${data.truncatedAt ? '+' : ''}, errors first`,
    rows,
    hasNote: !isUpload,
    note: isUpload ? ' ' : 'Device identities carry no import date, so they are in the order Graph lists them, errors first.',
    hasMore: token !== '',
    command: text(data.command, 100) || 'help',
    pageToken: token || ' ',
    canChangeStatus: isUpload,
  });
}

export interface ImportGroupView {
  importId: string;
  total: number;
  statusCounts: Readonly<Record<string, number>>;
  errorGroups: readonly DeviceErrorGroup[];
}

export interface ImportListCardData {
  /** Imports with errors first, otherwise in the order Graph listed their devices. */
  groups: readonly ImportGroupView[];
  pageToken?: string;
  page: number;
}

export function importListCard(data: ImportListCardData): CardAttachment {
  const groups = data.groups.map((g) => {
    const errors = g.statusCounts.error ?? 0;
    const others = Object.entries(g.statusCounts)
      .filter(([s, n]) => s !== 'error' && n > 0)
      .map(([s, n]) => `${DEVICE_STATUS_TITLES[s] ?? text(s, 30)} ${n}`);
    const importId = text(g.importId, 60) || 'no import id';
    return {
      importId,
      style: errors > 0 ? 'attention' : 'default',
      summary: [plural(g.total, 'device'), ...(errors > 0 ? [plural(errors, 'error')] : []), ...others].join(' · '),
      errors: g.errorGroups.map((e) => ({ name: text(e.name, 80) || 'Unnamed error', detail: ` (${e.codes.join(', ') || 'no code'}): ${e.count}` })),
      command: `show import ${importId}`,
    };
  });
  const token = text(data.pageToken, 4096);
  const page = Number.isInteger(data.page) && data.page > 0 ? data.page : 1;
  return render(templates.importList, {
    subtitle: `Grouped by import, page ${page}. Imports with errors come first; device identities carry no date, so otherwise they keep the order Graph lists them in.`,
    isEmpty: groups.length === 0,
    emptyMessage: page > 1 ? 'There are no more imported devices.' : 'There are no imported Autopilot devices in this tenant.',
    groups,
    hasMore: token !== '',
    pageToken: token || ' ',
  });
}

/** A read command in a channel: a Show button whose invoke is where card-level SSO happens. */
export function browseLookupCard(data: { command: string }): CardAttachment {
  return render(templates.browseLookup, { command: required(text(data.command, 100), 'command') });
}

const DIAG_MARKS: Readonly<Record<DiagOutcome, { mark: string; color: string }>> = {
  ok: { mark: '✓', color: 'Good' },
  failed: { mark: '✗', color: 'Attention' },
  skipped: { mark: '–', color: 'Default' },
  notChecked: { mark: '?', color: 'Warning' },
};

/** `diag`: one line per check, ✓ / ✗ with the reason and Graph's request-id. */
export function diagCard(data: DiagCardData): CardAttachment {
  const lines = data.lines.map((line) => {
    const requestId = text(line.requestId, 100);
    const mark = DIAG_MARKS[line.outcome] ?? DIAG_MARKS.notChecked;
    return {
      mark: mark.mark,
      color: mark.color,
      check: text(line.check, 80) || 'Check',
      detail: text(line.detail, 600) || '—',
      hasRequestId: requestId !== '',
      requestId: requestId || ' ',
    };
  });
  const failed = data.lines.filter((l) => l.outcome === 'failed').length;
  const requesterMri = data.requesterMri === undefined ? '' : required(data.requesterMri, 'requesterMri');
  return render(templates.diag, {
    userName: name(data.userName),
    summary: failed === 0 ? 'Every check passed.' : `${failed} of ${data.lines.length} checks failed.`,
    summaryColor: failed === 0 ? 'Good' : 'Attention',
    lines,
    hasRefresh: requesterMri !== '',
    requesterMri: requesterMri || ' ',
    askedAt: String(Number.isFinite(data.askedAt) ? data.askedAt : 0),
  });
}

/** `diag` in a channel: everyone sees who asked; the results exist only in the clicker's own view. */
export function diagRequestCard(data: DiagRequestCardData): CardAttachment {
  return render(templates.diagRequest, {
    requesterName: name(data.requesterName),
    requesterMri: required(data.requesterMri, 'requesterMri'),
    askedAt: String(Number.isFinite(data.askedAt) ? data.askedAt : 0),
  });
}

export interface ChangeStatusFormCardData {
  /** Prefill of the picker (a valid id). */
  uploadId?: string;
  /** Static choices: the fallback for clients without dynamic typeahead (at most 15 are kept). */
  choices: readonly UploadListRow[];
  status?: CardUploadStatus;
  problem?: string | RichText;
}

/** The status form with an upload picker: typeahead (`Data.Query` dataset `uploads`) plus a plain id input. */
export function changeStatusFormCard(data: ChangeStatusFormCardData): CardAttachment {
  const problem = runs(data.problem, 600);
  const choices = data.choices.slice(0, 15).map((row) => ({ title: uploadChoiceTitle(row), value: id(row.uploadId) }));
  const pick = text(data.uploadId, 40);
  if (pick && !choices.some((c) => c.value === pick)) choices.unshift({ title: pick, value: pick });
  return render(templates.changeStatusForm, {
    hasProblem: problem.length > 0,
    problem,
    pickValue: pick,
    uploadChoices: choices,
    exampleId: EXAMPLE_UPLOAD_ID,
    idRegex: UPLOAD_ID_INPUT_REGEX,
    idErrorMessage: `Paste an upload id, a GUID like ${EXAMPLE_UPLOAD_ID}, or pick one above.`,
    status: data.status && isCardUploadStatus(data.status) ? data.status : '',
    statusChoices: CARD_UPLOAD_STATUSES.map((value) => ({ title: STATUS_INFO[value].title, value })),
  });
}

/** How an upload reads in a picker: id, status and creation date (plain text: choice titles are not Markdown). */
export function uploadChoiceTitle(row: UploadListRow): string {
  const time = row.createdDateTimeUtc === undefined ? undefined : cardTime(row.createdDateTimeUtc);
  return `${id(row.uploadId)} · ${statusText(row.status)}${time ? ` · ${time.utc.slice(0, 10)}` : ''}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

// --- helpers -----------------------------------------------------------------------------------------------------

/** One row of the facts grid every card uses: a TextRun (plain text), or for dates two TextBlocks. */
interface FactView {
  title: string;
  value: string;
  raw: string;
  isDate: boolean;
  font: 'Default' | 'Monospace';
}

function textFact(title: string, value: string, font: FactView['font'] = 'Default'): FactView {
  return { title, value: value || '—', raw: '', isDate: false, font };
}

function dateFact(title: string, when: CardTime | undefined): FactView {
  const time = when === undefined ? undefined : cardTime(when);
  if (!time) return textFact(title, when === undefined ? 'Unknown' : `Unknown (${text(String(when), 60)})`);
  return { title, value: `{{DATE(${time.utc}, SHORT)}} {{TIME(${time.utc})}}`, raw: time.raw, isDate: true, font: 'Default' };
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A timestamp in the strict form Teams' DATE()/TIME() accept (`2017-02-14T06:08:00Z`: no fraction; "if the rules
 * aren't met then the raw string will be displayed"), plus the original for display. Undefined if not a real time.
 */
export function cardTime(when: CardTime): { utc: string; raw: string } | undefined {
  let date: Date;
  let raw: string;
  if (when instanceof Date || typeof when === 'number') {
    date = new Date(when);
    raw = Number.isNaN(date.getTime()) ? '' : date.toISOString();
  } else {
    raw = typeof when === 'string' ? when.trim() : '';
    const match = RFC3339.exec(raw);
    if (!match) return undefined;
    // JavaScript rolls 2017-02-30 over to March 2; a timestamp must round-trip to be real.
    if (new Date(`${match[1]}Z`).toISOString().slice(0, 19) !== match[1]) return undefined;
    date = new Date(`${match[1]}${match[3]!.toUpperCase()}`);
  }
  if (Number.isNaN(date.getTime())) return undefined;
  return { utc: date.toISOString().replace(/\.\d{3}Z$/, 'Z'), raw };
}

/** Bidi overrides/isolates and C0/C1 controls (but newline) can disguise text; drop them and bound the length. */
function text(value: string | undefined, max: number): string {
  if (typeof value !== 'string') return '';
  const chars = Array.from(clean(value.slice(0, max * 2)).trim());
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

function clean(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

/**
 * Rich text (or a plain string) as TextRun data, cleaned like `text()` and bounded to `max` characters in all; the
 * spaces between parts are kept, only the ends are trimmed. Empty runs are dropped (an empty TextRun is invalid).
 */
function runs(value: string | RichText | undefined, max: number): Array<{ text: string; weight: 'Bolder' | 'Default' }> {
  const parts = typeof value === 'string' ? [{ text: value }] : Array.isArray(value) ? value : [];
  const result: Array<{ text: string; weight: 'Bolder' | 'Default' }> = [];
  let left = max;
  for (const part of parts) {
    if (left <= 0) break;
    if (typeof part?.text !== 'string') continue;
    let chars = Array.from(clean(part.text.slice(0, max * 2)));
    if (result.length === 0) chars = Array.from(chars.join('').trimStart());
    if (chars.length > left) chars = [...chars.slice(0, left - 1), '…'];
    left -= chars.length;
    if (chars.length > 0) result.push({ text: chars.join(''), weight: part.bold === true ? 'Bolder' : 'Default' });
  }
  const last = result[result.length - 1];
  if (last) last.text = last.text.trimEnd();
  return result.filter((run) => run.text !== '');
}

function id(value: string | undefined): string {
  return text(value, 60) || 'unknown';
}

function name(value: string | undefined): string {
  return text(value, 256).replace(/\s+/g, ' ') || 'Someone';
}

function statusText(status: string): string {
  return text(statusTitle(status), 60) || 'Unknown';
}

function required(value: string | undefined, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`card data: ${field} is required`);
  return value.trim();
}

function render(template: Template, data: object): CardAttachment {
  const content = breakableRuns(withoutNulls(template.expand({ $root: data }))) as AdaptiveCard;
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content };
}

/** Longest stretch of a TextRun without a place to break the line. */
const UNBROKEN_MAX = 20;

/**
 * Renderers break a wrapping TextBlock inside a long word, but not a RichTextBlock: a URL in a Graph message,
 * `DeviceManagementServiceConfig.ReadWrite.All` or a long typed word would run off a phone-width card. So long
 * words in TextRuns get zero-width spaces — after URL punctuation, else every UNBROKEN_MAX characters — which are
 * invisible and only used where a line must break. Ids keep their hyphens as break points and are left alone;
 * input values, action data and TextBlocks are never touched.
 */
export function breakable(text: string): string {
  return text.replace(/[^\s\u200b]{25,}/gu, (word) =>
    word
      .replace(/([/\\.,;:?&=_)\]}])(?=[^\s\u200b])/g, '$1\u200b')
      .replace(/[^\s\u200b-]{21,}/gu, (stretch) => (stretch.match(new RegExp(`.{1,${UNBROKEN_MAX}}`, 'gu')) ?? [stretch]).join('\u200b')),
  );
}

function breakableRuns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(breakableRuns);
  if (typeof node !== 'object' || node === null) return node;
  const record = node as Record<string, unknown>;
  if (record.type === 'TextRun' && typeof record.text === 'string') return { ...record, text: breakable(record.text) };
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, breakableRuns(v)]));
}

/** A `$when` that drops an object-valued property leaves `null` behind; Adaptive Cards never need a null. */
function withoutNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.filter((item) => item !== null).map(withoutNulls);
  if (typeof node === 'object' && node !== null) {
    const result: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (v !== null) result[k] = withoutNulls(v);
    return result;
  }
  return node;
}
