/**
 * Teams renders a plain text message as Markdown: a display name like `**Admin** [click](https://x)`
 * would become formatting or a link. Names and other user-controlled words in such messages go
 * through here (cards carry them as TextRuns instead, which are never Markdown).
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}
