/** Where the repository is, wherever this file runs from (bench/ under swc, dist/bench/ under node). */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'env'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${from}`);
    dir = up;
  }
}

/** env/.env.local: the sandbox's configuration, which every bench/soak bot starts from. */
export function envLocal(): Record<string, string> {
  return parseEnv(fs.readFileSync(path.join(repoRoot(), 'env/.env.local'), 'utf8')) as Record<string, string>;
}

/** A compiled entry point under dist/, or a clear error saying how to build it. */
export function distEntry(relative: string): string {
  const file = path.join(repoRoot(), 'dist', relative);
  if (!fs.existsSync(file)) throw new Error(`${path.relative(repoRoot(), file)} does not exist: run \`npx tsc -p .\` (npm test and npm run bench do) first`);
  return file;
}

/** Whether a compiled module exists (optional parts built by other issues). */
export function distHas(relative: string): boolean {
  return fs.existsSync(path.join(repoRoot(), 'dist', relative));
}
