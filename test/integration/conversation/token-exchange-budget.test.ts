/**
 * signin/tokenExchange answers within the invoke budget: when the parked command (Graph GET,
 * storage, the confirmation card) takes longer, the invoke is answered 200 and the command
 * finishes in the background — the card still arrives, exactly once.
 */
import { SEED, buttonTitles, turnLines, useWorld } from './helpers';

describe('a Graph slower than the invoke budget during message-level SSO', () => {
  const world = useWorld();

  it('the token exchange is answered 200 in time and the confirmation card follows', async () => {
    const w = world();
    // Not an environment variable: shorten the running bot's budget (10 s) to keep the test quick.
    w.bot.services.tokenExchangeBudgetMs = 500;
    const chat = w.teams.personalChat('alex');
    // The first Graph request is the parked command's GET (validation and OBO talk to Entra).
    w.graph.faults.next(1, { delayMs: 2_500 });
    const turn = await chat.send(`set upload ${SEED.pending} to complete`);

    expect(turn.invokes.map((i) => [i.name, i.status])).toEqual([['signin/tokenExchange', 200]]);
    expect(turn.invokes[0]!.timedOut).toBeUndefined();
    const exchange = turnLines(w).find((l) => l.name === 'signin/tokenExchange') as { outcome: string; durationMs: number } | undefined;
    expect(exchange?.outcome).toBe('sso-exchanged:command-continues');
    expect(exchange!.durationMs).toBeLessThan(2_500);

    const confirmation = await chat.waitFor((messages) => messages.find((m) => buttonTitles(m.card).includes('Confirm')), 15_000);
    expect(buttonTitles(confirmation.card)).toEqual(['Confirm', 'Cancel']);
    await w.teams.settled();
    expect(chat.messages().filter((m) => buttonTitles(m.card).includes('Confirm'))).toHaveLength(1);
    expect(w.graph.requests().filter((r) => r.method === 'GET')).toHaveLength(1);
  });
});
