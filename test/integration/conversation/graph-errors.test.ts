/**
 * Graph failures become cards with a plain explanation, Graph's error code and the request-id;
 * a Graph slower than the invoke budget gets an "updating…" answer and the result later.
 */
import { SEED, askForChange, buttonTitles, cardText, keyOf, postedCards, useWorld } from './helpers';
import type { World } from '../../support/world';

const REQUEST_ID = /request-id: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const UNKNOWN_UPLOAD = '0b0c0d0e-0f10-4112-8314-151617181920';

/** The error card's request-id is the one Graph put in its answer. */
function expectRequestIdFromGraph(text: string): void {
  expect(text).toMatch(REQUEST_ID);
}

describe('Graph errors', () => {
  const world = useWorld();

  it('404: an upload Graph does not know → "Upload not found" with the Graph code and request-id', async () => {
    const w = world();
    const turn = await w.teams.personalChat('alex').send(`set upload ${UNKNOWN_UPLOAD} to complete`);
    const text = cardText(postedCards(turn).at(-1));
    expect(text).toContain('Upload not found');
    expect(text).toContain('Intune has no Autopilot device-identity upload with that id.');
    expect(text).toMatch(/Error code (ResourceNotFound|NotFound)/);
    expectRequestIdFromGraph(text);
    expect(w.graph.requests().map((r) => r.status)).toEqual([404]);
  });

  it('404 for an upload of another tenant: tenants never see each other\'s uploads', async () => {
    const w = world();
    const turn = await w.teams.personalChat('alex').send(`show upload ${SEED.fabrikam}`);
    expect(cardText(postedCards(turn).at(-1))).toContain('Upload not found');
  });

  it('403: a Read.All-only admin can see the confirmation, but Confirm shows "Not permitted" and nothing changes', async () => {
    const w = world();
    const chat = w.teams.personalChat('diego');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    const done = await chat.press(confirmation, 'Confirm');
    const text = cardText(done.card);
    expect(text).toContain('Not permitted');
    expect(text).toContain('DeviceManagementServiceConfig.ReadWrite.All');
    expect(text).toContain('Error code Forbidden');
    expectRequestIdFromGraph(text);
    expect(buttonTitles(done.card)).toEqual([]);
    const patch = w.graph.requests().filter((r) => r.method === 'PATCH');
    expect(patch.map((r) => r.status)).toEqual([403]);
    expect(w.graph.patchCount(SEED.pending)).toBe(0);
    expect(w.graph.upload(SEED.pending)!.status).toBe('pending');
    // The spent confirmation remembers the failure instead of trying again.
    const again = await chat.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'confirmChange', data: { changeKey: keyOf(confirmation.card) } } });
    expect(cardText((again.body as { value: object }).value)).toContain('This request failed');
    expect(w.graph.requests().filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('429 that outlasts the retries → "Intune is busy" with TooManyRequests and the request-id', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send(`show upload ${SEED.pending}`); // signed in
    w.graph.faults.next(8, { status: 429, retryAfterSeconds: 1 });
    const turn = await chat.send(`show upload ${SEED.pending}`);
    const text = cardText(postedCards(turn).at(-1));
    expect(text).toContain('Intune is busy');
    expect(text).toContain('Error code TooManyRequests');
    expectRequestIdFromGraph(text);
    w.graph.faults.clear();
  });

  it('503 that outlasts the retries → "Microsoft Graph is unavailable", not a timeout', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    await chat.send(`show upload ${SEED.pending}`);
    w.graph.faults.next(8, { status: 503 });
    const turn = await chat.send(`show upload ${SEED.pending}`);
    const text = cardText(postedCards(turn).at(-1));
    expect(text).toContain('Microsoft Graph is unavailable');
    expect(text).toContain('Error code serviceNotAvailable');
    expectRequestIdFromGraph(text);
    w.graph.faults.clear();
  });

  it('a Graph that does not answer in time → "No answer from Microsoft Graph"', async () => {
    const w = world();
    shortenGraphTimeout(w, 1_500);
    const chat = w.teams.personalChat('alex');
    await chat.send(`show upload ${SEED.pending}`);
    w.graph.faults.next(2, { delayMs: 3_000 });
    const turn = await chat.send(`show upload ${SEED.pending}`);
    const text = cardText(postedCards(turn).at(-1));
    expect(text).toContain('No answer from Microsoft Graph');
    expect(text).toContain('show upload <id>');
  });
});

