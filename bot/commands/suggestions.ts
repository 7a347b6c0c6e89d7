/**
 * "Did you mean": the status or the command word closest to what was typed — a synonym, a typo or a prefix. Pure
 * lookups; the grammar turns a suggested word into a full corrected command (grammar.ts `unknownCommand`).
 */
import type { UploadStatus } from '../model';
import { lookup } from './lookup';
import { closest } from './similarity';
import { STATUS_BY_COMPACT, parseStatus } from './status';
import { compact } from './tokenize';

/** Words people use for a status that is not its name. */
const STATUS_SYNONYMS: Readonly<Record<string, UploadStatus>> = {
  completed: 'complete',
  done: 'complete',
  finished: 'complete',
  success: 'complete',
  succeeded: 'complete',
  successful: 'complete',
  uploaded: 'complete',
  failed: 'error',
  failure: 'error',
  fail: 'error',
  errored: 'error',
  errors: 'error',
  inprogress: 'pending',
  processing: 'pending',
  queued: 'pending',
  waiting: 'pending',
  none: 'noUpload',
  notuploaded: 'noUpload',
  new: 'noUpload',
};

/** The status closest to what was typed (its name, a synonym, a typo or a prefix), or undefined. */
export function suggestStatus(input: string): UploadStatus | undefined {
  if (typeof input !== 'string' || input.length > 40) return undefined;
  const exact = parseStatus(input);
  if (exact) return exact;
  const word = compact(input);
  const synonym = lookup(STATUS_SYNONYMS, word);
  if (synonym) return synonym;
  const near = closest(word, Object.keys(STATUS_BY_COMPACT));
  return near === undefined ? undefined : STATUS_BY_COMPACT[near];
}

/**
 * Every first word of the grammar (compact form) mapped to the words that start the command. The order matters:
 * on a tie between two typos the earlier wins. A unit test checks that each target starts a command of the grammar.
 */
export const COMMAND_WORDS: Readonly<Record<string, string>> = {
  help: 'help',
  set: 'set',
  show: 'show',
  list: 'list',
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  subscriptions: 'subscriptions',
  diag: 'diag',
  signout: 'sign out',
  logout: 'sign out',
};

/** Words that are not commands but plainly mean one. */
export const COMMAND_SYNONYMS: Readonly<Record<string, string>> = {
  get: 'show',
  view: 'show',
  display: 'show',
  status: 'show',
  ls: 'list',
  find: 'list',
  browse: 'list',
  update: 'set',
  change: 'set',
  mark: 'set',
  signoff: 'sign out',
  commands: 'help',
};

/** The command words someone probably meant by the first one (or two) of `words`, and how many words that replaces. */
export function suggestCommandWords(words: readonly string[]): { words: string; replaces: number } | undefined {
  const first = words[0];
  if (first === undefined) return undefined;
  const firstCompact = compact(first);
  const synonym = lookup(COMMAND_SYNONYMS, firstCompact);
  if (synonym) return { words: synonym, replaces: 1 };
  // A prefix stands for a command only on its own (`unsub`): `sign in` is not a short `sign out`.
  const near = closest(firstCompact, Object.keys(COMMAND_WORDS), words.length === 1);
  if (near) return { words: COMMAND_WORDS[near]!, replaces: 1 };
  const twoWord = words.length >= 2 ? compact(`${first}${words[1]}`) : '';
  if (twoWord && closest(twoWord, ['signout', 'logout'])) return { words: 'sign out', replaces: 2 };
  return undefined;
}
