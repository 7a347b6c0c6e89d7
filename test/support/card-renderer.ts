/**
 * Cards as Teams shows them: each card is parsed and validated by Microsoft's Adaptive Cards JS SDK
 * (`adaptivecards`, target version 1.5) and rendered in Debian's headless Chromium, with TextBlock
 * Markdown limited to what Teams renders (card-page.js). The SDK package is ESM with an ESM-only peer,
 * so its UMD bundle is loaded into the page, never through jest's require. The page reaches nothing:
 * every request that is not loopback is aborted and recorded.
 *
 * Also the checks the SDK does not make (version ≤ 1.5, labels on every input, Markdown Teams does not
 * render, TextBlocks that do not wrap) and a contact sheet for people: index.html and a PNG of every card.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../..');
const SDK = path.join(ROOT, 'node_modules/adaptivecards/dist/adaptivecards.min.js');
const SDK_CSS = path.join(ROOT, 'node_modules/adaptivecards/dist/adaptivecards.css');
const PAGE_SCRIPT = path.join(__dirname, 'card-page.js');

/** Teams on a phone, and a chat column on the desktop. */
export const CARD_WIDTHS = [320, 500] as const;

/** Time zone the page renders `{{DATE()}}`/`{{TIME()}}` in: any viewer's own, here one that is not UTC. */
export const VIEWER_TIME_ZONE = 'Europe/Berlin';

export interface CardSample {
  /** The template the card comes from (its file name without `.json`). */
  template: string;
  /** What this sample shows, unique. */
  name: string;
  card: { content?: unknown };
}

export interface CardReview {
  sample: CardSample;
  /** Every problem found, each naming the width it showed at when it is a rendering one. Empty = fine. */
  problems: string[];
  /** What a reader sees at each width (innerText). */
  text: Record<number, string>;
}

type Node = Record<string, unknown>;

function nodes(value: unknown, found: Node[] = []): Node[] {
  if (Array.isArray(value)) value.forEach((item) => nodes(item, found));
  else if (typeof value === 'object' && value !== null) {
    found.push(value as Node);
    Object.values(value).forEach((child) => nodes(child, found));
  }
  return found;
}

/** Markdown in a TextBlock that Teams does not render, so its marks would show: code, headings, quotes, strike, images, tables. */
const UNRENDERED_MARKDOWN: ReadonlyArray<[RegExp, string]> = [
  [/`/, 'a backtick (Teams has no code spans: it shows them literally)'],
  [/^\s{0,3}#{1,6}\s/m, 'a Markdown heading'],
  [/^\s{0,3}>/m, 'a Markdown quote'],
  [/~~/, 'Markdown strikethrough'],
  [/!\[/, 'a Markdown image'],
  [/^\s*\|.*\|\s*$/m, 'a Markdown table'],
];

/** The card JSON itself: what Teams needs that the SDK does not check. */
export function jsonProblems(content: unknown): string[] {
  const problems: string[] = [];
  const card = content as Node;
  const version = /^(\d+)\.(\d+)$/.exec(String(card.version));
  if (!version || Number(version[1]) !== 1 || Number(version[2]) > 5) problems.push(`version ${String(card.version)}: Teams renders bot cards up to 1.5`);
  for (const node of nodes(card)) {
    const type = String(node.type);
    if (type.startsWith('Input.')) {
      if (typeof node.label !== 'string' || node.label.trim() === '') problems.push(`${type} ${String(node.id)} has no label`);
      if (node.isRequired === true && (typeof node.errorMessage !== 'string' || node.errorMessage.trim() === '')) {
        problems.push(`${type} ${String(node.id)} is required but has no errorMessage`);
      }
    }
    if (type === 'TextBlock') {
      const text = String(node.text);
      for (const [pattern, what] of UNRENDERED_MARKDOWN) if (pattern.test(text)) problems.push(`TextBlock "${text.slice(0, 60)}" has ${what}`);
      if (node.wrap !== true) problems.push(`TextBlock "${text.slice(0, 60)}" does not wrap (long text would be cut off)`);
    }
    if (type === 'TextRun' && String(node.text).includes('`')) {
      problems.push(`TextRun "${String(node.text).slice(0, 60)}" has a backtick (a TextRun is plain text: it shows literally)`);
    }
  }
  return problems;
}

/** What a reader sees must carry no Markdown marks and no unevaluated expressions. */
function visibleTextProblems(text: string): string[] {
  const problems: string[] = [];
  const show = (what: string, at: number) => `${what}: "…${text.slice(Math.max(0, at - 30), at + 30).replace(/\s+/g, ' ')}…"`;
  for (const [mark, what] of [
    ['`', 'a backtick shows'],
    ['**', 'Markdown bold marks show'],
    ['{{', 'an unevaluated DATE()/TIME() shows'],
    ['${', 'an unbound template expression shows'],
  ] as const) {
    const at = text.indexOf(mark);
    if (at >= 0) problems.push(show(what, at));
  }
  return problems;
}

export class CardRenderer {
  private constructor(
    private readonly browser: Browser,
    private readonly context: BrowserContext,
    private readonly page: Page,
    /** Hosts the page tried to reach beyond loopback (all aborted). */
    readonly blocked: Set<string>,
  ) {}

