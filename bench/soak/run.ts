/**
 * `npm run soak`: the two-instance soak for SOAK_MINUTES (default 3), printed and written to
 * bench/soak-results.md; exits 1 when the verdict fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../lib/root';
import { renderSoak } from './render';
import { failures, runSoak } from './soak';

async function main(): Promise<void> {
  const minutes = Number(process.env.SOAK_MINUTES ?? 3);
  const durationMs = Math.max(20_000, (Number.isFinite(minutes) ? minutes : 3) * 60_000);
  const log = (m: string) => process.stdout.write(`${m}\n`);
  log(`soak: ${durationMs / 1000} s, two instances, one Azurite`);
  const report = await runSoak({ durationMs, log });
  const problems = failures(report);
  const markdown = renderSoak(report, problems);
  const file = path.join(repoRoot(), 'bench/soak-results.md');
  fs.writeFileSync(file, markdown);
  log(markdown);
  log(`written to ${path.relative(repoRoot(), file)}`);
  process.exit(problems.length ? 1 : 0);
}

void main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
