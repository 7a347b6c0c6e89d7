/**
 * A test notation for rich text: bold parts between `**`, as DESIGN.md writes them ("**completed** is not a
 * status"). Only assertions read it; the bot never sends Markdown for these messages.
 */
import { type RichText, isRichText } from '../../cards/text';

export function said(value: RichText | string | undefined): string {
  if (value === undefined) return '';
  if (!isRichText(value)) return String(value);
  return value.map((part) => (part.bold ? `**${part.text}**` : part.text)).join('');
}

/** A card's RichTextBlocks in that notation (bolder TextRuns between `**`), one string per block. */
export function saidOnCard(card: unknown): string[] {
  const blocks: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const el = node as Record<string, unknown>;
    if (el.type === 'RichTextBlock' && Array.isArray(el.inlines)) {
      blocks.push(
        (el.inlines as Array<{ text?: string; weight?: string }>)
          .map((run) => (String(run.weight).toLowerCase() === 'bolder' ? `**${run.text}**` : (run.text ?? '')))
          .join(''),
      );
    }
    Object.values(el).forEach(visit);
  };
  visit(card);
  // Zero-width spaces (where a long word may break) are invisible.
  return blocks.map((block) => block.replace(/\u200b/g, ''));
}
