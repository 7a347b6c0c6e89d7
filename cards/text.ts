/**
 * Rich text: a sentence as runs of plain text, some of them bold. It is how a message names the word it is about
 * ("**completed** is not a status") without Markdown: cards render each run as a `TextRun` (bold ones with
 * `weight: Bolder`), which Teams never parses as Markdown, so what a person typed is shown as typed and cannot
 * become formatting or a link. Teams shows a Markdown code span's backticks literally, which is why there are none.
 * Dependency-free, so the command parser can build messages without loading the templating engine.
 */

export interface TextPart {
  text: string;
  bold?: boolean;
}

export type RichText = readonly TextPart[];

/** A part in bold: a keyword, a status, or the word the person typed. */
export function bold(text: string): TextPart {
  return { text, bold: true };
}

/**
 * Builds rich text from a template literal: the literal's own text is plain, a `TextPart` keeps its weight, a
 * `RichText` is spliced in, a string is plain. `` rich`${bold(typed)} is not a status.` ``
 */
export function rich(strings: TemplateStringsArray, ...values: ReadonlyArray<TextPart | RichText | string>): RichText {
  const parts: TextPart[] = [];
  const push = (part: TextPart) => {
    if (part.text === '') return;
    const last = parts[parts.length - 1];
    // Adjacent runs of one weight are one run: fewer TextRuns, and the plain form reads the same.
    if (last && Boolean(last.bold) === Boolean(part.bold)) parts[parts.length - 1] = { ...last, text: last.text + part.text };
    else parts.push(part.bold ? { text: part.text, bold: true } : { text: part.text });
  };
  strings.forEach((literal, i) => {
    push({ text: literal });
    if (i >= values.length) return;
    const value = values[i]!;
    if (typeof value === 'string') push({ text: value });
    else if (isRichText(value)) value.forEach(push);
    else push(value as TextPart);
  });
  return parts;
}

/** Joins rich texts with a separator (plain). */
export function joinRich(texts: readonly RichText[], separator = ' '): RichText {
  const result: TextPart[] = [];
  texts.forEach((t, i) => {
    if (i > 0) result.push({ text: separator });
    result.push(...t);
  });
  return rich`${result}`;
}

/** The words without weights: for logs, the invoke error message and tests. */
export function plainText(value: string | RichText | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : value.map((part) => part.text).join('');
}

export function isRichText(value: unknown): value is RichText {
  return Array.isArray(value) && value.every((part) => typeof part === 'object' && part !== null && typeof part.text === 'string');
}