  static async open(): Promise<CardRenderer> {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Rendering cards needs Debian's Chromium at ${CHROMIUM}: apt-get install chromium (nothing is downloaded).`);
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'en-US', timezoneId: VIEWER_TIME_ZONE });
      const blocked = new Set<string>();
      await context.route(/^(?!https?:\/\/(127\.0\.0\.1|localhost)[:/])[a-z]+:/i, (route) => {
        const url = route.request().url();
        if (url.startsWith('data:') || url.startsWith('about:')) return route.continue();
        blocked.add(/^[a-z]+:\/\/([^/]+)/i.exec(url)?.[1] ?? url.slice(0, 60));
        return route.abort();
      });
      const page = await context.newPage();
      await page.setContent(
        `<!doctype html><html><head><meta charset="utf-8"><title>Adaptive Cards of the bot</title><style>${SHEET_CSS}</style></head>` +
          '<body><h1>Adaptive Cards of the bot, as the Adaptive Cards SDK renders them</h1><main id="sheet"></main></body></html>',
      );
      await page.addStyleTag({ path: SDK_CSS });
      await page.addScriptTag({ path: SDK });
      await page.addScriptTag({ path: PAGE_SCRIPT });
      return new CardRenderer(browser, context, page, blocked);
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  /** Parses, validates and renders one card at every width, adding it to the contact sheet. */
  async review(sample: CardSample): Promise<CardReview> {
    const problems = jsonProblems(sample.card.content);
    const results = await this.page.evaluate(
      ([name, payload, widths]) => (globalThis as unknown as PageApi).cardSheet.add(name, payload, widths),
      [sample.name, sample.card.content, [...CARD_WIDTHS]] as const,
    );
    const text: Record<number, string> = {};
    const sdkSeen = new Set<string>();
    results.forEach((result, i) => {
      const width = CARD_WIDTHS[i]!;
      text[width] = result.text;
      // Parse and validation events do not depend on the width: report them once.
      for (const event of result.events) {
        if (sdkSeen.has(event)) continue;
        sdkSeen.add(event);
        problems.push(`SDK: ${event}`);
      }
      if (i === 0) {
        if (result.version !== '1.5' && !/^1\.[0-4]$/.test(result.version)) problems.push(`SDK read version ${result.version}`);
        for (const input of result.inputs) {
          if (!input.label) problems.push(`SDK: ${input.type} ${input.id} has no label`);
          if (input.isRequired && !input.errorMessage) problems.push(`SDK: ${input.type} ${input.id} is required but has no errorMessage`);
        }
        problems.push(...visibleTextProblems(result.text));
      }
      problems.push(...result.layout.map((p) => `at ${width}px: ${p}`));
    });
    await this.page.evaluate(([name, found]) => (globalThis as unknown as PageApi).cardSheet.showProblems(name, found), [sample.name, problems] as const);
    return { sample, problems: [...new Set(problems)], text };
  }

  /** Writes `index.html` (the rendered cards, without scripts) and `contact-sheet.png`, plus one PNG per sample. */
  async writeContactSheet(dir: string): Promise<{ html: string; png: string }> {
    fs.mkdirSync(dir, { recursive: true });
    for (const old of fs.readdirSync(dir)) if (old.endsWith('.png') || old.endsWith('.html')) fs.rmSync(path.join(dir, old));
    const sections = await this.page.locator('section[data-sample]').all();
    for (const [i, section] of sections.entries()) {
      const name = (await section.getAttribute('data-sample')) ?? `card-${i}`;
      await section.screenshot({ path: path.join(dir, `${String(i + 1).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.png`) });
    }
    const png = path.join(dir, 'contact-sheet.png');
    await this.page.screenshot({ path: png, fullPage: true });
    const html = path.join(dir, 'index.html');
    const content = await this.page.evaluate(() => (globalThis as unknown as PageApi).cardSheet.html());
    fs.writeFileSync(html, content);
    return { html, png };
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    await this.browser.close().catch(() => undefined);
  }
}

/** What card-page.js puts on the page. */
interface PageApi {
  cardSheet: {
    add(name: string, payload: unknown, widths: readonly number[]): PageReview[];
    showProblems(name: string, problems: readonly string[]): void;
    html(): string;
  };
}

interface PageReview {
  events: string[];
  inputs: Array<{ id: string; type: string; label: string; isRequired: boolean; errorMessage: string }>;
  layout: string[];
  text: string;
  version: string;
}

const SHEET_CSS = `
  body { font-family: system-ui, sans-serif; background: #f0f0f0; margin: 16px; }
  h1 { font-size: 18px; }
  #sheet { display: grid; grid-template-columns: repeat(2, max-content); gap: 16px; align-items: start; }
  section { background: #e4e4ec; padding: 8px 12px 12px; border-radius: 6px; }
  h2 { font-size: 13px; margin: 0 0 8px; color: #333; }
  .row { display: flex; gap: 12px; align-items: flex-start; }
  .frame { box-shadow: 0 1px 3px rgba(0,0,0,.25); border-radius: 4px; overflow: visible; background: white; }
  .problems { color: #a00; font-size: 12px; max-width: 832px; }
`;
