/**
 * Ids, the one home of their shape: upload, import, tenant, app and object ids are all GUIDs (any version: Graph's
 * own example upload id is not an RFC 4122 one). Every check of an id's shape in the bot goes through here.
 */

/** 8-4-4-4-12 hexadecimal digits, either case. */
const GUID_BODY = [8, 4, 4, 4, 12].map((n) => `[0-9a-fA-F]{${n}}`).join('-');

/** The one GUID pattern of the bot. */
export const GUID = new RegExp(`^${GUID_BODY}$`);

export const isGuid = (value: unknown): value is string => typeof value === 'string' && GUID.test(value);

/**
 * The same shape for a card's client-side input check (`Input.Text.regex`): anchored, because renderers test it
 * unanchored; braces and surrounding spaces are allowed because the bot accepts them too (`normaliseGuid`).
 */
export const GUID_INPUT_REGEX = `^\\s*\\{?${GUID_BODY}\\}?\\s*$`;

/** A GUID as people paste it (optionally in braces, any case) in canonical form: lower case, no braces. */
export function normaliseGuid(s: string): string | undefined {
  if (typeof s !== 'string' || s.length > 38) return undefined;
  const bare = s.startsWith('{') && s.endsWith('}') ? s.slice(1, -1) : s;
  return GUID.test(bare) ? bare.toLowerCase() : undefined;
}

/** An upload id in canonical form, or undefined when it is not a GUID. */
export const normaliseUploadId = normaliseGuid;
/** An import id (`importId` of device identities): the same shape as an upload id. */
export const normaliseImportId = normaliseGuid;

export function isUploadId(s: string): boolean {
  return normaliseGuid(s) !== undefined;
}

/** Could be the start of an id: only hexadecimal digits and dashes (so not a word like `comp`). */
export function isGuidFragment(s: string): boolean {
  return /^[0-9a-f-]+$/i.test(s);
}

/** Why text that looks like an attempt at a GUID (20–50 letters, digits and dashes, one dash at least) is not one. */
export type GuidProblem =
  | { kind: 'notHex'; character: string }
  | { kind: 'length'; length: number }
  | { kind: 'groups' };

/**
 * What is wrong with an attempted GUID (braces ignored), or undefined when it is no attempt. Only asked about text
 * that failed `normaliseGuid`: a valid body with one unbalanced brace (`{…` alone) comes back as `groups`.
 */
export function guidProblem(text: string): GuidProblem | undefined {
  const bare = text.replace(/^\{/, '').replace(/\}$/, '');
  if (!/^[0-9a-z-]{20,50}$/i.test(bare) || !bare.includes('-')) return undefined;
  const notHex = /[^0-9a-f-]/i.exec(bare)?.[0];
  if (notHex) return { kind: 'notHex', character: notHex };
  if (bare.length !== 36) return { kind: 'length', length: bare.length };
  return { kind: 'groups' };
}
