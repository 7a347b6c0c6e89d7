/**
 * What people (and broken clients) send that is not a command: specific replies, `${...}` kept
 * inert, 4xx for bodies that are not activities — and never a PATCH.
 */
import { EXAMPLE_UPLOAD_ID } from '../../../cards/ids';
import { MAX_BODY_BYTES } from '../../../bot/http/server';
import { saidOnCard } from '../../support/rich-text';
import { SEED, cardText, patches, postedCards, turnLines, useWorld } from './helpers';

/** The card's rich text with its bold runs between `**` (the words a message is about). */
const said = (card: unknown) => saidOnCard(card).join(' ');

describe('bad input', () => {
  const world = useWorld();
  it.each([
    [`set upload 1234 to complete`, '**1234** is not a valid upload id — an upload id is a GUID like **8d639524-9524-8d63-2495-638d2495638d**.'],
    [`show upload 6b1e8d2f-4c3a-4f9b-8e7d-2a3b4c5d6e7g`, '**6b1e8d2f-4c3a-4f9b-8e7d-2a3b4c5d6e7g** is not a valid upload id (**g** is not a hexadecimal digit)'],
    [`set upload 6b1e8d2f-4c3a-4f9b-8e7d-2a3b4c5d6e7 to pending`, '(it has 35 characters; a GUID has 36)'],
  ])('a malformed id in %j says what a GUID looks like', async (text, expected) => {
    const w = world();
    const turn = await w.teams.personalChat('alex').send(text);
    const card = postedCards(turn)[0];
    expect(said(card)).toContain(expected);
    expect(cardText(card)).toContain(EXAMPLE_UPLOAD_ID);
    expect(JSON.stringify(card)).not.toContain('`');
    expect(turn.invokes).toEqual([]); // no sign-in for a command that cannot run
    expect(w.graph.requests()).toEqual([]);
  });

  it('**completed** → "did you mean **complete**?", the valid list, and the corrected command to type', async () => {
    const w = world();
    const turn = await w.teams.personalChat('alex').send(`set upload ${SEED.pending} to completed`);
    const text = cardText(postedCards(turn)[0]);
    expect(said(postedCards(turn)[0])).toContain(
      '**completed** is not a status — did you mean **complete**? The statuses are **noUpload**, **pending**, **complete** and **error**.',
    );
    expect(text).toContain(`set upload ${SEED.pending} to complete`);
    expect(w.graph.requests()).toEqual([]);
  });

  it('an unknown status with no close match lists the valid ones', async () => {
    const w = world();
    const turn = await w.teams.personalChat('alex').send(`set upload ${SEED.pending} to banana`);
    expect(said(postedCards(turn)[0])).toContain('**banana** is not a status — the statuses are **noUpload**, **pending**, **complete** and **error**.');
  });

  it('an unknown command suggests the right one', async () => {
    const w = world();
    const turn = await w.teams.personalChat('alex').send(`update upload ${SEED.pending} to done`);
    expect(said(postedCards(turn)[0])).toContain(`**update** is not a command I know — did you mean **set upload ${SEED.pending} to complete**?`);
    expect(patches(w)).toBe(0);
  });

  it('an empty message (just the @mention) gets the help card saying it was empty', async () => {
    const w = world();
    const group = w.teams.groupChat('Ops', ['alex', 'adele']).as('alex');
    const turn = await group.send('');
    expect(turn.activity.text).toBe('<at>Autopilot Uploads</at> ');
    const text = cardText(postedCards(turn)[0]);
    expect(text).toContain('The message was empty, so there is no command to run.');
    expect(text).toContain('set upload <id> to <status>');
  });

  it('a 20,000-character message is refused by its length alone', async () => {
    const w = world();
    const turn = await w.teams.personalChat('alex').send(`set upload ${SEED.pending} to complete ${'x'.repeat(20_000 - 60)}`);
    expect(turn.status).toBe(200);
    const text = cardText(postedCards(turn)[0]);
    expect(text).toContain('That message is 20,000 characters long, but a command is at most 500 characters.');
    expect(text.length).toBeLessThan(2_000); // the message is not echoed back
    expect(w.graph.requests()).toEqual([]);
    expect(turnLines(w).at(-1)!.outcome).toBe('invalid:tooLong');
  });

  it.each([
    ['show upload ${$root.key}', '**${$root.key}** is not a valid upload id'],
    [`set upload ${SEED.pending} to \${status}`, '**${status}** is not a status'],
    ['${if(true, "help", "x")}', '**${if(true,** is not a command I know'],
  ])('template expressions stay inert: %j', async (typed, expected) => {
    const w = world();
    const turn = await w.teams.personalChat('alex').send(typed);
    const card = postedCards(turn)[0]!;
    expect(said(card)).toContain(expected);
    expect(patches(w)).toBe(0);
  });

  it('`${...}` in a form submission is echoed literally, never evaluated', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const opened = await chat.send('set upload');
    const before = w.teams.sent(chat.conversationId).length;
    await w.teams.postRaw({
      ...opened.activity,
      id: `${Date.now()}`,
      text: undefined,
      value: { action: 'submitForm', uploadId: '${$root.idRegex}', status: '${exampleId}' },
    });
    const [reply] = w.teams.sent(chat.conversationId).slice(before);
    const card = (reply!.activity!.attachments as Array<{ content: Record<string, any> }>)[0]!.content;
    const text = cardText(card);
    expect(said(card)).toContain('**${$root.idRegex}** is not a valid upload id');
    expect(said(card)).toContain('**${exampleId}** is not a status');
    // The prefilled id input does not receive the template's own data either.
    expect(JSON.stringify(card)).not.toContain('"value":"^');
    expect(patches(w)).toBe(0);
  });

  describe('HTTP bodies that are not activities', () => {
    const post = (url: string, body: string | Buffer, contentType = 'application/json') =>
      fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': contentType }, body });

    it.each([
      ['malformed JSON', '{"type":"message","text":', 400],
      ['a JSON array', '[1,2,3]', 400],
      ['a JSON string', '"hello"', 400],
    ])('%s → 4xx, no turn', async (_what, body, status) => {
      const w = world();
      const r = await post(w.botUrl, body);
      expect(r.status).toBe(status);
      expect(await r.text()).not.toMatch(/at .*\.(js|ts):\d+/); // no stack traces
      expect(turnLines(w)).toEqual([]);
    });

    it('an oversized body → 413, and the bot keeps serving', async () => {
      const w = world();
      const r = await post(w.botUrl, JSON.stringify({ type: 'message', text: 'x'.repeat(MAX_BODY_BYTES) }));
      expect(r.status).toBe(413);
      expect(turnLines(w)).toEqual([]);
      expect((await fetch(`${w.botUrl}/healthz`)).status).toBe(200);
      const after = await w.teams.personalChat('alex').send('help');
      expect(postedCards(after)).toHaveLength(1);
    });
  });
});
