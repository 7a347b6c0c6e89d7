import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cards from '../../cards';
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  CARD_UPLOAD_STATUSES,
  CARD_VERBS,
  EXAMPLE_UPLOAD_ID,
  FORM_INPUTS,
  HELP_COMMANDS,
  STATUS_INFO,
  SUBMIT_ACTIONS,
  UPLOAD_ID_INPUT_REGEX,
  type CardAttachment,
  cardTime,
} from '../../cards';
import { type ParseFailure, UPLOAD_STATUSES, isUploadId, parseCommand } from '../../bot/commands/parse';
import { saidOnCard } from '../support/rich-text';

const ID = '8d639524-9524-8d63-2495-638d2495638d';
const KEY = 'q0Yc3nYq1m8nq0b7o2mQm3cQk9xF0nB1h7bq5d2x0Zs';
const MRI = '29:1uMVvhoAyfTqdMsyvHL0qlJTTfQF9MOUSI8_cQts2kdSWEZVDyJO2jz';
/** Graph's own example timestamp: seven fractional digits and an offset, which DATE() does not accept as is. */
const CREATED = '2016-12-31T23:59:45.8788427-08:00';
const CREATED_UTC = '2017-01-01T07:59:45Z';

// --- a structural check of the card features these templates use (no Adaptive Card JSON schema ships offline) ---

type Node = Record<string, unknown>;

