/**
 * Every card as Teams would show it: Microsoft's Adaptive Cards SDK parses and validates it for
 * version 1.5 and renders it in headless Chromium, with the longest values the bot produces
 * (test/support/card-samples.ts). A contact sheet for people goes to test-output/cards/
 * (index.html, contact-sheet.png and one PNG per sample).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { CardRenderer, type CardReview, jsonProblems } from '../support/card-renderer';
import { LONGEST_NAME, LONGEST_NOTE, cardSamples } from '../support/card-samples';

const ROOT = path.resolve(__dirname, '../..');
const OUT = path.join(ROOT, 'test-output', 'cards');

jest.setTimeout(120_000);

describe('cards as Teams shows them (Adaptive Cards SDK in Chromium)', () => {
  const samples = cardSamples();
  let renderer: CardRenderer;
  const reviews = new Map<string, CardReview>();

  beforeAll(async () => {
    renderer = await CardRenderer.open();
    for (const sample of samples) reviews.set(sample.name, await renderer.review(sample));
    await renderer.writeContactSheet(OUT);
  });

  afterAll(async () => {
    await renderer?.close();
  });

  test('the samples cover every template, under unique names', () => {
    const templates = readdirSync(path.join(ROOT, 'cards/templates')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    expect([...new Set(samples.map((s) => s.template))].sort()).toEqual(templates.sort());
    expect(new Set(samples.map((s) => s.name)).size).toBe(samples.length);
  });

  test.each(samples.map((s) => s.name))('%s', (name) => {
    expect(reviews.get(name)!.problems).toEqual([]);
  });

  test('the page reached nothing beyond loopback', () => {
    expect([...renderer.blocked]).toEqual([]);
  });

  test('the longest values are shown whole, and times in the viewer\'s own time zone', () => {
    const text = (name: string) => reviews.get(name)!.text[500]!.replace(/\s+/g, ' ');
    expect(text('pendingChannel — longest requester name')).toContain(LONGEST_NAME);
    expect(text('changeNotification — notify API, longest actor and note')).toContain(LONGEST_NOTE);
    // 10:42:07 UTC on 1 June 2025 is 12:42 in Berlin (summer time): Teams' TIME() is local to whoever reads it.
    expect(text('changeNotification — notify API, longest actor and note')).toMatch(/12:42\s?PM/);
  });

  test('the checks find what Teams would show wrongly', () => {
    const base = samples.find((s) => s.template === 'setUploadForm')!.card.content as { body: Array<Record<string, unknown>>; version: string };
    const unlabelled = { ...base, body: base.body.map((el) => (el.type === 'Input.Text' ? { ...el, label: undefined } : el)) };
    expect(jsonProblems(unlabelled)).toEqual([expect.stringContaining('has no label')]);
    const code = { ...base, version: '1.6', body: [...base.body, { type: 'TextBlock', text: '`completed` is not a status', wrap: false }] };
    expect(jsonProblems(code)).toEqual([
      expect.stringContaining('version 1.6'),
      expect.stringContaining('backtick'),
      expect.stringContaining('does not wrap'),
    ]);
  });

  test('the SDK and the rendered page report what the JSON checks cannot see', async () => {
    // Reviewed after the contact sheet was written, so it stays out of it.
    const broken = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [
        { type: 'Carousel', pages: [] },
        { type: 'Input.Text', id: 'x', isRequired: true },
        { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'x'.repeat(120) }] },
        { type: 'ColumnSet', columns: [{ type: 'Column', width: 'auto', items: [{ type: 'TextBlock', text: `typed ${'word '.repeat(40)}` }] }] },
        { type: 'Container', style: 'bogus', items: [{ type: 'TextBlock', text: '**bold** and `code`', wrap: true }] },
      ],
    };
    const { problems } = await renderer.review({ template: 'none', name: 'deliberately broken', card: { content: broken } });
    const sdk = problems.filter((p) => p.startsWith('SDK: '));
    expect(sdk).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/UnsupportedProperty|UnknownElementType|InvalidPropertyValue/), // Carousel is 1.6
        expect.stringContaining('Invalid value "bogus"'),
        expect.stringContaining('RequiredInputsShouldHaveLabel'),
        expect.stringContaining('RequiredInputsShouldHaveErrorMessage'),
      ]),
    );
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^at 320px: .*(cut off|sticks out)/), expect.stringContaining('a backtick shows')]));
    expect(problems.some((p) => p.includes('Markdown bold marks show'))).toBe(false); // **bold** is Markdown Teams renders
  });
});