describe('a Graph slower than the invoke budget', () => {
  const world = useWorld({ invokeBudgetMs: 500 });

  it('Confirm is answered "updating…" in time, then the card is replaced with the result', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    w.graph.faults.next(1, { delayMs: 1_500 });

    const pressed = await chat.press(confirmation, 'Confirm');
    expect(pressed.response).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(cardText(pressed.card)).toMatch(/Updating/i);
    expect(pressed.timedOut).toBeUndefined();

    const result = await chat.waitFor((messages) => {
      const m = messages.find((x) => x.id === confirmation.id);
      return m && cardText(m.sharedCard).includes('is now Complete') ? m : undefined;
    });
    expect(cardText(result.sharedCard)).toContain(`Upload ${SEED.pending} is now Complete`);
    expect(w.teams.sent(chat.conversationId).filter((s) => s.operation === 'updateActivity').map((s) => s.activityId)).toEqual([confirmation.id]);
    expect(w.graph.patchCount(SEED.pending)).toBe(1);
    expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
  });

  it('Graph\'s own retries (503 then success) outlast the budget: "updating…", then the result', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex');
    const confirmation = await askForChange(chat, SEED.error, 'pending');
    w.graph.faults.next(2, { status: 503 });
    const pressed = await chat.press(confirmation, 'Confirm');
    expect(cardText(pressed.card)).toMatch(/Updating/i);
    const result = await chat.waitFor((messages) => {
      const m = messages.find((x) => x.id === confirmation.id);
      return m && cardText(m.sharedCard).includes('is now Pending') ? m : undefined;
    }, 20_000);
    expect(cardText(result.sharedCard)).toContain('Previous status Error');
    expect(w.graph.requests().map((r) => [r.method, r.status]).slice(-5)).toEqual([
      ['GET', 503],
      ['GET', 503],
      ['GET', 200],
      ['PATCH', 204],
      ['GET', 200],
    ]);
    expect(w.graph.patchCount(SEED.error)).toBe(1);
  });

  it('without Universal Actions (Action.Submit), a slow Confirm shows "updating…" and then the result, in that order', async () => {
    const w = world();
    const chat = w.teams.personalChat('alex', { universalActions: false });
    const confirmation = await askForChange(chat, SEED.noUpload, 'complete');
    w.graph.faults.next(1, { delayMs: 1_500 });
    const pressed = await chat.press(confirmation, 'Confirm');
    expect(pressed.activity).toMatchObject({ type: 'message', value: { verb: 'confirmChange' } });
    const result = await chat.waitFor((messages) => {
      const m = messages.find((x) => x.id === confirmation.id);
      return m && cardText(m.card).includes('is now Complete') ? m : undefined;
    });
    const updates = w.teams.sent(chat.conversationId).filter((s) => s.operation === 'updateActivity');
    expect(updates.map((u) => [u.activityId, cardText((u.activity!.attachments as Array<{ content: object }>)[0]!.content).match(/Updating|is now Complete/i)?.[0]])).toEqual([
      [confirmation.id, expect.stringMatching(/Updating/i)],
      [confirmation.id, 'is now Complete'],
    ]);
    expect(result.version).toBe(3);
    expect(w.graph.patchCount(SEED.noUpload)).toBe(1);
  });

  it('a slow failure also ends with the error card in place of the confirmation', async () => {
    const w = world();
    const chat = w.teams.personalChat('diego');
    const confirmation = await askForChange(chat, SEED.pending, 'complete');
    w.graph.faults.next(1, { delayMs: 1_500 });
    const pressed = await chat.press(confirmation, 'Confirm');
    expect(cardText(pressed.card)).toMatch(/Updating/i);
    const failed = await chat.waitFor((messages) => {
      const m = messages.find((x) => x.id === confirmation.id);
      return m && cardText(m.sharedCard).includes('Not permitted') ? m : undefined;
    });
    expect(cardText(failed.sharedCard)).toContain('Error code Forbidden');
    expect(w.graph.upload(SEED.pending)!.status).toBe('pending');
  });
});

/** GRAPH timeout is not an environment variable; tests shorten it on the running bot's config. */
function shortenGraphTimeout(w: World, ms: number): void {
  w.bot.services.config.graph.timeoutMs = ms;
}
