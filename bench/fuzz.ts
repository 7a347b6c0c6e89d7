/**
 * The long fuzz run: the properties of test/fuzz/properties.ts (the ones the seeded jest run
 * uses), 100,000 cases in all by default, each target against its own world (the real bot in
 * production auth mode and the stand-ins, in this process). Writes bench/fuzz-results.md.
 *
 *   npm run fuzz                                   100,000 cases (green targets), a fresh seed (printed)
 *   FUZZ_CASES=5000 FUZZ_SEED=42 npm run fuzz      fewer cases, a given seed
 *   FUZZ_TARGETS=card-actions FUZZ_CASES=… FUZZ_SEED=… FUZZ_PATH=… npm run fuzz
 *                                                  replays one failure exactly (the table prints the line)
 *
 * Green targets must end with every column at 0. KNOWN targets (failing on today's code because
 * of an issue being fixed) run until their first failure and are reported apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import '../test/support/offline';
import { describeFailure, runTarget, type TargetResult } from '../test/fuzz/harness';
import { TARGETS } from '../test/fuzz/properties';
import { repoRoot } from './lib/root';

function intFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

const totalCases = intFrom('FUZZ_CASES', 100_000);
const seed = intFrom('FUZZ_SEED', (Date.now() % 2_147_483_647) || 1);
const only = (process.env.FUZZ_TARGETS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const replayPath = process.env.FUZZ_PATH || undefined;

const unknown = only.filter((id) => !TARGETS.some((t) => t.id === id));
if (unknown.length) throw new Error(`FUZZ_TARGETS names unknown targets: ${unknown.join(', ')} (known: ${TARGETS.map((t) => t.id).join(', ')})`);
const selected = TARGETS.filter((t) => only.length === 0 || only.includes(t.id));
if (replayPath && selected.length !== 1) throw new Error('FUZZ_PATH replays one target: set FUZZ_TARGETS to its id');

/**
 * The green targets share FUZZ_CASES by weight (so a full run is ≥ FUZZ_CASES cases of them);
 * a KNOWN target gets up to KNOWN_CASES on top and stops at its first failure.
 */
const KNOWN_CASES = 200;
const greenWeights = selected.filter((t) => !t.known).reduce((sum, t) => sum + t.weight, 0);
const casesFor = (t: (typeof TARGETS)[number]) =>
  t.known ? (selected.length === 1 ? totalCases : KNOWN_CASES) : Math.max(1, Math.ceil((totalCases * t.weight) / greenWeights));

function row(r: TargetResult, cases: number): string {
  const t = r.tally;
  const verdict = r.failure ? (r.known ? 'fails (KNOWN)' : '**FAILED**') : r.sanity ? '**FAILED** (after-run check)' : r.known ? '**passes now: drop `known`**' : 'passed';
  const replay = r.failure ? `\`FUZZ_TARGETS=${r.id} FUZZ_CASES=${cases} FUZZ_SEED=${r.seed} FUZZ_PATH=${r.failure.path}\`` : '';
  return `| ${r.id} | ${t.cases} | ${t.crashes} | ${t.fiveXX} | ${t.patches} | ${t.contract} | ${t.leaks} | ${t.unhealthy} | ${t.known5xx} | ${(r.durationMs / 1000).toFixed(1)} s | ${verdict} | ${replay} |`;
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`fuzz: ${totalCases} cases, seed ${seed}, targets ${selected.map((t) => t.id).join(', ')}`);
  const results: Array<{ r: TargetResult; cases: number }> = [];
  for (const target of selected) {
    const cases = casesFor(target);
    const r = await runTarget(target, { numRuns: cases, seed, path: replayPath, endOnFailure: Boolean(target.known) });
    results.push({ r, cases });
    console.log(`${row(r, cases)}`);
    if (r.failure || r.sanity) console.log(describeFailure(r));
  }

  const header = [
    '| target | cases | crashes | 5xx | PATCHes without a Confirm | contract breaks | leaks | /healthz down | KNOWN 5xx tolerated | duration | result | replay |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  const green = results.filter(({ r }) => !r.known);
  const known = results.filter(({ r }) => r.known);
  const lines = [
    '# Fuzz results',
    '',
    `\`npm run fuzz\` on ${new Date().toISOString()}: FUZZ_CASES=${totalCases}, FUZZ_SEED=${seed}${replayPath ? `, FUZZ_PATH=${replayPath}` : ''}, ${((Date.now() - started) / 1000).toFixed(0)} s in all, Node ${process.version}.`,
    'Each target ran against its own world (Entra, Graph and Teams stand-ins plus the real bot in production auth mode, in this process).',
    'Properties: test/fuzz/properties.ts; invariants every case also meets: test/fuzz/harness.ts.',
    '',
    'Columns, each counted over every case fast-check ran (shrinking included): *crashes* = uncaught exceptions, unhandled rejections, hangs and dropped',
    'connections; *5xx* = answers ≥ 500 outside the KNOWN classes; *PATCHes without a Confirm* = PATCH requests the Graph stand-in received (no case',
    'ever confirms a real key); *contract breaks* = answers that break the target\'s own rule (a 2xx for an unsigned request, a malformed invoke',
    'answer, a notify status other than the contract\'s, a form answer naming no problem…); *leaks* = a stack frame, source path, token or secret in an',
    'answer or a message into Teams (or a token/secret in the logs); *KNOWN 5xx tolerated* = 500s before a turn (harness.ts KNOWN_5XX), counted, not failed.',
    '',
    '## Targets (every column must be 0)',
    '',
    ...header,
    ...green.map(({ r, cases }) => row(r, cases)),
    '',
    '## KNOWN failures (issues being fixed elsewhere; run to their first failure)',
    '',
    ...header,
    ...known.map(({ r, cases }) => row(r, cases)),
    '',
    ...known.flatMap(({ r }) => [`- **${r.id}** — ${r.known}`]),
    '',
  ];
  const failures = results.filter(({ r }) => r.failure || r.sanity);
  if (failures.length) {
    lines.push('## Failures', '');
    for (const { r } of failures) lines.push('```', describeFailure(r), '```', '');
  }
  const out = path.join(repoRoot(), 'bench', 'fuzz-results.md');
  fs.writeFileSync(out, lines.join('\n'));
  console.log(`wrote ${path.relative(repoRoot(), out)}`);

  const broken = green.filter(({ r }) => r.failure || r.sanity || Object.entries(r.tally).some(([k, v]) => k !== 'cases' && k !== 'known5xx' && v !== 0));
  process.exitCode = broken.length ? 1 : 0;
}

main().then(
  // Stand-ins and the bot are closed per target; anything still pending (keep-alive sockets) must not hold the process.
  () => setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref(),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
