/** Values a hostile or broken client might put anywhere: odd Unicode, wrong types, huge sizes. */
import fc from 'fast-check';

/** Code units and sequences that break naive text handling. */
export const ODD_PIECES = [
  '\uD800', '\uDBFF', '\uDC00', '\uDFFF', // lone surrogates
  '\u202E', '\u202D', '\u2066', '\u2069', // bidi overrides and isolates
  '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', // invisible
  '\u0301', '\u0336', '\u20DD', // combining marks
  '\u0000', '\u0007', '\u001B', '\u007F', '\u0085', '\u2028', '\u2029', '\r\n', '\t',
  '\uFFFD', '\uFFFF', '\uFFFE', '𝕏', '👩‍👩‍👧', 'ﷺ', 'İ', 'ß', 'Ⅻ', '\u00A0', '\u3000',
  '<at>Autopilot Uploads</at>', '&nbsp;', '&#160;', '<script>alert(1)</script>', '**', '[x](javascript:alert(1))',
  '${problem}', '${$root}', '{{DATE(2020-01-01T00:00:00Z)}}', '%s', '%n', '\\', '"', "'", '`', '{', '}', '[', ']',
  'set', 'upload', 'to', 'complete', 'help', 'show', 'sign out', 'subscribe',
];

const oddUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_PIECES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
);

export const oddString = (maxLength = 48): fc.Arbitrary<string> => fc.string({ unit: oddUnit, maxLength });

/** Long text: 1 K to 120 K code units (past the 100 KB Teams limit, around the bot's 256 KB body limit once escaped). */
export const longString: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1_000, max: 120_000 }), fc.constantFrom('x', 'é', '\u202E', '\uD800', '👩‍👩‍👧', '"', '\\', ' '))
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));

/** Built once: 10,000-entry arrays of each kind (serialised per case, never mutated). */
const HUGE_ARRAYS: unknown[][] = [
  Array.from({ length: 10_000 }, () => ({})),
  Array.from({ length: 10_000 }, (_, i) => i),
  Array.from({ length: 10_000 }, () => 'a'),
  Array.from({ length: 10_000 }, () => ({ type: 'mention', mentioned: { id: 'x' }, text: '<at>x</at>' })),
  Array.from({ length: 10_000 }, () => null),
];
export const hugeArray: fc.Arbitrary<unknown[]> = fc.constantFrom(...HUGE_ARRAYS);

const deepNest: fc.Arbitrary<unknown> = fc.integer({ min: 10, max: 2_000 }).map((depth) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
});

/** Anything at all, in the place of a value of some other type. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(0), fc.constant(-1), fc.constant(1e308)) },
  { weight: 3, arbitrary: oddString() },
  { weight: 2, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.dictionary(oddString(12), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'undefined', 'NaN', '[object Object]', '__proto__', 'constructor', 'toString') },
  { weight: 1, arbitrary: fc.constant({ __proto__: { polluted: true } }).map(() => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')) },
  { weight: 1, arbitrary: longString },
  { weight: 1, arbitrary: hugeArray },
  { weight: 1, arbitrary: deepNest },
);

/** A 43-character base64url string: the format of a pending change's key. */
export const keyShaped: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
  minLength: 43,
  maxLength: 43,
});