const ELEMENTS = new Set(['TextBlock', 'RichTextBlock', 'Container', 'ColumnSet', 'ActionSet', 'Input.Text', 'Input.ChoiceSet']);
const CONTAINER_STYLES = new Set(['default', 'emphasis', 'good', 'attention', 'warning', 'accent']);
const COLORS = new Set(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']);

function checkCard(card: CardAttachment): string[] {
  const problems: string[] = [];
  const fail = (path: string, what: string) => problems.push(`${path}: ${what}`);
  const content = card.content as Node;
  if (card.contentType !== ADAPTIVE_CARD_CONTENT_TYPE) fail('$', `contentType ${card.contentType}`);
  if (content.type !== 'AdaptiveCard') fail('$', 'type is not AdaptiveCard');
  if (content.version !== '1.5') fail('$', `version ${String(content.version)}`);
  if (content.$schema !== 'https://adaptivecards.io/schemas/adaptive-card.json') fail('$', '$schema');
  if (!Array.isArray(content.body) || content.body.length === 0) fail('$.body', 'missing or empty');

  const nonEmptyText = (node: Node, path: string, field = 'text') => {
    if (typeof node[field] !== 'string' || (node[field] as string).trim() === '') fail(path, `${field} must be non-empty text`);
  };
  const action = (node: Node, path: string, inActionSet: boolean) => {
    nonEmptyText(node, path, 'title');
    if (node.type === 'Action.Execute') {
      if (!inActionSet) fail(path, 'Action.Execute outside an ActionSet (older Teams clients ignore its fallback)');
      if (typeof node.verb !== 'string' || !Object.values(CARD_VERBS).includes(node.verb as never)) fail(path, `verb ${String(node.verb)}`);
      const fallback = node.fallback as Node | undefined;
      if (!fallback || fallback.type !== 'Action.Submit') fail(path, 'no Action.Submit fallback');
      else if (JSON.stringify(fallback.data) !== JSON.stringify({ ...(node.data as Node), verb: node.verb })) {
        fail(path, `fallback data ${JSON.stringify(fallback.data)} is not the data plus verb`);
      }
    } else if (node.type === 'Action.Submit') {
      if (typeof node.data !== 'object' || node.data === null) fail(path, 'Action.Submit without data');
    } else {
      fail(path, `unexpected action ${String(node.type)}`);
    }
  };
  const element = (node: Node, path: string) => {
    if (!ELEMENTS.has(node.type as string)) return fail(path, `unknown element ${String(node.type)}`);
    switch (node.type) {
      case 'TextBlock':
        nonEmptyText(node, path);
        if (node.color !== undefined && !COLORS.has(node.color as string)) fail(path, `color ${String(node.color)}`);
        break;
      case 'RichTextBlock': {
        const inlines = node.inlines as Node[];
        if (!Array.isArray(inlines) || inlines.length === 0) fail(path, 'RichTextBlock without inlines');
        else
          inlines.forEach((run, i) => {
            if (run.type !== 'TextRun') fail(`${path}.inlines[${i}]`, 'not a TextRun');
            if (typeof run.text !== 'string' || run.text === '') fail(`${path}.inlines[${i}]`, 'empty TextRun');
            if (run.color !== undefined && !COLORS.has(run.color as string)) fail(path, `color ${String(run.color)}`);
            if (run.fontType !== undefined && !['Default', 'Monospace'].includes(run.fontType as string)) fail(path, 'fontType');
          });
        break;
      }
      case 'Container': {
        if (node.style !== undefined && !CONTAINER_STYLES.has(node.style as string)) fail(path, `style ${String(node.style)}`);
        const items = node.items as Node[];
        if (!Array.isArray(items) || items.length === 0) fail(path, 'Container without items');
        else items.forEach((item, i) => element(item, `${path}.items[${i}]`));
        break;
      }
      case 'ColumnSet':
        (node.columns as Node[]).forEach((column, i) => {
          if (column.type !== 'Column') fail(`${path}.columns[${i}]`, 'not a Column');
          const items = column.items as Node[];
          if (!Array.isArray(items) || items.length === 0) fail(`${path}.columns[${i}]`, 'Column without items');
          else items.forEach((item, j) => element(item, `${path}.columns[${i}].items[${j}]`));
        });
        break;
      case 'ActionSet': {
        const actions = node.actions as Node[];
        if (!Array.isArray(actions) || actions.length === 0) fail(path, 'ActionSet without actions');
        else actions.forEach((a, i) => action(a, `${path}.actions[${i}]`, true));
        break;
      }
      case 'Input.Text':
      case 'Input.ChoiceSet':
        nonEmptyText(node, path, 'id');
        nonEmptyText(node, path, 'label');
        break;
    }
  };
  (content.body as Node[]).forEach((node, i) => element(node, `$.body[${i}]`));
  ((content.actions as Node[] | undefined) ?? []).forEach((a, i) => action(a, `$.actions[${i}]`, false));
  if (content.refresh !== undefined) {
    const refresh = content.refresh as Node;
    const refreshAction = refresh.action as Node;
    if (refreshAction?.type !== 'Action.Execute') fail('$.refresh', 'action is not Action.Execute');
    if (!Array.isArray(refresh.userIds) || refresh.userIds.length === 0) fail('$.refresh', 'no userIds');
  }
  return problems;
}

/** Every node of the card, depth first. */
function nodes(value: unknown, found: Node[] = []): Node[] {
  if (Array.isArray(value)) value.forEach((item) => nodes(item, found));
  else if (typeof value === 'object' && value !== null) {
    found.push(value as Node);
    Object.values(value).forEach((child) => nodes(child, found));
  }
  return found;
}

const ofType = (card: CardAttachment, type: string) => nodes(card.content).filter((n) => n.type === type);
const texts = (card: CardAttachment) =>
  nodes(card.content.body)
    .filter((n) => n.type === 'TextBlock' || n.type === 'TextRun')
    .map((n) => n.text as string);
/** Text as a reader sees it: each RichTextBlock's runs joined, without the invisible line-break opportunities. */
const sentences = (card: CardAttachment) =>
  ofType(card, 'RichTextBlock').map((block) => (block.inlines as Node[]).map((run) => String(run.text).replace(/\u200b/g, '')).join(''));
/** Buttons (the body's Action.Execute), not the refresh action. */
const executes = (card: CardAttachment) => nodes(card.content.body).filter((n) => n.type === 'Action.Execute');

// --- typical data for every card -----------------------------------------------------------------------------------

const typical: Record<string, () => CardAttachment> = {
  help: () => {
    const failure = parseCommand(`set upload ${ID} to completed`) as ParseFailure;
    return cards.helpCard({ problem: failure.message, suggestion: failure.suggestion });
  },
  helpPlain: () => cards.helpCard(),
  setUploadForm: () => cards.setUploadFormCard({ uploadId: ID, status: 'pending', problem: 'Choose a status.' }),
  setUploadFormEmpty: () => cards.setUploadFormCard(),
  uploadList: () =>
    cards.uploadListCard({
      page: 2,
      command: 'list uploads',
      pageToken: 'eyJ2IjoxfQ.c2lnbmF0dXJl',
      rows: [
        { uploadId: ID, createdDateTimeUtc: CREATED, status: 'error', deviceCount: 40 },
        { uploadId: ID, createdDateTimeUtc: 'yesterday', status: 'unknownFutureValue' },
      ],
    }),
  uploadListEmpty: () => cards.uploadListCard({ page: 1, command: 'list uploads error', status: 'error', rows: [] }),
  deviceReport: () =>
    cards.deviceReportCard({
      kind: 'upload',
      subjectId: ID,
      createdDateTimeUtc: CREATED,
      status: 'error',
      total: 40,
      statusCounts: { error: 9, complete: 27, pending: 4 },
      errorGroups: [{ name: 'ZtdDeviceAlreadyAssigned', codes: [806], count: 4 }, { name: 'InvalidZtdHardwareHash', codes: [802], count: 1 }],
      rows: [
        { serialNumber: '8CG0004003', groupTag: 'Contoso-Field', importStatus: 'error', errorCode: 806, errorName: 'ZtdDeviceAlreadyAssigned' },
        { serialNumber: null, groupTag: null, importStatus: 'complete', errorCode: 0, errorName: null },
      ],
      firstRow: 0,
      command: `show upload ${ID}`,
      pageToken: 'eyJ2IjoxfQ.c2lnbmF0dXJl',
    }),
  deviceReportImport: () =>
    cards.deviceReportCard({ kind: 'import', subjectId: ID, total: 0, statusCounts: {}, errorGroups: [], rows: [], firstRow: 0, command: `show import ${ID}` }),
  importList: () =>
    cards.importListCard({
      page: 1,
      groups: [
        { importId: ID, total: 40, statusCounts: { error: 9, complete: 31 }, errorGroups: [{ name: 'ZtdDeviceAssignedToOtherTenant', codes: [808], count: 4 }] },
        { importId: '', total: 2, statusCounts: { complete: 2 }, errorGroups: [] },
      ],
    }),
  browseLookup: () => cards.browseLookupCard({ command: 'list uploads pending' }),
  changeStatusForm: () =>
    cards.changeStatusFormCard({ uploadId: ID, choices: [{ uploadId: ID, status: 'pending', createdDateTimeUtc: CREATED }, { uploadId: '0f0e0d0c-0b0a-0908-0706-050403020100', status: 'error' }] }),
  confirmChange: () =>
    cards.confirmChangeCard({
      key: KEY,
      uploadId: ID,
      createdDateTimeUtc: CREATED,
      currentStatus: 'pending',
      requestedStatus: 'complete',
      requesterName: 'Alex Wilber',
      expiresAt: Date.UTC(2025, 5, 1, 10, 42),
      requesterMri: MRI,
    }),
  confirmChangeSame: () =>
    cards.confirmChangeCard({
      key: KEY,
      uploadId: ID,
      createdDateTimeUtc: CREATED,
      currentStatus: 'complete',
      requestedStatus: 'complete',
      requesterName: 'Alex Wilber',
      expiresAt: new Date(Date.UTC(2025, 5, 1, 10, 42)),
    }),
  pendingChannel: () =>
    cards.pendingChannelCard({
      key: KEY,
      uploadId: ID,
      requestedStatus: 'complete',
      requesterName: 'Alex Wilber',
      requesterMri: MRI,
      expiresAt: '2025-06-01T10:42:00Z',
    }),
  result: () =>
    cards.resultCard({
      uploadId: ID,
      createdDateTimeUtc: CREATED,
      previousStatus: 'pending',
      newStatus: 'complete',
      changedBy: 'Alex Wilber',
      changedAt: '2025-06-01T10:42:07.123Z',
      note: 'Graph answered 200 OK.',
    }),
  uploadDetails: () => cards.uploadDetailsCard({ uploadId: ID, createdDateTimeUtc: CREATED, status: 'error', deviceIdentityCount: 3 }),
  notice: () =>
    cards.noticeCard({ title: 'Request expired', message: 'Ask again with set upload.', tone: 'warning', facts: [{ title: 'Upload', value: ID }] }),
  graphError: () =>
    cards.graphErrorCard({
      title: 'Not permitted',
      explanation: 'Microsoft Graph refused the change.',
      code: 'Forbidden',
      requestId: 'c1f0e8a4-5b7e-4a1d-9b1f-2b0b1c2d3e4f',
      statusCode: 403,
      hint: 'Ask an Intune administrator to grant the permission.',
      uploadId: ID,
      date: '2025-06-01T10:42:07',
    }),
  updating: () => cards.updatingCard({ uploadId: ID, status: 'complete' }),
  uploadLookup: () => cards.uploadLookupCard({ uploadId: ID }),
  changeNotification: () =>
    cards.changeNotificationCard({
      uploadId: ID,
      previousStatus: 'pending',
      newStatus: 'complete',
      changedBy: 'Alex Wilber',
      changedAt: '2025-06-01T10:42:07Z',
      where: 'Intune Ops › General',
    }),
  notOffered: () =>
    cards.notOfferedCard({
      apiVersion: 'v1.0',
      graphHost: 'graph.microsoft.com',
      segment: 'importedWindowsAutopilotDeviceIdentityUploads',
      requestId: 'c1f0e8a4-5b7e-4a1d-9b1f-2b0b1c2d3e4f',
      other: { apiVersion: 'beta', known: 'unknown' },
      workingCommands: ['show imports', 'diag'],
    }),
  diag: () =>
    cards.diagCard({
      userName: 'Alex Wilber',
      lines: [
        { check: 'Teams SSO token', outcome: 'ok', detail: 'valid for tenant x' },
        { check: 'Upload records, v1.0', outcome: 'failed', detail: 'not offered', requestId: 'c1f0e8a4-5b7e-4a1d-9b1f-2b0b1c2d3e4f' },
        { check: 'Permission', outcome: 'notChecked', detail: 'write not checked (it would change data)' },
      ],
      requesterMri: MRI,
      askedAt: 1_700_000_000_000,
    }),
  diagRequest: () => cards.diagRequestCard({ requesterName: 'Alex Wilber', requesterMri: MRI, askedAt: 1_700_000_000_000 }),
};

describe('every card, with typical data', () => {
  test.each(Object.keys(typical))('%s is a well-formed 1.5 card with nothing left unbound', (name) => {
    const card = typical[name]!();
    expect(checkCard(card)).toEqual([]);
    const json = JSON.stringify(card);
    expect(json).not.toContain('${');
    expect(json).not.toContain('undefined');
    expect(json).not.toContain('null');
    expect(json).not.toContain('NaN');
  });

  test('every template file is used by a builder, and every Action.Execute verb is a known one', () => {
    const files = readdirSync(join(__dirname, '../../cards/templates')).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(
      [
        'browseLookup',
        'changeNotification',
        'changeStatusForm',
        'confirmChange',
        'deviceReport',
        'diag',
        'diagRequest',
        'graphError',
        'help',
        'importList',
        'notOffered',
        'notice',
        'pendingChannel',
        'result',
        'setUploadForm',
        'updating',
        'uploadDetails',
        'uploadList',
        'uploadLookup',
      ].map((f) => `${f}.json`),
    );
    for (const file of files) {
      const template = JSON.parse(readFileSync(join(__dirname, '../../cards/templates', file), 'utf8'));
      expect(template).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    }
  });

  test('cards and the parser agree on the statuses', () => {
    expect([...CARD_UPLOAD_STATUSES]).toEqual([...UPLOAD_STATUSES]);
  });
});

describe('dates', () => {
  test.each<[string | Date | number, string | undefined]>([
    [CREATED, CREATED_UTC],
    ['2017-02-14T06:08:00Z', '2017-02-14T06:08:00Z'],
    ['2017-02-14T06:08:00.5+07:00', '2017-02-13T23:08:00Z'],
    [new Date('2017-02-14T06:08:00.999Z'), '2017-02-14T06:08:00Z'],
    [Date.UTC(2017, 1, 14, 6, 8), '2017-02-14T06:08:00Z'],
    ['2017-02-30T00:00:00Z', undefined],
    ['2017-02-14T24:00:00Z', undefined],
    ['2017-02-14 06:08:00Z', undefined],
    ['2017-02-14T06:08:00', undefined],
    ['yesterday', undefined],
    [new Date('nope'), undefined],
    [Number.NaN, undefined],
  ])('cardTime(%j) → %j', (input, utc) => {
    expect(cardTime(input)?.utc).toBe(utc);
  });

  test("created shows Teams' DATE()/TIME() on a strict UTC timestamp, plus the raw value Graph returned", () => {
    const card = typical.confirmChange!();
    expect(texts(card)).toContain(`{{DATE(${CREATED_UTC}, SHORT)}} {{TIME(${CREATED_UTC})}}`);
    expect(texts(card)).toContain(CREATED);
    // DATE/TIME only in TextBlocks: Teams does not evaluate them in a TextRun.
    for (const run of ofType(card, 'TextRun')) expect(run.text).not.toContain('{{');
  });

  test('an invalid timestamp is shown as unknown, never handed to DATE()', () => {
    const card = cards.uploadDetailsCard({ uploadId: ID, createdDateTimeUtc: '2017-02-30T00:00:00Z', status: 'pending' });
    expect(JSON.stringify(card)).not.toContain('{{DATE');
    expect(sentences(card)).toContain('Unknown (2017-02-30T00:00:00Z)');
    expect(checkCard(card)).toEqual([]);
  });
});

describe('help', () => {
  test('names the problem and the suggestion, lists every command, and offers the form', () => {
    const card = typical.help!();
    expect(sentences(card)).toContain('completed is not a status — did you mean complete? The statuses are noUpload, pending, complete and error.');
    // The words it is about are bold TextRuns, not Markdown (Teams shows backticks literally).
    expect(saidOnCard(card)).toContain(
      '**completed** is not a status — did you mean **complete**? The statuses are **noUpload**, **pending**, **complete** and **error**.',
    );
    expect(sentences(card)).toContain(`Try: set upload ${ID} to complete`);
    for (const { usage, explanation } of HELP_COMMANDS) {
      expect(sentences(card)).toContain(usage);
      expect(texts(card)).toContain(explanation);
    }
    expect(sentences(card)).toContain('Statuses: noUpload, pending, complete, error');
    expect(card.content.actions).toEqual([{ type: 'Action.Submit', title: "Set an upload's status", data: { action: SUBMIT_ACTIONS.openForm } }]);
  });

  test('a problem as rich text is bounded in all, keeps the spaces between runs and drops empty runs', () => {
    const card = cards.helpCard({ problem: [{ text: '  ' }, { text: 'x'.repeat(300), bold: true }, { text: ' is not ' }, { text: '' }, { text: 'y'.repeat(400), bold: true }] });
    const [problem] = ofType(card, 'RichTextBlock');
    expect((problem!.inlines as Node[]).map((run) => [String(run.text).replace(/\u200b/g, '').length, run.weight])).toEqual([
      [300, 'Bolder'],
      [8, 'Default'],
      [292, 'Bolder'],
    ]);
    expect(sentences(card)[0]!.endsWith('y…')).toBe(true);
    expect(checkCard(card)).toEqual([]);
  });

  test('without a problem there is no problem box; `help` is not offered as its own suggestion', () => {
    expect(ofType(typical.helpPlain!(), 'Container').some((c) => c.style === 'attention')).toBe(false);
    const card = cards.helpCard({ problem: 'The message was empty.', suggestion: 'help' });
    expect(sentences(card)).toContain('The message was empty.');
    expect(sentences(card).some((s) => s.startsWith('Try:'))).toBe(false);
  });

  test('every command the help card lists is one the parser accepts', () => {
    for (const { usage } of HELP_COMMANDS) {
      const text = usage.replace('<id>', ID).replace('<importId>', ID).replace('<status>', 'complete');
      expect(parseCommand(text).kind).not.toBe('invalid');
    }
  });
});

describe('setUploadForm', () => {
  const inputs = (card: CardAttachment) => nodes(card.content.body).filter((n) => String(n.type).startsWith('Input.'));

  test('id input validates a GUID, status choice set offers the four statuses, both prefilled', () => {
    const card = typical.setUploadForm!();
    const [idInput, statusInput] = inputs(card);
    expect(idInput).toMatchObject({
      type: 'Input.Text',
      id: FORM_INPUTS.uploadId,
      value: ID,
      isRequired: true,
      regex: UPLOAD_ID_INPUT_REGEX,
      placeholder: EXAMPLE_UPLOAD_ID,
      errorMessage: expect.stringContaining(EXAMPLE_UPLOAD_ID),
    });
    expect(statusInput).toMatchObject({
      type: 'Input.ChoiceSet',
      id: FORM_INPUTS.status,
      value: 'pending',
      isRequired: true,
      errorMessage: expect.any(String),
      choices: CARD_UPLOAD_STATUSES.map((value) => ({ title: STATUS_INFO[value].title, value })),
    });
    expect(sentences(card)).toContain('Choose a status.');
    expect(card.content.actions).toEqual([
      { type: 'Action.Submit', title: 'Review change', style: 'positive', data: { action: SUBMIT_ACTIONS.submitForm } },
    ]);
  });

  test('without prefill the inputs start empty and there is no problem box', () => {
    const card = typical.setUploadFormEmpty!();
    expect(inputs(card).map((input) => input.value)).toEqual(['', '']);
    expect(ofType(card, 'Container')).toHaveLength(0);
  });

  test.each([
    ID,
    ID.toUpperCase(),
    `{${ID}}`,
    ` ${ID} `,
    ID.slice(1),
    `${ID}0`,
    `${ID.slice(0, -1)}g`,
    `x${ID}`,
    'complete',
    '',
  ])('the client-side regex agrees with the bot about %j', (value) => {
    // Renderers test `regex` unanchored, so the pattern must anchor itself.
    expect(new RegExp(UPLOAD_ID_INPUT_REGEX).test(value)).toBe(isUploadId(value.trim()));
  });
});

describe('confirmChange', () => {
  test('shows current → requested and who asked, with Confirm/Cancel as Action.Execute carrying only the key', () => {
    const card = typical.confirmChange!();
    expect(sentences(card)).toContain(`Set upload ${ID} from Pending to Complete?`);
    expect(sentences(card)).toContain('Only Alex Wilber can confirm or cancel this request, until it expires.');
    const actions = executes(card);
    expect(actions.map((a) => [a.title, a.verb, a.data])).toEqual([
      ['Confirm', CARD_VERBS.confirmChange, { changeKey: KEY }],
      ['Cancel', CARD_VERBS.cancelChange, { changeKey: KEY }],
    ]);
    expect(actions.map((a) => a.fallback)).toEqual([
      { type: 'Action.Submit', title: 'Confirm', style: 'positive', data: { changeKey: KEY, verb: 'confirmChange' } },
      { type: 'Action.Submit', title: 'Cancel', data: { changeKey: KEY, verb: 'cancelChange' } },
    ]);
    expect(texts(card)).toContain('{{DATE(2025-06-01T10:42:00Z, SHORT)}} {{TIME(2025-06-01T10:42:00Z)}}');
  });

  test('with the requester MRI it refreshes for that user only (user-specific view)', () => {
    expect(typical.confirmChange!().content.refresh).toEqual({
      action: { type: 'Action.Execute', title: 'Refresh', verb: CARD_VERBS.refreshChange, data: { changeKey: KEY } },
      userIds: [MRI],
    });
  });

  test('when the upload already has the requested status it says so and offers only Dismiss', () => {
    const card = typical.confirmChangeSame!();
    expect(card.content).not.toHaveProperty('refresh');
    expect(sentences(card)).toContain(`Upload ${ID} is already Complete, so there is nothing to change.`);
    expect(executes(card).map((a) => [a.title, a.verb, a.data])).toEqual([['Dismiss', CARD_VERBS.cancelChange, { changeKey: KEY }]]);
    expect(JSON.stringify(card)).not.toContain(CARD_VERBS.confirmChange);
  });

  test('refuses to build a card without a key', () => {
    expect(() => cards.confirmChangeCard({ ...{ uploadId: ID, currentStatus: 'pending', requestedStatus: 'complete', requesterName: 'A', expiresAt: 0 }, key: ' ' })).toThrow(
      /key is required/,
    );
  });
});

describe('pendingChannel', () => {
  test('tells everyone who asked for what, refreshes only for the requester, has no Confirm/Cancel', () => {
    const card = typical.pendingChannel!();
    expect(sentences(card)).toContain(`Alex Wilber asked to set upload ${ID} to Complete — waiting for Alex Wilber to confirm.`);
    expect(card.content.refresh).toEqual({
      action: { type: 'Action.Execute', title: 'Review', verb: CARD_VERBS.refreshChange, data: { changeKey: KEY } },
      userIds: [MRI],
    });
    expect(executes(card).map((a) => [a.title, a.verb, a.data])).toEqual([['Review', CARD_VERBS.refreshChange, { changeKey: KEY }]]);
    const json = JSON.stringify(card);
    expect(json).not.toContain(CARD_VERBS.confirmChange);
    expect(json).not.toContain(CARD_VERBS.cancelChange);
  });

  test('refuses to build a card without the requester MRI (refresh.userIds)', () => {
    expect(() =>
      cards.pendingChannelCard({ key: KEY, uploadId: ID, requestedStatus: 'complete', requesterName: 'Alex', requesterMri: '' }),
    ).toThrow(/requesterMri is required/);
  });
});

describe('result, uploadDetails, updating, changeNotification, uploadLookup', () => {
  test('result: the updated upload, previous → new, by whom, when, and the note', () => {
    const card = typical.result!();
    expect(sentences(card)).toEqual(
      expect.arrayContaining([`Upload ${ID} is now Complete.`, 'Previous status', 'Pending', 'Changed by', 'Alex Wilber', 'Graph answered 200 OK.']),
    );
    expect(texts(card)).toContain('{{DATE(2025-06-01T10:42:07Z, SHORT)}} {{TIME(2025-06-01T10:42:07Z)}}');
    expect(texts(card)).toContain('2025-06-01T10:42:07.123Z');
  });

  test.each(CARD_UPLOAD_STATUSES)('uploadDetails explains %s for an Intune admin', (status) => {
    const card = cards.uploadDetailsCard({ uploadId: ID, createdDateTimeUtc: CREATED, status });
    expect(sentences(card)).toContain(`${STATUS_INFO[status].title}: ${STATUS_INFO[status].description}`);
    expect(sentences(card)).not.toContain('Device identities');
  });

  test('uploadDetails shows the device count when known and an unknown status as Graph sent it', () => {
    expect(sentences(typical.uploadDetails!())).toEqual(expect.arrayContaining(['Device identities', '3']));
    const card = cards.uploadDetailsCard({ uploadId: ID, status: 'unknownFutureValue' });
    expect(sentences(card)).toContain('unknownFutureValue: Microsoft Graph reported a status this bot does not know yet.');
    expect(sentences(card)).toContain('Unknown');
    expect(checkCard(card)).toEqual([]);
  });

  test('updating', () => {
    expect(sentences(typical.updating!())).toContain(`Updating upload ${ID} to Complete…`);
  });

  test('changeNotification: old → new, by whom, where, and a Show button', () => {
    const card = typical.changeNotification!();
    expect(sentences(card)).toContain(`${ID}: Pending → Complete, by Alex Wilber`);
    expect(sentences(card)).toEqual(expect.arrayContaining(['Where', 'Intune Ops › General']));
    expect(executes(card).map((a) => [a.title, a.verb, a.data])).toEqual([['Show', CARD_VERBS.showUpload, { uploadId: ID }]]);
  });

  test('uploadLookup: a Show button for card-level SSO', () => {
    expect(executes(typical.uploadLookup!()).map((a) => [a.verb, a.data])).toEqual([[CARD_VERBS.showUpload, { uploadId: ID }]]);
  });
});

describe('notice and graphError', () => {
  test.each<[cards.NoticeTone, string, string]>([
    ['good', 'good', 'Good'],
    ['warning', 'warning', 'Warning'],
    ['attention', 'attention', 'Attention'],
    ['default', 'default', 'Default'],
  ])('notice tone %s', (tone, style, color) => {
    const card = cards.noticeCard({ title: 'Cancelled', message: 'Nothing was changed.', tone });
    const [box] = ofType(card, 'Container');
    expect(box!.style).toBe(style);
    expect(ofType(card, 'TextRun')[0]).toMatchObject({ text: 'Cancelled', color });
    expect(sentences(card)).toContain('Nothing was changed.');
    expect(ofType(card, 'ColumnSet')).toHaveLength(0); // no facts, no facts grid
  });

  test('notice facts', () => {
    expect(sentences(typical.notice!())).toEqual(expect.arrayContaining(['Upload', ID]));
  });

  test('graphError: explanation, code, status, hint, and the request-id small and copyable', () => {
    const card = typical.graphError!();
    expect(sentences(card)).toEqual(
      expect.arrayContaining([
        'Not permitted',
        'Microsoft Graph refused the change.',
        'Error code',
        'Forbidden',
        'HTTP status',
        '403',
        'Ask an Intune administrator to grant the permission.',
        'request-id: c1f0e8a4-5b7e-4a1d-9b1f-2b0b1c2d3e4f',
      ]),
    );
    const requestIdRun = ofType(card, 'TextRun').find((run) => run.text === 'c1f0e8a4-5b7e-4a1d-9b1f-2b0b1c2d3e4f');
    expect(requestIdRun).toMatchObject({ size: 'Small', fontType: 'Monospace' });
    // Graph's innerError.date is UTC written without an offset.
    expect(texts(card)).toContain('{{DATE(2025-06-01T10:42:07Z, SHORT)}} {{TIME(2025-06-01T10:42:07Z)}}');
  });

  test('graphError with only an explanation', () => {
    const card = cards.graphErrorCard({ explanation: 'Graph did not answer in time.' });
    expect(checkCard(card)).toEqual([]);
    expect(sentences(card)).toEqual(expect.arrayContaining(['Microsoft Graph did not make the change', 'unknown']));
    expect(JSON.stringify(card)).not.toContain('request-id');
  });
});

describe('long words in TextRuns can break (a RichTextBlock does not break inside a word)', () => {
  test.each<[string, string]>([
    ['DeviceManagementServiceConfig.ReadWrite.All', 'DeviceManagementServ\u200biceConfig.\u200bReadWrite.\u200bAll'],
    ['https://fef.amsub0302.manage.microsoft.com/a?b=c', 'https:\u200b/\u200b/\u200bfef.\u200bamsub0302.\u200bmanage.\u200bmicrosoft.\u200bcom/\u200ba?\u200bb=\u200bc'],
    ['x'.repeat(45), `${'x'.repeat(20)}\u200b${'x'.repeat(20)}\u200b${'x'.repeat(5)}`],
    [ID, ID], // hyphens already break
    ['Maximiliana-Theodora von Hohenzollern-Sigmaringen', 'Maximiliana-Theodora von Hohenzollern-Sigmaringen'],
    ['a short sentence, with punctuation.', 'a short sentence, with punctuation.'],
  ])('%j', (input, expected) => {
    expect(cards.breakable(input)).toBe(expected);
  });

  test('only TextRuns: input values and action data keep the text as it was', () => {
    const long = 'x'.repeat(39);
    const card = cards.setUploadFormCard({ uploadId: long, problem: [{ text: long, bold: true }] });
    expect(nodes(card.content).find((n) => n.type === 'Input.Text')!.value).toBe(long);
    expect(ofType(card, 'TextRun')[0]!.text).toBe(`${'x'.repeat(20)}\u200b${'x'.repeat(19)}`);
  });
});

describe('text from people and services is data, never template source or markdown', () => {
  const INJECTED = '${$root.key} ${join(facts, ",")} {{DATE(2017-02-14T06:00:00Z)}} [sign in](https://evil.example) **x**';

  const withInjection: Record<string, () => CardAttachment> = {
    help: () => cards.helpCard({ problem: INJECTED, suggestion: INJECTED }),
    setUploadForm: () => cards.setUploadFormCard({ uploadId: INJECTED, problem: INJECTED }),
    confirmChange: () =>
      cards.confirmChangeCard({
        key: KEY,
        uploadId: INJECTED,
        createdDateTimeUtc: INJECTED,
        currentStatus: INJECTED,
        requestedStatus: 'complete',
        requesterName: INJECTED,
        expiresAt: INJECTED,
        requesterMri: MRI,
      }),
    pendingChannel: () =>
      cards.pendingChannelCard({ key: KEY, uploadId: INJECTED, requestedStatus: 'complete', requesterName: INJECTED, requesterMri: MRI }),
    result: () =>
      cards.resultCard({ uploadId: INJECTED, previousStatus: INJECTED, newStatus: INJECTED, changedBy: INJECTED, changedAt: INJECTED, note: INJECTED }),
    uploadDetails: () => cards.uploadDetailsCard({ uploadId: INJECTED, createdDateTimeUtc: INJECTED, status: INJECTED }),
    notice: () => cards.noticeCard({ title: INJECTED, message: INJECTED, facts: [{ title: INJECTED, value: INJECTED }] }),
    graphError: () =>
      cards.graphErrorCard({ title: INJECTED, explanation: INJECTED, code: INJECTED, requestId: INJECTED, hint: INJECTED, uploadId: INJECTED }),
    updating: () => cards.updatingCard({ uploadId: INJECTED, status: 'complete' }),
    uploadLookup: () => cards.uploadLookupCard({ uploadId: INJECTED }),
    changeNotification: () =>
      cards.changeNotificationCard({
        uploadId: INJECTED,
        previousStatus: INJECTED,
        newStatus: INJECTED,
        changedBy: INJECTED,
        changedAt: INJECTED,
        where: INJECTED,
      }),
  };

  test.each(Object.keys(withInjection))('%s', (name) => {
    const card = withInjection[name]!();
    const json = JSON.stringify(card);
    // Came out literally: `${$root.key}` was not evaluated (the key never appears where the text was), nor join().
    expect(json).toContain('${$root.key} ${join(facts, \\",\\")}');
    for (const run of ofType(card, 'TextRun').filter((r) => String(r.text).includes('evil.example'))) {
      expect(run.text).not.toContain(KEY);
    }
    // Markdown-capable TextBlocks never carry it; only TextRuns (plain text), Input values and action data do.
    for (const block of ofType(card, 'TextBlock')) {
      expect(block.text).not.toContain('evil.example');
      expect(block.text).not.toContain('${');
    }
    expect(json).not.toContain('{{DATE(2017-02-14T06:00:00Z)}} {{'); // injected DATE() never reaches a TextBlock
    expect(checkCard(card)).toEqual([]);
  });

  test('control and bidi characters are removed and long text is bounded', () => {
    const card = cards.noticeCard({ title: 'T', message: `a\u202eb\u0007c${'d'.repeat(5000)}` });
    const message = sentences(card)[1]!;
    expect(message.startsWith('abc')).toBe(true);
    expect(message).toHaveLength(2000);
    expect(message.endsWith('…')).toBe(true);
  });
});

describe('notOffered', () => {
  const base = {
    apiVersion: 'v1.0',
    graphHost: 'graph.microsoft.com',
    segment: 'importedWindowsAutopilotDeviceIdentityUploads',
    requestId: 'c1f0e8a4-5b7e-4a1d-9b1f-2b0b1c2d3e4f',
    workingCommands: ['show imports', 'diag'],
  };
  const textOf = (card: cards.CardAttachment) => JSON.stringify(card.content);

  test('names the version and host, the commands that work there, and the request-id', () => {
    const t = textOf(cards.notOfferedCard({ ...base, other: { apiVersion: 'beta', known: 'unknown' } }));
    expect(t).toContain('Microsoft Graph v1.0 at graph.microsoft.com does not offer Autopilot upload records');
    expect(t).toContain('"show imports"');
    expect(t).toContain('c1f0e8a4-5b7e-4a1d-9b1f-2b0b1c2d3e4f');
  });

  test('names the other version as working only when it is known to work', () => {
    const unknown = textOf(cards.notOfferedCard({ ...base, other: { apiVersion: 'beta', known: 'unknown' } }));
    expect(unknown).not.toContain('does offer them');
    expect(unknown).toContain('has not been tried here');
    const offered = textOf(cards.notOfferedCard({ ...base, other: { apiVersion: 'beta', known: 'offered' } }));
    expect(offered).toContain('Microsoft Graph beta at graph.microsoft.com does offer them');
    expect(offered).toContain('GRAPH_API_VERSION=beta');
    const neither = textOf(cards.notOfferedCard({ ...base, other: { apiVersion: 'beta', known: 'notOffered' } }));
    expect(neither).toContain('does not offer them either');
    expect(neither).not.toContain('GRAPH_API_VERSION=beta');
  });
});

describe('diag', () => {
  test('one line per check with ✓/✗ and the request-id; refresh only for the requester in a channel', () => {
    const card = cards.diagCard({
      userName: 'Alex Wilber',
      lines: [
        { check: 'Teams SSO token', outcome: 'ok', detail: 'valid' },
        { check: 'Upload records, v1.0', outcome: 'failed', detail: 'not offered', requestId: 'rid-1' },
      ],
      requesterMri: MRI,
      askedAt: 1_700_000_000_000,
    });
    const t = JSON.stringify(card.content);
    expect(t).toContain('"✓"');
    expect(t).toContain('"✗"');
    expect(t).toContain('rid-1');
    expect(t).toContain('1 of 2 checks failed.');
    expect(card.content.refresh).toMatchObject({ action: { verb: 'runDiag', data: { askedAt: '1700000000000' } }, userIds: [MRI] });
    expect(cards.diagCard({ userName: 'Alex', lines: [] }).content.refresh).toBeUndefined();
  });

  test('the channel request card refreshes only for the requester and shows no results', () => {
    const card = cards.diagRequestCard({ requesterName: 'Alex Wilber', requesterMri: MRI, askedAt: 1_700_000_000_000 });
    expect(card.content.refresh).toMatchObject({ action: { verb: 'runDiag' }, userIds: [MRI] });
    expect(JSON.stringify(card.content)).not.toMatch(/[✓✗]/);
  });
});
