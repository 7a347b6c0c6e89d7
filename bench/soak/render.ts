/** The soak's report as markdown. */
import { fmt } from '../lib/stats';
import type { SoakReport } from './soak';

export function renderSoak(r: SoakReport, problems: string[]): string {
  const v = r.verdict;
  const out: string[] = [];
  out.push('# Soak: two instances, one Azurite, faults');
  out.push('');
  out.push(`${fmt(r.wallMs / 1000, 0)} s of load; ${r.requests} activities delivered through the round-robin endpoint (${Object.entries(r.requestsByInstance).map(([k, n]) => `${k}: ${n}`).join(', ')}). ` +
    `Instance B SIGKILLed and restarted: ${r.downWindows.map((w) => `down ${fmt(w.from / 1000)}–${fmt(w.to / 1000)} s`).join(', ') || 'no kill happened'}. ` +
    `Graph faults injected: ${r.injectedFaults} (429 with Retry-After 1 and 503, alternating). Teams sends duplicate token exchanges (2 per OAuthCard).`);
  out.push('');
  out.push(`**Verdict: ${problems.length ? 'FAILED' : 'passed'}.**`);
  for (const p of problems) out.push(`- ${p}`);
  out.push('');
  out.push('| check | result |');
  out.push('|---|---|');
  out.push(`| change flows | ${r.flows} (${Object.entries(r.flowsByVariant).map(([k, n]) => `${k} ${n}`).join(', ')}) |`);
  out.push(`| Confirm outcomes seen | ${Object.entries(r.outcomes).map(([k, n]) => `${k} ${n}`).join(', ')} |`);
  out.push(`| confirmed and shown applied, PATCHed exactly once | ${r.log.flows.filter((f) => f.expect === 'one').length - v.notPatchedOnce.length} of ${r.log.flows.filter((f) => f.expect === 'one').length} |`);
  out.push(`| flows PATCHed more than once | ${v.patchedTwice.length} |`);
  const noCard = r.log.flows.filter((f) => f.noConfirmation);
  out.push(`| \`set upload\` answered without a confirmation card (instance down, or see examples) | ${noCard.length}${noCard.length ? `: ${noCard.slice(0, 3).map((f) => `${f.worker}: ${f.noConfirmation}`).join('; ')}` : ''} |`);
  out.push(`| not confirmed (cancel, walk away, refused, read-only) and changed | ${v.changedWithoutConfirm.length} of ${r.log.flows.filter((f) => f.expect === 'zero').length} |`);
  out.push(`| confirmed but cut by the kill (0 or 1 PATCH allowed) | ${v.interrupted.length}: ${v.interrupted.map((f) => `${f.patchesAfter - f.patchesBefore} PATCH`).join(', ') || '—'} |`);
  out.push(`| PATCHes outside any flow / by someone who did not confirm | ${v.strayPatches} / ${v.patchesByOthers.length} |`);
  out.push(`| cards confirmed on both instances | ${r.confirmsOnDifferentInstances} |`);
  out.push(`| signin/tokenExchange invokes (exchange ids Teams sent twice) / commands resumed more than once | ${r.tokenExchanges.total} (${r.tokenExchanges.duplicatedIds}) / ${v.resumedTwice.length} |`);
  out.push(`| 5xx with both instances up / while one was down | ${v.serverErrors.length} / ${v.serverErrorsWhileDown} |`);
  out.push(`| Graph requests | ${Object.entries(r.graphStatuses).map(([k, n]) => `${k}: ${n}`).join(', ')} |`);
  out.push(`| turns that went wrong (an outsider — no consent, other tenant, personal account — given a confirmation; 200 without a reply) | ${v.turnProblems.length} |`);
  if ('missing' in v.notifications) {
    out.push(`| notifications: channels, changes, missing, duplicates (outside kills) | ${v.notifications.channels}, ${v.notifications.changes}, ${v.notifications.missing.length}, ${v.notifications.duplicates} (${v.notifications.duplicatesOutsideKills}) |`);
  } else {
    out.push(`| notifications | not part of this soak: ${v.notifications.why} |`);
  }
  out.push('');
  out.push('Memory (VmRSS, median of samples; warm-up = first 40 % of each process\'s life, at least 5 s; baseline = the next 20 %, final = the last 20 %):');
  out.push('');
  out.push('| instance | pid | killed | baseline MiB | final MiB | growth |');
  out.push('|---|---|---|---|---|---|');
  for (const m of v.memory) out.push(`| ${m.instance} | ${m.pid} | ${m.killed ? 'yes' : 'no'} | ${fmt(m.baselineMiB)} | ${fmt(m.finalMiB)} | ${fmt(m.growth * 100)} %${m.judged ? '' : ' (life too short to judge)'} |`);
  out.push('');
  return out.join('\n');
}
