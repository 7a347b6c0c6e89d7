import { EXAMPLE_UPLOAD_ID } from '../../cards/ids';
import { type RichText, plainText } from '../../cards/text';
import { said } from '../support/rich-text';
import {
  type Command,
  type ParseFailure,
  MAX_COMMAND_LENGTH,
  UPLOAD_STATUSES,
  formatCommand,
  isUploadId,
  normaliseUploadId,
  parseCommand,
  parseFormSubmission,
  parseStatus,
  suggestStatus,
} from '../../bot/commands/parse';

const ID = '8d639524-9524-8d63-2495-638d2495638d';
const ID_UPPER = ID.toUpperCase();
const OTHER_ID = '0f0e0d0c-0b0a-0908-0706-050403020100';
const STATUS_LIST_IN_MESSAGE = ['**noUpload**', '**pending**', '**complete**', '**error**'];

function expectInvalid(result: Command | ParseFailure): ParseFailure {
  expect(result.kind).toBe('invalid');
  return result as ParseFailure;
}

describe('parseCommand: commands that parse', () => {
  test.each<[string, Command]>([
    ['help', { kind: 'help' }],
    ['HELP', { kind: 'help' }],
    ['  help  ', { kind: 'help' }],
    ['help.', { kind: 'help' }],
    ['Help!', { kind: 'help' }],
    ['help me please', { kind: 'help' }],
    ['?', { kind: 'help' }],
    ['/help', { kind: 'help' }],
    ['<at>Autopilot Uploads</at> help', { kind: 'help' }],
    ['sign out', { kind: 'signOut' }],
    ['Sign Out.', { kind: 'signOut' }],
    ['signout', { kind: 'signOut' }],
    ['sign-out', { kind: 'signOut' }],
    ['logout', { kind: 'signOut' }],
    ['log out', { kind: 'signOut' }],
    ['LOG OFF', { kind: 'signOut' }],
    ['subscribe', { kind: 'subscribe' }],
    ['Subscribe.', { kind: 'subscribe' }],
    ['unsubscribe', { kind: 'unsubscribe' }],
    ['UNSUBSCRIBE', { kind: 'unsubscribe' }],
    ['subscriptions', { kind: 'subscriptions' }],
    [`show upload ${ID}`, { kind: 'show', uploadId: ID }],
    [`Show Upload ${ID_UPPER}.`, { kind: 'show', uploadId: ID }],
    [`show upload {${ID_UPPER}}`, { kind: 'show', uploadId: ID }],
    [`show ${ID}`, { kind: 'show', uploadId: ID }],
    [`set upload ${ID} to complete`, { kind: 'setStatus', uploadId: ID, status: 'complete' }],
    [`set upload ${ID} complete`, { kind: 'setStatus', uploadId: ID, status: 'complete' }],
    [`SET UPLOAD {${ID_UPPER}} TO COMPLETE.`, { kind: 'setStatus', uploadId: ID, status: 'complete' }],
    [`set upload ${ID} to pending`, { kind: 'setStatus', uploadId: ID, status: 'pending' }],
    [`set upload ${ID} to error`, { kind: 'setStatus', uploadId: ID, status: 'error' }],
    [`set upload ${ID} to noUpload`, { kind: 'setStatus', uploadId: ID, status: 'noUpload' }],
    [`set upload ${ID} to NoUpload`, { kind: 'setStatus', uploadId: ID, status: 'noUpload' }],
    [`set upload ${ID} to noupload`, { kind: 'setStatus', uploadId: ID, status: 'noUpload' }],
    [`set upload ${ID} to no upload`, { kind: 'setStatus', uploadId: ID, status: 'noUpload' }],
    [`set upload ${ID} to No-Upload`, { kind: 'setStatus', uploadId: ID, status: 'noUpload' }],
    [`set upload ${ID} no_upload`, { kind: 'setStatus', uploadId: ID, status: 'noUpload' }],
    [`set upload ${ID} to "complete"`, { kind: 'setStatus', uploadId: ID, status: 'complete' }],
    [`set upload ${ID} to \`pending\``, { kind: 'setStatus', uploadId: ID, status: 'pending' }],
    [`set upload ${ID} to \u201ccomplete\u201d`, { kind: 'setStatus', uploadId: ID, status: 'complete' }],
    [`set upload ${ID} = error`, { kind: 'setStatus', uploadId: ID, status: 'error' }],
    [`set ${ID} to error`, { kind: 'setStatus', uploadId: ID, status: 'error' }],
    [`set uploads ${ID} to pending`, { kind: 'setStatus', uploadId: ID, status: 'pending' }],
    // What Teams leaves after removing the @mention: entities, NBSP, newlines, tabs, zero-width characters.
    [`&nbsp;set&nbsp;upload ${ID}\nto\tcomplete&nbsp;`, { kind: 'setStatus', uploadId: ID, status: 'complete' }],
    [`\u00a0set upload ${ID} to complete\u200b`, { kind: 'setStatus', uploadId: ID, status: 'complete' }],
    [`set upload\r\n${ID}\r\nto pending`, { kind: 'setStatus', uploadId: ID, status: 'pending' }],
    [`&#160;set upload ${ID} to complete&#xA0;.`, { kind: 'setStatus', uploadId: ID, status: 'complete' }],
    [`<at>Autopilot</at>&nbsp;set upload ${ID} to complete`, { kind: 'setStatus', uploadId: ID, status: 'complete' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });
});

describe('parseCommand: `set upload` with parts missing opens the form', () => {
  test.each<[string, Command]>([
    ['set upload', { kind: 'openForm' }],
    ['Set Upload.', { kind: 'openForm' }],
    ['set upload to', { kind: 'openForm' }],
    [`set upload ${ID_UPPER}`, { kind: 'openForm', uploadId: ID }],
    [`set upload {${ID}} to`, { kind: 'openForm', uploadId: ID }],
    ['set upload to complete', { kind: 'openForm', status: 'complete' }],
    ['set upload to no upload', { kind: 'openForm', status: 'noUpload' }],
    ['set upload complete', { kind: 'openForm', status: 'complete' }],
    ['set upload no upload', { kind: 'openForm', status: 'noUpload' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  test('a bad id without a status opens the form and says what was wrong with the id', () => {
    const result = parseCommand('set upload xyz');
    expect(result).toEqual({ kind: 'openForm', problem: expect.any(Array) });
    const problem = said((result as { problem: RichText }).problem);
    expect(problem).toContain('**xyz** is not a valid upload id');
    expect(problem).toContain(EXAMPLE_UPLOAD_ID);
  });

  test('a bad status without an id opens the form with the did-you-mean', () => {
    const result = parseCommand('set upload to completed');
    expect(result).toMatchObject({ kind: 'openForm' });
    expect(result).not.toHaveProperty('status');
    expect(said((result as { problem: RichText }).problem)).toContain('**completed** is not a status — did you mean **complete**?');
  });
});

describe('parseCommand: failures name what was wrong', () => {
  test.each(['', '   ', '\n\t', '&nbsp;', '&nbsp;\u00a0\u200b', '<at>Autopilot Uploads</at>', '<at>Autopilot</at> &nbsp; '])(
    'empty: %j',
    (text) => {
      const failure = expectInvalid(parseCommand(text));
      expect(failure.reason).toBe('empty');
      expect(said(failure.message)).toMatch(/empty/);
      expect(failure.suggestion).toBe('help');
    },
  );

  test('text at the limit is parsed, one character more is refused as too long', () => {
    const atLimit = `help ${'x'.repeat(MAX_COMMAND_LENGTH - 5)}`;
    expect(atLimit).toHaveLength(MAX_COMMAND_LENGTH);
    expect(parseCommand(atLimit)).toEqual({ kind: 'help' });
    const failure = expectInvalid(parseCommand(`${atLimit}x`));
    expect(failure.reason).toBe('tooLong');
    expect(said(failure.message)).toContain(String(MAX_COMMAND_LENGTH));
  });

  test('a 20,000-character message is refused by its length alone, without scanning the text', () => {
    const huge = `set upload ${ID} to complete `.repeat(20_000 / 36 + 1).slice(0, 20_000);
    const scans = ['replace', 'split', 'trim', 'match', 'slice', 'toLowerCase'].map((method) =>
      jest.spyOn(String.prototype, method as 'replace'),
    );
    try {
      const failure = expectInvalid(parseCommand(huge));
      expect(failure.reason).toBe('tooLong');
      expect(said(failure.message)).toContain('20,000 characters');
      for (const scan of scans) expect(scan).not.toHaveBeenCalled();
    } finally {
      for (const scan of scans) scan.mockRestore();
    }
  });

  test('`completed` → did you mean `complete`, listing the statuses, with the corrected command', () => {
    const failure = expectInvalid(parseCommand(`set upload ${ID} to completed`));
    expect(failure.reason).toBe('badStatus');
    expect(said(failure.message)).toContain('**completed** is not a status — did you mean **complete**?');
    for (const status of STATUS_LIST_IN_MESSAGE) expect(said(failure.message)).toContain(status);
    expect(failure.suggestion).toBe(`set upload ${ID} to complete`);
  });

  test.each<[string, string]>([
    ['done', 'complete'],
    ['Finished', 'complete'],
    ['failed', 'error'],
    ['eror', 'error'],
    ['pendng', 'pending'],
    ['in progress', 'pending'],
    ['none', 'noUpload'],
    ['no uplod', 'noUpload'],
  ])('status %j suggests %j', (typed, status) => {
    const failure = expectInvalid(parseCommand(`set upload ${ID} to ${typed}`));
    expect(failure.reason).toBe('badStatus');
    expect(said(failure.message)).toContain(`did you mean **${status}**?`);
    expect(failure.suggestion).toBe(`set upload ${ID} to ${status}`);
  });

  test('a status with no close match lists the statuses and suggests nothing', () => {
    const failure = expectInvalid(parseCommand(`set upload ${ID} to banana`));
    expect(failure.reason).toBe('badStatus');
    expect(said(failure.message)).toContain('**banana** is not a status');
    expect(said(failure.message)).not.toContain('did you mean');
    for (const status of STATUS_LIST_IN_MESSAGE) expect(said(failure.message)).toContain(status);
    expect(failure.suggestion).toBeUndefined();
  });

  test.each<[string, string, string | undefined]>([
    ['1234', '**1234** is not a valid upload id', undefined],
    [ID.slice(0, -1), 'it has 35 characters; a GUID has 36', undefined],
    [`${ID.slice(0, -1)}g`, '**g** is not a hexadecimal digit', undefined],
    ['8d6395249-524-8d63-2495-638d2495638d', 'groups of digits must be 8-4-4-4-12', undefined],
    [`{${ID}`, 'is not a valid upload id', undefined],
  ])('bad id %j in a full command is an error that shows what a GUID looks like', (id, fragment) => {
    const failure = expectInvalid(parseCommand(`set upload ${id} to complete`));
    expect(failure.reason).toBe('badId');
    expect(said(failure.message)).toContain(fragment);
    expect(said(failure.message)).toContain(`a GUID like **${EXAMPLE_UPLOAD_ID}**`);
  });

  test('show upload: missing id, bad id, extra words', () => {
    const missing = expectInvalid(parseCommand('show upload'));
    expect(missing).toMatchObject({ reason: 'syntax', suggestion: 'show upload <id>' });
    expect(said(missing.message)).toContain('needs the id');

    const bad = expectInvalid(parseCommand('show upload latest'));
    expect(bad.reason).toBe('badId');
    expect(said(bad.message)).toContain('**latest**');

    const extra = expectInvalid(parseCommand(`show upload ${ID} now`));
    expect(extra).toMatchObject({ reason: 'syntax', suggestion: `show upload ${ID}` });
    expect(said(extra.message)).toContain('**now**');
  });

  test.each<[string, string]>([
    ['halp', 'help'],
    ['hello', 'help'],
    ['unsub', 'unsubscribe'],
    ['subs', 'subscribe'],
    ['subscibe', 'subscribe'],
    ['unsubscibe', 'unsubscribe'],
    ['subscription', 'subscriptions'],
    ['sigh out', 'sign out'],
    [`sho upload ${ID}`, `show upload ${ID}`],
    [`shw upload ${ID_UPPER}`, `show upload ${ID}`],
    [`get upload ${ID}`, `show upload ${ID}`],
    [`update upload ${ID} to complete`, `set upload ${ID} to complete`],
    [`update upload ${ID} to done`, `set upload ${ID} to complete`],
    [`sett upload ${ID}`, `set upload ${ID}`],
    [`what is ${ID}`, `show upload ${ID}`],
    ['sho upload', 'show upload <id>'],
  ])('unknown command %j suggests %j', (text, suggestion) => {
    const failure = expectInvalid(parseCommand(text));
    expect(failure.reason).toBe('unknownCommand');
    expect(failure.suggestion).toBe(suggestion);
    expect(said(failure.message)).toContain(`is not a command I know — did you mean **${suggestion}**?`);
  });

  test.each(['hi', 'sign in', 'login', 'unsub please', 'what now', 'xyzzy plugh'])('unknown command %j without a close match suggests help', (text) => {
    const failure = expectInvalid(parseCommand(text));
    expect(failure.reason).toBe('unknownCommand');
    expect(failure.suggestion).toBe('help');
    expect(said(failure.message)).toContain(`**${text.split(' ')[0]}** is not a command I know`);
    expect(said(failure.message)).toContain('type **help**');
  });

  test('`set` followed by something other than `upload`', () => {
    const typo = expectInvalid(parseCommand(`set uplaod ${ID} to error`));
    expect(typo).toMatchObject({ reason: 'syntax', suggestion: `set upload ${ID} to error` });
    expect(said(typo.message)).toContain('**set** must be followed by **upload**, not **uplaod**');

    const other = expectInvalid(parseCommand('set status to complete'));
    expect(other).toMatchObject({ reason: 'syntax', suggestion: 'set upload <id> to <status>' });
  });

  test.each([
    ['subscribe please', 'subscribe'],
    ['sign out now', 'sign out'],
    ['subscriptions list', 'subscriptions'],
  ])('%j: commands without arguments refuse extra words', (text, suggestion) => {
    const failure = expectInvalid(parseCommand(text));
    expect(failure).toMatchObject({ reason: 'syntax', suggestion });
    expect(said(failure.message)).toContain('takes no extra words');
  });
});

describe('parseCommand: echoed text is bounded and inert', () => {
  test('template expressions come back literally', () => {
    const failure = expectInvalid(parseCommand('set upload ${$root.secret} to complete'));
    expect(failure.reason).toBe('badId');
    expect(said(failure.message)).toContain('**${$root.secret}** is not a valid upload id');

    const unknown = expectInvalid(parseCommand("${join(split('a,b', ','), '')}"));
    expect(unknown.reason).toBe('unknownCommand');
    expect(said(unknown.message)).toContain("${join(split('a,b',");
  });

  test('long input is truncated in the message', () => {
    const failure = expectInvalid(parseCommand(`set upload ${'a'.repeat(300)} to complete`));
    expect(said(failure.message)).toContain(`**${'a'.repeat(39)}…**`);
    expect(said(failure.message)).not.toContain('a'.repeat(41));
    expect(plainText(failure.message).length).toBeLessThan(200);
  });

  test('typed text is one bold run, shown as typed (Markdown in it stays text), without control characters', () => {
    const failure = expectInvalid(parseCommand('set upload x`y`z**w**[a](https://evil.example) to complete'));
    expect(failure.message[0]).toEqual({ text: 'x`y`z**w**[a](https://evil.example)', bold: true });
    expect(failure.message.filter((part) => part.bold)).toHaveLength(2); // what was typed, and the example id

    const bidi = expectInvalid(parseCommand('evil\u202etxt.exe'));
    expect(said(bidi.message)).not.toMatch(/[\u202e\u0000-\u001f]/);
    expect(said(bidi.message)).toContain('**evil txt.exe**');
  });

  test('a long emoji run is not cut inside a surrogate pair', () => {
    const failure = expectInvalid(parseCommand('😀'.repeat(60)));
    const quoted = failure.message[0]!.text;
    expect(quoted.endsWith('…')).toBe(true);
    expect(quoted).toBe(`${'😀'.repeat(39)}…`);
  });
});

describe('messages are rich text, never Markdown', () => {
  test.each([
    `set upload ${ID} to completed`,
    `set upload ${ID} to banana`,
    'set upload 1234 to complete',
    `set upload ${ID.slice(0, -1)}g to complete`,
    `show upload ${ID} now`,
    'show upload',
    `set uplaod ${ID} to error`,
    'subscribe please',
    'halp',
    'xyzzy',
    `update upload ${ID} to done`,
    '',
    'x'.repeat(MAX_COMMAND_LENGTH + 1),
  ])('%j: the words it names are bold parts, and no part carries a Markdown mark', (text) => {
    const { message } = expectInvalid(parseCommand(text));
    for (const part of message) {
      expect(part.text).not.toMatch(/`|\*\*|__/);
      expect(part.text).not.toBe('');
    }
    if (text !== '' && text.length <= MAX_COMMAND_LENGTH) expect(message.some((part) => part.bold)).toBe(true);
  });
});

describe('statuses', () => {
  test('UPLOAD_STATUSES are the four Graph values', () => {
    expect([...UPLOAD_STATUSES]).toEqual(['noUpload', 'pending', 'complete', 'error']);
  });

  test.each<[string, string | undefined]>([
    ['noUpload', 'noUpload'],
    ['NoUpload', 'noUpload'],
    ['noupload', 'noUpload'],
    ['NOUPLOAD', 'noUpload'],
    ['no upload', 'noUpload'],
    ['no-upload', 'noUpload'],
    ['no_upload', 'noUpload'],
    ['"noUpload"', 'noUpload'],
    ['pending', 'pending'],
    ['Pending', 'pending'],
    ['complete', 'complete'],
    ['COMPLETE', 'complete'],
    ['error', 'error'],
    ['completed', undefined],
    ['done', undefined],
    ['', undefined],
    ['no', undefined],
    ['x'.repeat(1000), undefined],
  ])('parseStatus(%j) = %j', (input, expected) => {
    expect(parseStatus(input)).toBe(expected);
  });

  test.each<[string, string | undefined]>([
    ['complete', 'complete'],
    ['completed', 'complete'],
    ['comp', 'complete'],
    ['pend', 'pending'],
    ['err', 'error'],
    ['errored', 'error'],
    ['processing', 'pending'],
    ['not uploaded', 'noUpload'],
    ['banana', undefined],
    ['x', undefined],
    ['', undefined],
    ['y'.repeat(1000), undefined],
  ])('suggestStatus(%j) = %j', (input, expected) => {
    expect(suggestStatus(input)).toBe(expected);
  });
});

describe('upload ids', () => {
  test.each<[string, string | undefined]>([
    [ID, ID],
    [ID_UPPER, ID],
    [`{${ID}}`, ID],
    [`{${ID_UPPER}}`, ID],
    [OTHER_ID, OTHER_ID],
    [ID.slice(1), undefined],
    [`${ID}0`, undefined],
    [`${ID.slice(0, -1)}g`, undefined],
    [ID.replace(/-/g, ''), undefined],
    [` ${ID}`, undefined],
    [`{${ID}`, undefined],
    [`${ID}}`, undefined],
    ['', undefined],
  ])('normaliseUploadId(%j) = %j', (input, expected) => {
    expect(normaliseUploadId(input)).toBe(expected);
    expect(isUploadId(input)).toBe(expected !== undefined);
  });
});

describe('formatCommand', () => {
  test.each<Command>([
    { kind: 'setStatus', uploadId: ID, status: 'noUpload' },
    { kind: 'show', uploadId: ID },
    { kind: 'openForm' },
    { kind: 'openForm', uploadId: ID },
    { kind: 'openForm', status: 'error' },
    { kind: 'openForm', uploadId: ID, status: 'pending' },
    { kind: 'help' },
    { kind: 'signOut' },
    { kind: 'subscribe' },
    { kind: 'unsubscribe' },
    { kind: 'subscriptions' },
  ])('%j parses back to itself', (command) => {
    const text = formatCommand(command);
    const reparsed = parseCommand(text);
    // `set upload <id> to <status>` is complete, so a form prefilled with both formats as the command itself.
    if (command.kind === 'openForm' && command.uploadId && command.status) {
      expect(reparsed).toEqual({ kind: 'setStatus', uploadId: ID, status: 'pending' });
    } else {
      expect(reparsed).toEqual(command);
    }
  });
});

describe('parseFormSubmission', () => {
  test('valid inputs become the command, normalised', () => {
    expect(parseFormSubmission({ action: 'submitForm', uploadId: ` {${ID_UPPER}} `, status: 'complete' })).toEqual({
      kind: 'setStatus',
      uploadId: ID,
      status: 'complete',
    });
    expect(parseFormSubmission({ uploadId: ID, status: 'no upload' })).toEqual({ kind: 'setStatus', uploadId: ID, status: 'noUpload' });
  });

  test('anything invalid reopens the form with the valid parts kept and the problem named', () => {
    const badId = parseFormSubmission({ uploadId: 'nope', status: 'pending' });
    expect(badId).toMatchObject({ kind: 'openForm', status: 'pending' });
    expect(said((badId as { problem: RichText }).problem)).toContain('**nope** is not a valid upload id');

    const badStatus = parseFormSubmission({ uploadId: ID, status: 'completed' });
    expect(badStatus).toMatchObject({ kind: 'openForm', uploadId: ID });
    expect(said((badStatus as { problem: RichText }).problem)).toContain('did you mean **complete**?');

    const both = parseFormSubmission({ uploadId: 'nope', status: 'completed' });
    expect(said((both as { problem: RichText }).problem)).toMatch(/^\*\*nope\*\* is not a valid upload id .*\. \*\*completed\*\* is not a status/);

    const empty = parseFormSubmission({ action: 'submitForm' });
    expect(empty).toMatchObject({ kind: 'openForm' });
    expect((empty as { problem: RichText }).problem).toEqual([{ text: 'Enter the upload id. Choose a status.' }]);

    for (const junk of [undefined, null, 'text', 42, [ID, 'complete'], { uploadId: 7, status: ['complete'] }]) {
      expect(parseFormSubmission(junk)).toEqual({ kind: 'openForm', problem: [{ text: 'Enter the upload id. Choose a status.' }] });
    }
  });
});

describe('words that are names of what every object inherits are not commands or statuses', () => {
  // A lookup in a plain object finds `constructor` (the Object function): it once parsed as a command and as a status.
  test.each<[string, Partial<ParseFailure>]>([
    ['constructor', { reason: 'unknownCommand', suggestion: 'help' }],
    ['constr uctor', { reason: 'unknownCommand', suggestion: 'help' }],
    ['constructor now', { reason: 'unknownCommand', suggestion: 'help' }],
    [`set upload ${ID} to constructor`, { reason: 'badStatus' }],
    ['list uploads constructor', { reason: 'badStatus', suggestion: 'list uploads' }],
    ['list constructor', { reason: 'syntax', suggestion: 'list uploads' }],
  ])('%j', (text, expected) => {
    const failure = expectInvalid(parseCommand(text));
    expect(failure).toMatchObject(expected);
    if (text.startsWith('set')) expect(failure.suggestion).toBeUndefined();
  });

  test('as a status or a form input', () => {
    expect(parseStatus('constructor')).toBeUndefined();
    expect(suggestStatus('constructor')).toBeUndefined();
    expect(parseCommand('set upload constructor')).toEqual({ kind: 'openForm', problem: expect.any(Array) });
    expect(parseFormSubmission({ uploadId: ID, status: 'constructor' })).toMatchObject({ kind: 'openForm', uploadId: ID });
  });
});

describe('parseCommand: the read commands and imports, pinned (the parser split exposed these branches)', () => {
  test.each<[string, Command]>([
    ['show imports', { kind: 'showImports' }],
    ['Show Imports.', { kind: 'showImports' }],
    [`show imports ${ID_UPPER}`, { kind: 'showImport', importId: ID }],
    [`show import {${ID}}`, { kind: 'showImport', importId: ID }],
    [`show uploads ${ID}`, { kind: 'show', uploadId: ID }],
    ['list', { kind: 'listUploads' }],
    ['list upload', { kind: 'listUploads' }],
    ['list complete', { kind: 'listUploads', status: 'complete' }],
    ['list uploads no upload', { kind: 'listUploads', status: 'noUpload' }],
    ['diag', { kind: 'diag' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  test.each<[string, ParseFailure['reason'], string | undefined, string]>([
    ['show import', 'syntax', 'show imports', '**show import** needs the id of the import to show, or type **show imports** for all of them.'],
    [`show import ${ID} now`, 'syntax', `show import ${ID}`, '**show import** takes only an import id, but more followed it: **now**.'],
    ['show import nope', 'badId', undefined, `**nope** is not a valid import id — an import id is a GUID like **${EXAMPLE_UPLOAD_ID}**.`],
    ['show', 'syntax', 'show upload <id>', '**show upload** needs the id of the upload to show.'],
    ['list imports', 'syntax', 'show imports', 'Imports are listed with **show imports**.'],
    ['list banana', 'syntax', 'list uploads', '**list** must be followed by **uploads**, not **banana**.'],
    ['list uploads completed', 'badStatus', 'list uploads complete', '**completed** is not a status — did you mean **complete**? The statuses are **noUpload**, **pending**, **complete** and **error**.'],
    ['list uploads banana', 'badStatus', 'list uploads', '**banana** is not a status — the statuses are **noUpload**, **pending**, **complete** and **error**.'],
    ['diag now', 'syntax', 'diag', '**diag** takes no extra words, so I did not run it.'],
    ['imports', 'unknownCommand', 'help', '**imports** is not a command I know — type **help** to see the commands.'],
    ['lst uploads', 'unknownCommand', 'list uploads', '**lst** is not a command I know — did you mean **list uploads**?'],
    ['ls', 'unknownCommand', 'list uploads', '**ls** is not a command I know — did you mean **list uploads**?'],
    ['shw imports', 'unknownCommand', 'show imports', '**shw** is not a command I know — did you mean **show imports**?'],
    ['dia', 'unknownCommand', 'diag', '**dia** is not a command I know — did you mean **diag**?'],
    ['log of', 'unknownCommand', 'sign out', '**log** is not a command I know — did you mean **sign out**?'],
    [ID, 'unknownCommand', `show upload ${ID}`, `**${ID}** is not a command I know — did you mean **show upload ${ID}**?`],
  ])('%j fails: %s, suggesting %j', (text, reason, suggestion, message) => {
    const failure = expectInvalid(parseCommand(text));
    expect(failure.reason).toBe(reason);
    expect(failure.suggestion).toBe(suggestion);
    expect(said(failure.message)).toBe(message);
  });

  test.each<Command>([
    { kind: 'showImports' },
    { kind: 'showImport', importId: ID },
    { kind: 'listUploads' },
    { kind: 'listUploads', status: 'error' },
    { kind: 'diag' },
  ])('formatCommand(%j) parses back to itself', (command) => {
    expect(parseCommand(formatCommand(command))).toEqual(command);
  });
});
