import fs from 'node:fs';
import path from 'node:path';
import { GUID, GUID_INPUT_REGEX, guidProblem, isGuid, isGuidFragment, normaliseGuid, normaliseImportId, normaliseUploadId } from '../../bot/guid';

const ID = '8d639524-9524-8d63-2495-638d2495638d';

describe('the GUID shape', () => {
  test.each<[string, boolean]>([
    [ID, true],
    [ID.toUpperCase(), true],
    ['0F0E0D0C-0b0a-0908-0706-050403020100', true],
    [ID.slice(1), false],
    [`${ID}0`, false],
    [`{${ID}}`, false],
    [ID.replace(/-/g, ''), false],
    [`${ID.slice(0, -1)}g`, false],
    ['', false],
  ])('%j → %j', (text, valid) => {
    expect(GUID.test(text)).toBe(valid);
    expect(isGuid(text)).toBe(valid);
    // The card input accepts what the bot accepts, plus braces and surrounding spaces.
    expect(new RegExp(GUID_INPUT_REGEX).test(` {${text}} `)).toBe(valid);
  });

  test('the card input pattern is the one the cards always carried (card JSON unchanged)', () => {
    expect(GUID_INPUT_REGEX).toBe('^\\s*\\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\}?\\s*$');
  });

  test('upload and import ids are normalised alike: lower case, no braces', () => {
    for (const normalise of [normaliseGuid, normaliseUploadId, normaliseImportId]) {
      expect(normalise(`{${ID.toUpperCase()}}`)).toBe(ID);
      expect(normalise(`{${ID}`)).toBeUndefined();
      expect(normalise(`${'{'.repeat(2)}${ID}}}`)).toBeUndefined();
      expect(normalise(7 as unknown as string)).toBeUndefined();
    }
  });

  test.each<[string, ReturnType<typeof guidProblem>]>([
    ['1234', undefined],
    ['latest', undefined],
    ['x'.repeat(30), undefined], // no dash: not an attempt at a GUID
    [`${ID.slice(0, -1)}g`, { kind: 'notHex', character: 'g' }],
    [ID.slice(0, -1), { kind: 'length', length: 35 }],
    [`{${ID.slice(0, -2)}}`, { kind: 'length', length: 34 }],
    ['8d6395249-524-8d63-2495-638d2495638d', { kind: 'groups' }],
    [`{${ID}`, { kind: 'groups' }],
  ])('guidProblem(%j)', (text, problem) => {
    expect(guidProblem(text)).toEqual(problem);
  });

  test('an id fragment is hexadecimal digits and dashes only', () => {
    expect(isGuidFragment('8d63-95')).toBe(true);
    expect(isGuidFragment('comp')).toBe(false);
    expect(isGuidFragment('abc')).toBe(true);
  });
});

describe('one home for the GUID pattern', () => {
  const ROOT = path.join(__dirname, '../..');
  const sources = (dir: string): string[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = path.join(dir, e.name);
      return e.isDirectory() ? sources(rel) : e.name.endsWith('.ts') ? [rel] : [];
    });

  test('no file of bot/, cards/ or tools/ but bot/guid.ts spells out hexadecimal digit groups', () => {
    const offenders = ['bot', 'cards', 'tools']
      .flatMap(sources)
      .filter((file) => file !== path.join('bot', 'guid.ts'))
      .filter((file) => /\{(8|12)\}|\[0-9a-f/i.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
