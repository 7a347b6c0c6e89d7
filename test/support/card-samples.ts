/**
 * Every card template expanded the way the bot expands it, with representative data and with the longest
 * values the bot can produce: a 256-character display name (Entra's and the notify API's limit), the longest
 * parser messages, Graph and Entra error texts of realistic length (from fixtures/real-cloud), a 500-character
 * notify note. Where the bot has a builder of its own (parser, error cards, welcome, subscriptions, change
 * notifications, views), the sample goes through it, so the sheet shows what people get.
 */
import { type ParseFailure, parseCommand, parseFormSubmission } from '../../bot/commands/parse';
import { BotError } from '../../bot/errors';
import { cardForError } from '../../bot/handlers/respond';
import { welcomeCard } from '../../bot/handlers/installation';
import { subscriptionsCard } from '../../bot/handlers/subscriptions';
import { ACTOR_MAX_CHARS, NOTE_MAX_CHARS } from '../../bot/http/notify';
import { notificationCard } from '../../bot/notifications/service';
import type { TeamRecord } from '../../bot/notifications/registry';
import * as cards from '../../cards';
import { summarise, groupByImport } from '../../bot/browse/report';
import * as views from '../../bot/views';
import type { DeviceIdentity } from '../../bot/model';
import { plainText } from '../../cards/text';
import type { CardSample } from './card-renderer';

/** Contoso, the sandbox's allowed tenant (sandbox/directory.ts). */
const TENANT = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';

const ID = '8d639524-9524-8d63-2495-638d2495638d';
const OTHER_ID = '0f0e0d0c-0b0a-0908-0706-050403020100';
const KEY = 'q0Yc3nYq1m8nq0b7o2mQm3cQk9xF0nB1h7bq5d2x0Zs';
const MRI = '29:1uMVvhoAyfTqdMsyvHL0qlJTTfQF9MOUSI8_cQts2kdSWEZVDyJO2jz-7l8Wc4wUuCpGHYdxkQk8xzqkZtlJJrTkQ';
const REQUEST_ID = 'c1f0e8a4-5b7e-4a1d-9b1f-2b0b1c2d3e4f';
/** Graph's own example timestamp: seven fractional digits and an offset. */
const CREATED = '2016-12-31T23:59:45.8788427-08:00';
const AT = Date.UTC(2025, 5, 1, 10, 42, 7);

/** Words until exactly `length` characters: long values as people write them, with spaces. */
function words(length: number, vocabulary: string): string {
  let out = '';
  const list = vocabulary.split(' ');
  for (let i = 0; out.length < length; i++) out += (out ? ' ' : '') + list[i % list.length];
  return out.slice(0, length).trimEnd().padEnd(length, 'x');
}

export const LONGEST_NAME = words(ACTOR_MAX_CHARS, 'Maximiliana-Theodora Wilhelmina von Hohenzollern-Sigmaringen Bartholomew Featherstonehaugh (Intune Operations, EMEA)');
export const LONGEST_NOTE = words(
  NOTE_MAX_CHARS,
  'Nightly import from the procurement pipeline: 1,240 hardware hashes from the March order of Contoso laptops, batch 7 of 9, ticket CHG-0042917;',
);
const CHANNEL = 'Autopilot deployments — EMEA rollout wave 3 (pilot)'; // Teams allows 50

/** Intune puts its own JSON document in Graph's error.message (fixtures/real-cloud/intune-429-no-retry-after.json). */
const INTUNE_MESSAGE =
  '{\r\n  "_version": 3,\r\n  "Message": "An error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: 9c3e581b-8053-479b-93f5-4c6ee6ee023e - Url: https://fef.amsub0302.manage.microsoft.com/StatelessAuditingFEService/98cf933b-ffff-8881-0601-032415301251/deviceManagement/auditEvents?api-version=2022-06-14",\r\n  "CustomApiErrorPhrase": "",\r\n  "RetryAfter": null,\r\n  "ErrorSourceService": "",\r\n  "HttpHeaders": "{}"\r\n}';
/** fixtures/real-cloud/graph-400-segment-not-found.json, with the segment this bot asks for. */
const SEGMENT_MESSAGE = "Resource not found for the segment 'importedWindowsAutopilotDeviceIdentityUploads'.";

