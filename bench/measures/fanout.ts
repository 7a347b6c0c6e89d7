/**
 * Fan-out figures belong to the notifications issue: its bench writes bench/fanout-results.md.
 * They are included as they are, with where they came from; absent, the report says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../lib/root';

export type Fanout = { measurable: true; markdown: string; source: string; modified: Date } | { measurable: false; why: string };

export function readFanout(): Fanout {
  const file = path.join(repoRoot(), 'bench/fanout-results.md');
  if (!fs.existsSync(file)) {
    return { measurable: false, why: 'bench/fanout-results.md does not exist: the notifications bench (issue 5) has not produced it in this checkout' };
  }
  const markdown = fs.readFileSync(file, 'utf8').replace(/^# .*\n/, '');
  return { measurable: true, markdown, source: 'bench/fanout-results.md', modified: fs.statSync(file).mtime };
}
