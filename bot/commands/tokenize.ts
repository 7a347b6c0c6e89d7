/**
 * Text as it arrives, made into words. Text comes after botbuilder removed the bot's @mention, so it may still carry
 * whitespace, `&nbsp;`, a leading `<at>…</at>` (when removal missed it), newlines, invisible characters, quotes, a
 * leading `/` or a trailing period; all of that is tolerated here so the grammar sees plain words.
 */

const NBSP_ENTITY = /&(?:nbsp|#160|#x0*a0);/gi;
/** Zero-width characters and the soft hyphen: invisible, but they break keyword and GUID matching. */
const INVISIBLE = /[\u200b-\u200d\u2060\u00ad]/g;
const LEADING_MENTIONS = /^\s*(?:<at(?:\s[^>]*)?>[^<]*<\/at>\s*)+/i;
const QUOTES = /^["'`\u2018\u2019\u201c\u201d]+|["'`\u2018\u2019\u201c\u201d]+$/g;

/** The words of a message, in order; none is empty. */
export function tokenize(raw: string): string[] {
  let text = raw
    .replace(NBSP_ENTITY, ' ')
    .replace(INVISIBLE, '')
    .replace(LEADING_MENTIONS, '')
    .replace(/\s+/g, ' ') // JS \s covers U+00A0, U+FEFF, U+2000–U+200A, U+3000, newlines
    .trim()
    .replace(/^\/+/, ''); // "/help", as typed from a command menu habit
  // A trailing period (or ! ?) is punctuation, not part of the last word; a lone "?" is kept and means help.
  const withoutPunctuation = text.replace(/\s*[.!?\u3002]+$/u, '');
  if (withoutPunctuation !== '') text = withoutPunctuation;
  return text
    .split(' ')
    .map(stripQuotes)
    .filter((word) => word !== '');
}

export function stripQuotes(s: string): string {
  return s.replace(QUOTES, '');
}

/** Lower case without spaces, hyphens, underscores or surrounding quotes: `No-Upload` → `noupload`, `Sign-Out` → `signout`. */
export function compact(s: string): string {
  return stripQuotes(s).toLowerCase().replace(/[\s_-]+/g, '');
}
