/**
 * "Submitting Adaptive Card forms": `set upload` with parts missing opens a form whose submission
 * is validated again by the bot and continues the same flow (SSO, confirmation, PATCH).
 */
import { EXAMPLE_UPLOAD_ID } from '../../../cards/ids';
import { inputsOf } from '../../../sandbox/teams/cards';
import { saidOnCard } from '../../support/rich-text';
import { SEED, buttonTitles, cardText, patches, postedCards, useWorld } from './helpers';

describe('the set-upload form', () => {
  const world = useWorld();

  it('`set upload` opens the form; its submission signs in, shows the confirmation, and Confirm PATCHes', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const opened = await chat.send('set upload');
    const form = postedCards(opened)[0]!;
    const inputs = Object.fromEntries(inputsOf(form).map((i) => [i.id, i.element]));
    expect(Object.keys(inputs)).toEqual(['uploadId', 'status']);
    expect(inputs.uploadId).toMatchObject({ type: 'Input.Text', isRequired: true, regex: expect.any(String) });
    expect(new RegExp(inputs.uploadId!.regex).test(SEED.pending)).toBe(true);
    expect(new RegExp(inputs.uploadId!.regex).test('not-a-guid')).toBe(false);
    expect(inputs.status!.choices.map((c: { value: string }) => c.value)).toEqual(['noUpload', 'pending', 'complete', 'error']);
    expect(w.graph.requests()).toEqual([]); // opening a form needs no sign-in

    const submitted = await chat.press(chat.lastCardMessage()!, 'Review change', { uploadId: ` {${SEED.pending.toUpperCase()}} `, status: 'complete' });
    expect(submitted.activity).toMatchObject({ type: 'message', value: { action: 'submitForm', status: 'complete' } });
    expect(submitted.invokes.map((i) => [i.name, i.status])).toEqual([['signin/tokenExchange', 200]]);
    const confirmation = chat.lastCardMessage()!;
    expect(cardText(confirmation.card)).toContain(`Set upload ${SEED.pending} from Pending to Complete?`);

    await chat.press(confirmation, 'Confirm');
    expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
    expect(w.graph.patchCount(SEED.pending)).toBe(1);
  });

  it('`set upload <id>` opens the form with the id filled in; the help card\'s button opens it too', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const prefilled = postedCards(await chat.send(`set upload ${SEED.error}`))[0]!;
    expect(inputsOf(prefilled).find((i) => i.id === 'uploadId')!.element.value).toBe(SEED.error);

    const help = await chat.send('help');
    const button = buttonTitles(postedCards(help)[0]).find((t) => /status/i.test(t))!;
    const fromHelp = await chat.press(chat.lastCardMessage()!, button);
    expect(inputsOf(postedCards(fromHelp)[0]!).map((i) => i.id)).toEqual(['uploadId', 'status']);
  });

  it('the client refuses a malformed id before sending anything', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send('set upload');
    const blocked = await chat.press(chat.lastCardMessage()!, 'Review change', { uploadId: '1234', status: 'complete' });
    expect(blocked.blocked).toEqual({ inputId: 'uploadId', message: `Enter the upload id, a GUID like ${EXAMPLE_UPLOAD_ID}.` });
    expect(blocked.status).toBe(0);
  });

  it('the bot validates the submission again: a forged one gets the form back, naming each problem, and no Graph call', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const opened = await chat.send('set upload');
    // What a client that skipped validation (or an attacker) could post.
    const forged = {
      ...opened.activity,
      id: `${Date.now()}`,
      text: undefined,
      value: { action: 'submitForm', uploadId: '6b1e8d2f-4c3a-4f9b-8e7d-2a3b4c5d6e7g', status: 'completed' },
    };
    const before = w.teams.sent(chat.conversationId).length;
    const answer = await w.teams.postRaw(forged);
    expect(answer.status).toBe(200);
    const [reply] = w.teams.sent(chat.conversationId).slice(before);
    const card = (reply!.activity!.attachments as Array<{ content: Record<string, unknown> }>)[0]!.content;
    const text = saidOnCard(card).join(' ');
    expect(text).toContain('**g** is not a hexadecimal digit');
    expect(text).toContain(`an upload id is a GUID like **${EXAMPLE_UPLOAD_ID}**`);
    expect(text).toContain('**completed** is not a status — did you mean **complete**?');
    expect(inputsOf(card).map((i) => i.id)).toEqual(['uploadId', 'status']);
    expect(w.graph.requests()).toEqual([]);
    expect(w.entra.stats().oboCalls).toBe(0);
  });

  it('in a channel, the form\'s submission posts the shared request card (card-level SSO on refresh)', async () => {
    const w = world();
    const alex = w.teams.team('IT Admins').channel('General').as('alex');
    await alex.send('set upload');
    const submitted = await alex.press(alex.lastCardMessage()!, 'Review change', { uploadId: SEED.noUpload, status: 'error' });
    expect(submitted.invokes.map((i) => i.reason)).toEqual(['refresh', 'card-sso']);
    const request = alex.lastCardMessage()!;
    expect(cardText(request.sharedCard)).toContain('Alex Wilber');
    expect(buttonTitles(request.card)).toEqual(['Confirm', 'Cancel']);
    expect(patches(w)).toBe(0);
  });
});