/** Inputs whose parser messages are the longest of their kind (typed text is echoed up to 40 characters). */
const HELP_INPUTS = [
  `set upload ${ID} to completed`, // DESIGN.md's example
  `update upload ${ID} to done`,
  `show upload ${ID} ${'and-then-some-more-words '.repeat(3)}`,
  `set upload ${ID.slice(0, -1)}g to complete`,
  `set upload {${ID}0} to complete`,
  `set uplaod ${ID} to error`,
  `set upload ${ID} to ${'x'.repeat(60)}`,
  `${'ü'.repeat(60)} upload`,
  `subscriptions for ${'every channel '.repeat(10)}`,
  `set upload ${ID} to complete ${'x'.repeat(600)}`,
];

function failure(text: string): ParseFailure {
  const parsed = parseCommand(text);
  if (parsed.kind !== 'invalid') throw new Error(`${JSON.stringify(text)} parsed; a sample needs a failure`);
  return parsed;
}

/** The help-card samples: the DESIGN.md example, and the three longest messages of the list. */
function helpSamples(): CardSample[] {
  const failures = HELP_INPUTS.map((text) => ({ text, failure: failure(text) }));
  const longest = [...failures].sort((a, b) => plainText(b.failure.message).length - plainText(a.failure.message).length).slice(0, 3);
  return [failures[0]!, ...longest.filter((f) => f !== failures[0])].map(({ failure: f }, i) => ({
    template: 'help',
    name: i === 0 ? 'help — a status that is not one' : `help — long parser message ${i} (${f.reason})`,
    card: cards.helpCard({ problem: f.message, suggestion: f.suggestion }),
  }));
}

function formSamples(): CardSample[] {
  const both = parseFormSubmission({ uploadId: `${ID.slice(0, -1)}g-and-more-text-after-it`, status: 'completed-yesterday-evening' });
  const partial = parseCommand('set upload to finished');
  return [
    { template: 'setUploadForm', name: 'setUploadForm — empty', card: cards.setUploadFormCard() },
    { template: 'setUploadForm', name: 'setUploadForm — prefilled', card: cards.setUploadFormCard({ uploadId: ID, status: 'complete' }) },
    {
      template: 'setUploadForm',
      name: 'setUploadForm — both inputs wrong (the longest form problem)',
      card: cards.setUploadFormCard(both.kind === 'openForm' ? { uploadId: both.uploadId, status: both.status, problem: both.problem } : {}),
    },
    {
      template: 'setUploadForm',
      name: 'setUploadForm — status not one',
      card: cards.setUploadFormCard(partial.kind === 'openForm' ? { status: partial.status, problem: partial.problem } : {}),
    },
  ];
}

function teamRecord(): TeamRecord {
  const channel = (id: string, name: string, by?: string) => ({ id, name, subscribed: true, by, since: AT });
  return {
    teamId: '19:team',
    tenantId: 't',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    name: 'Intune Operations',
    installed: true,
    deleted: false,
    channels: { a: channel('a', 'General', LONGEST_NAME), b: channel('b', CHANNEL, 'Alex Wilber'), c: channel('c', 'Servicedesk') },
    pruned: [{ channelId: 'd', channelName: 'Old pilot (archived)', reason: 'the bot was removed from the team (403 BotNotInConversationRoster)', at: AT }],
    deadLetters: [
      {
        channelId: 'b',
        channelName: CHANNEL,
        deliveryId: 'x',
        uploadId: ID,
        reason: 'Teams kept answering 429 Too Many Requests after 8 attempts over 10 minutes (the bot has been throttled).',
        at: AT,
      },
    ],
    updatedAt: AT,
  };
}

const err = (code: ConstructorParameters<typeof BotError>[0], message: string, details: ConstructorParameters<typeof BotError>[2] = {}) =>
  new BotError(code, message, details);

