/**
 * On-behalf-of exchanges per user over 100 commands, counted by the Entra stand-in's token
 * endpoint (successful OBO grants per user), on a freshly started bot: the first command of each
 * person includes Teams SSO, the other 99 should reuse the user's credential and its token cache.
 */
import type { UserKey } from '../../sandbox/directory';
import { SEED } from '../../sandbox/graph';
import { fullFlow, replyTurn } from '../lib/flows';
import type { BotProcess } from '../lib/processes';
import type { StandIns } from '../lib/standins';

export interface OboResult {
  commandsPerUser: number;
  mix: string;
  perUser: Record<string, number>;
  tokenExchanges: Record<string, number>;
  failures: string[];
}

const EVERY_NTH_IS_A_CHANGE = 5;

/** Each person changes an upload of their own (back and forth), so neither finds it already changed. */
const OWN_UPLOAD: Record<string, { id: string; seeded: string }> = {
  alex: { id: SEED.pending, seeded: 'pending' },
  adele: { id: SEED.noUpload, seeded: 'noUpload' },
};

export async function measureObo(s: StandIns, bot: BotProcess, commandsPerUser: number): Promise<OboResult> {
  s.teams.setBotEndpoint(bot.endpoint);
  s.graph.reset();
  s.entra.resetStats();
  const people: UserKey[] = ['alex', 'adele'];
  const invokesBefore = s.teams.invokes().length;
  const failures: string[] = [];
  // Two people in parallel, each command after the other, as people type.
  await Promise.all(
    people.map(async (person) => {
      const chat = s.teams.personalChat(person);
      for (let i = 0; i < commandsPerUser; i++) {
        try {
          if (i % EVERY_NTH_IS_A_CHANGE === 0) {
            const r = await fullFlow(chat, OWN_UPLOAD[person].id, i % 2 ? OWN_UPLOAD[person].seeded : 'complete');
            if (!r.applied) failures.push(`${person} #${i}: not applied: ${r.resultText.slice(0, 120)}`);
          } else {
            await replyTurn(chat, `show upload ${SEED.complete}`);
          }
        } catch (err) {
          failures.push(`${person} #${i}: ${(err as Error).message}`);
        }
      }
    }),
  );
  const stats = s.entra.stats();
  const tokenExchanges: Record<string, number> = {};
  for (const inv of s.teams.invokes().slice(invokesBefore)) {
    if (inv.name === 'signin/tokenExchange' || inv.reason === 'card-sso') tokenExchanges[inv.user] = (tokenExchanges[inv.user] ?? 0) + 1;
  }
  return {
    commandsPerUser,
    mix: `every ${EVERY_NTH_IS_A_CHANGE}th command a full change flow (set upload → Confirm), the others \`show upload\``,
    perUser: Object.fromEntries(people.map((p) => [p, stats.oboByUser[p] ?? 0])),
    tokenExchanges,
    failures,
  };
}
