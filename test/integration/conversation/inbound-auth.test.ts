/**
 * Production auth: an activity that is unsigned, forged, expired, for another audience or another
 * serviceUrl never runs a turn — it is answered 401, nothing is answered in the chat, no Graph or
 * Entra call is made.
 */
import type { ChannelAuth } from '../../../sandbox/teams';
import { SEED, turnLines, useWorld } from './helpers';

describe('inbound authentication', () => {
  const world = useWorld();
  let silence: jest.SpyInstance;
  beforeEach(() => {
    // botbuilder prints refused tokens to console.error.
    silence = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => silence.mockRestore());

  const refused: ChannelAuth[] = ['none', 'forged', 'expired', 'notYetValid', 'wrongAudience', 'wrongServiceUrl', 'wrongIssuer', 'unknownKey'];

  it.each(refused)('an activity signed "%s" is refused and runs no turn', async (auth) => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const warmUp = await chat.send('help');
    const turnsBefore = turnLines(w).length;
    const sentBefore = w.teams.sent().length;
    const graphBefore = w.graph.requests().length;

    const activity = { ...warmUp.activity, id: `${Date.now()}`, text: `set upload ${SEED.pending} to complete` };
    const answer = await w.teams.postRaw(activity, { auth });

    // botbuilder itself answers a forged signature with a known kid 500 (DESIGN.md facts); the facade makes every refusal a 401
    // with one fixed body that carries none of botbuilder's messages.
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: { code: 'Unauthorized', message: 'The request is not signed by the Bot Connector for this bot.' } });
    expect(turnLines(w).length).toBe(turnsBefore);
    expect(w.teams.sent().length).toBe(sentBefore);
    expect(w.graph.requests().length).toBe(graphBefore);
    expect(w.logs()).toContain('"msg":"request refused before a turn"');
  });

  it('the same activity, properly signed, does run (the refusals above are about the signature)', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const warmUp = await chat.send('help');
    const turnsBefore = turnLines(w).length;
    const answer = await w.teams.postRaw({ ...warmUp.activity, id: `${Date.now()}`, text: 'help' }, { auth: 'valid' });
    expect(answer.status).toBe(200);
    expect(turnLines(w).length).toBe(turnsBefore + 1);
  });
});