export function cardSamples(): CardSample[] {
  const confirm = (requested: cards.CardUploadStatus, current: cards.ReportedStatus, mri?: string) =>
    cards.confirmChangeCard({
      key: KEY,
      uploadId: ID,
      createdDateTimeUtc: CREATED,
      currentStatus: current,
      requestedStatus: requested,
      requesterName: LONGEST_NAME,
      expiresAt: AT + 10 * 60_000,
      requesterMri: mri,
    });
  const graph = (code: ConstructorParameters<typeof BotError>[0], message: string, serviceCode: string) =>
    cardForError(err(code, message, { serviceCode, requestId: REQUEST_ID }));

  return [
    ...browseSamples(),
    ...helpSamples(),
    { template: 'help', name: 'help — the command list', card: cards.helpCard() },
    ...formSamples(),
    { template: 'confirmChange', name: 'confirmChange — longest requester name, channel view (refresh)', card: confirm('complete', 'pending', MRI) },
    { template: 'confirmChange', name: 'confirmChange — already in that status', card: confirm('error', 'error') },
    { template: 'confirmChange', name: 'confirmChange — a status Graph added later', card: confirm('noUpload', 'unknownFutureValue') },
    {
      template: 'pendingChannel',
      name: 'pendingChannel — longest requester name',
      card: cards.pendingChannelCard({ key: KEY, uploadId: ID, requestedStatus: 'noUpload', requesterName: LONGEST_NAME, requesterMri: MRI, expiresAt: AT }),
    },
    {
      template: 'result',
      name: 'result — longest name and a note',
      card: cards.resultCard({
        uploadId: ID,
        createdDateTimeUtc: CREATED,
        previousStatus: 'pending',
        newStatus: 'complete',
        changedBy: LONGEST_NAME,
        changedAt: AT,
        note: LONGEST_NOTE,
      }),
    },
    ...cards.CARD_UPLOAD_STATUSES.map((status) => ({
      template: 'uploadDetails',
      name: `uploadDetails — ${status}`,
      card: cards.uploadDetailsCard({ uploadId: ID, createdDateTimeUtc: CREATED, status, deviceIdentityCount: status === 'error' ? 1240 : undefined }),
    })),
    { template: 'notice', name: 'notice — welcome in a team', card: welcomeCard() },
    { template: 'notice', name: 'notice — subscriptions, with a removed channel and a failed delivery', card: subscriptionsCard(teamRecord()) },
    {
      template: 'notice',
      name: 'notice — personal account refused',
      card: cardForError(err('personal_account', 'Personal Microsoft accounts cannot manage Autopilot uploads: Microsoft Graph supports only work or school accounts for this API.')),
    },
    { template: 'notice', name: 'notice — tenant not allowed', card: cardForError(err('tenant_not_allowed', 'Your organization is not allowed to use this bot.')) },
    {
      template: 'notice',
      name: 'notice — a request that failed earlier (Graph message)',
      card: cards.noticeCard({ title: 'This request failed', message: `Microsoft Graph rejected the request: ${INTUNE_MESSAGE}`, tone: 'attention' }),
    },
    {
      template: 'notice',
      name: 'notice — cancelled by the longest name',
      card: cards.noticeCard({ title: 'Cancelled', message: `${LONGEST_NAME} cancelled this request. Nothing was changed.`, tone: 'default', facts: [{ title: 'Upload', value: ID }] }),
    },
    { template: 'graphError', name: 'graphError — 400 segment not found', card: graph('invalid_request', `Microsoft Graph rejected the request: ${SEGMENT_MESSAGE}`, 'BadRequest') },
    { template: 'graphError', name: "graphError — 400 with Intune's JSON document", card: graph('invalid_request', `Microsoft Graph rejected the request: ${INTUNE_MESSAGE}`, 'BadRequest') },
    { template: 'graphError', name: 'graphError — 403', card: graph('forbidden', 'Microsoft Graph refused.', 'Forbidden') },
    { template: 'graphError', name: 'graphError — 404', card: graph('not_found', 'Microsoft Graph has no Autopilot upload with that id.', 'ResourceNotFound') },
    { template: 'graphError', name: 'graphError — 429', card: graph('throttled', 'Microsoft Graph is throttling requests.', 'TooManyRequests') },
    { template: 'graphError', name: 'graphError — timeout', card: graph('timeout', 'Microsoft Graph did not answer in time.', 'AbortError') },
    { template: 'graphError', name: 'graphError — consent', card: graph('consent_required', 'Consent is needed before the bot can act for you.', 'AADSTS65001') },
    {
      template: 'graphError',
      name: 'graphError — every field',
      card: cards.graphErrorCard({
        title: 'Request rejected',
        explanation: `Microsoft Graph rejected the request: ${SEGMENT_MESSAGE}`,
        code: 'BadRequest',
        requestId: REQUEST_ID,
        statusCode: 400,
        hint: 'This tenant does not offer the upload resource in this API version; ask your administrator which one it offers.',
        uploadId: ID,
        date: '2025-06-01T10:42:07',
      }),
    },
    {
      template: 'notOffered',
      name: 'notOffered — v1.0, beta never tried (through cardForError)',
      card: cardForError(
        err('not_offered', 'Microsoft Graph v1.0 does not offer importedWindowsAutopilotDeviceIdentityUploads.', {
          serviceCode: 'BadRequest',
          requestId: REQUEST_ID,
          httpStatus: 400,
          apiVersion: 'v1.0',
          graphHost: 'graph.microsoft.com',
          segment: 'importedWindowsAutopilotDeviceIdentityUploads',
          other: { apiVersion: 'beta' },
        }),
      ),
    },
    {
      template: 'notOffered',
      name: 'notOffered — beta, v1.0 seen working',
      card: cards.notOfferedCard({
        apiVersion: 'beta',
        graphHost: 'graph.microsoft.us',
        segment: 'importedWindowsAutopilotDeviceIdentityUploads',
        requestId: REQUEST_ID,
        other: { apiVersion: 'v1.0', known: 'offered' },
        workingCommands: ['show imports', 'diag'],
      }),
    },
    {
      template: 'diag',
      name: 'diag — published schema, in a channel (refresh for the requester)',
      card: cards.diagCard({
        userName: LONGEST_NAME,
        requesterMri: '29:1alex',
        askedAt: AT,
        lines: [
          { check: 'Teams SSO token', outcome: 'ok', detail: 'valid for tenant 6f3c2a1e-0d2b-4c1a-9a7e-2b1f5e0c8d34, scopes access_as_user, until 2025-06-01 11:42 UTC' },
          { check: 'On-behalf-of exchange', outcome: 'ok', detail: 'Microsoft Entra ID issued a Microsoft Graph token for you, valid until 11:42 UTC' },
          { check: 'Microsoft Graph reachable', outcome: 'ok', detail: 'graph.microsoft.com answered', requestId: REQUEST_ID },
          { check: 'Upload records, v1.0 (configured)', outcome: 'failed', detail: "not offered: Graph has no importedWindowsAutopilotDeviceIdentityUploads segment here (BadRequest, HTTP 400)", requestId: REQUEST_ID },
          { check: 'Upload records, beta', outcome: 'failed', detail: "not offered: Graph has no importedWindowsAutopilotDeviceIdentityUploads segment here (BadRequest, HTTP 400)", requestId: REQUEST_ID },
          { check: 'Device identities, v1.0', outcome: 'ok', detail: 'readable ($top=1 returned 1 item)', requestId: REQUEST_ID },
          { check: 'Permission', outcome: 'ok', detail: 'read-write: Entra granted DeviceManagementServiceConfig.ReadWrite.All' },
          { check: 'State store', outcome: 'ok', detail: 'a read of a known key answered' },
          { check: 'Notification queue', outcome: 'ok', detail: 'reachable, 0 messages waiting' },
        ],
      }),
    },
    {
      template: 'diag',
      name: 'diag — permission not checked, personal chat',
      card: cards.diagCard({
        userName: 'Alex Wilber',
        lines: [
          { check: 'Teams SSO token', outcome: 'ok', detail: 'valid' },
          { check: 'Permission', outcome: 'notChecked', detail: 'write not checked (it would change data)' },
          { check: 'Microsoft Graph reachable', outcome: 'skipped', detail: 'not tried without a Graph token' },
        ],
      }),
    },
    { template: 'diagRequest', name: 'diagRequest — channel, longest name', card: cards.diagRequestCard({ requesterName: LONGEST_NAME, requesterMri: '29:1alex', askedAt: AT }) },
    { template: 'updating', name: 'updating — with Check again', card: cards.updatingCard({ uploadId: ID, status: 'complete', key: KEY }) },
    { template: 'uploadLookup', name: 'uploadLookup', card: cards.uploadLookupCard({ uploadId: OTHER_ID }) },
    {
      template: 'changeNotification',
      name: 'changeNotification — notify API, longest actor and note',
      card: notificationCard({ tenantId: TENANT, uploadId: ID, status: 'complete', by: LONGEST_NAME, at: AT, where: 'outside Teams', note: LONGEST_NOTE, source: 'api' }),
    },
    {
      template: 'changeNotification',
      name: 'changeNotification — from a channel, no previous status',
      card: notificationCard({ tenantId: TENANT, uploadId: ID, status: 'error', by: 'Alex Wilber', at: AT, where: `channel ${CHANNEL}`, source: 'bot' }),
    },
  ];
}

/** The read views through the bot's own views: a page of uploads, a 40-device report, imports, the picker form. */
function browseSamples(): CardSample[] {
  const serial = (i: number) => `8CG${String(4000 + i).padStart(6, '0')}`;
  const devices: DeviceIdentity[] = Array.from({ length: 40 }, (_, i) => ({
    id: `c${String(i).padStart(7, '0')}-7e1a-4b2c-8d3e-4f5a6b7c8d9e`,
    serialNumber: serial(i),
    groupTag: i % 2 ? 'Contoso-Field' : words(80, 'Contoso Field Operations EMEA long group tag'),
    importId: i < 30 ? ID : OTHER_ID,
    state:
      i % 10 === 3 ? { deviceImportStatus: 'error', deviceErrorCode: 806, deviceErrorName: 'ZtdDeviceAlreadyAssigned' }
      : i % 10 === 7 ? { deviceImportStatus: 'error', deviceErrorCode: 808, deviceErrorName: 'ZtdDeviceAssignedToOtherTenant' }
      : { deviceImportStatus: 'complete', deviceErrorCode: 0, deviceErrorName: null },
  }));
  const uploads = Array.from({ length: 10 }, (_, i) => ({
    id: `${String(i).padStart(8, '0')}-9524-8d63-2495-638d2495638d`,
    createdDateTimeUtc: CREATED,
    status: (['noUpload', 'pending', 'complete', 'error'] as const)[i % 4]!,
    deviceIdentities: i % 3 ? devices.slice(0, i) : undefined,
  }));
  const token = `${'e'.repeat(600)}.${'s'.repeat(43)}`;
  const failure = parseCommand('list uploads completed') as ParseFailure;
  return [
    { template: 'uploadList', name: 'uploadList — a full page with Show more', card: views.uploadList(uploads, { page: 2, command: 'list uploads', pageToken: token }) },
    { template: 'uploadList', name: 'uploadList — empty, filtered', card: views.uploadList([], { status: 'error', page: 1, command: 'list uploads error' }) },
    {
      template: 'deviceReport',
      name: 'deviceReport — upload of 40, errors first, Show more',
      card: views.deviceReport({ kind: 'upload', upload: { id: ID, createdDateTimeUtc: CREATED, status: 'error' } }, summarise(devices), { offset: 0, pageSize: 10, command: `show upload ${ID}`, pageToken: token }),
    },
    {
      template: 'deviceReport',
      name: 'deviceReport — import, last page, truncated',
      card: views.deviceReport({ kind: 'import', importId: OTHER_ID }, summarise(devices.slice(30)), { offset: 0, pageSize: 10, command: `show import ${OTHER_ID}`, truncatedAt: 1000 }),
    },
    { template: 'deviceReport', name: 'deviceReport — no devices', card: views.deviceReport({ kind: 'import', importId: OTHER_ID }, summarise([]), { offset: 0, pageSize: 10, command: `show import ${OTHER_ID}` }) },
    { template: 'importList', name: 'importList — imports with errors first', card: views.importList(groupByImport(devices), { page: 1, pageToken: token }) },
    { template: 'importList', name: 'importList — empty', card: views.importList([], { page: 1 }) },
    { template: 'browseLookup', name: 'browseLookup — list uploads in a channel', card: cards.browseLookupCard({ command: 'list uploads noUpload' }) },
    {
      template: 'changeStatusForm',
      name: 'changeStatusForm — prefilled, 15 static choices, a problem',
      card: cards.changeStatusFormCard({
        uploadId: ID,
        choices: Array.from({ length: 20 }, (_, i) => ({ uploadId: i ? OTHER_ID : ID, status: 'pending', createdDateTimeUtc: CREATED })),
        problem: failure.message,
      }),
    },
  ];
}
