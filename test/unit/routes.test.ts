/**
 * The route table (bot/teams/routes.ts): every card verb, every command kind and every invoke the
 * bot serves has exactly one route, each event one selector, and what is not listed is refused.
 */
import { Writable } from 'node:stream';
import { type Activity, type InvokeResponse, TestAdapter, TurnContext } from 'botbuilder';
import { CARD_VERBS } from '../../cards/ids';
import type { Command } from '../../bot/commands/parse';
import { createLogger } from '../../bot/log';
import type { Services } from '../../bot/services';
import { RouteIndex, UploadsBot } from '../../bot/teams/bot';
import type { Route } from '../../bot/teams/route';
import { ROUTES } from '../../bot/teams/routes';

// Every kind of the Command union: tsc fails here when parse.ts gains or loses one.
const COMMAND_KINDS: Record<Command['kind'], true> = {
  setStatus: true, openForm: true, show: true, listUploads: true, showImports: true, showImport: true,
  help: true, signOut: true, subscribe: true, unsubscribe: true, subscriptions: true, diag: true,
};

const INVOKES = ['signin/tokenExchange', 'signin/verifyState', 'signin/failure', 'application/search', 'adaptiveCard/action'];

const named = (on: Route['on']) => ROUTES.filter((r) => r.on === on).map((r) => r.name);
const count = (names: string[], name: string) => names.filter((n) => n === name).length;

describe('the route table', () => {
  it('has exactly one route for every card verb, and none for anything else', () => {
    const verbs = named('verb');
    for (const verb of Object.values(CARD_VERBS)) expect([verb, count(verbs, verb)]).toEqual([verb, 1]);
    expect([...verbs].sort()).toEqual(Object.values(CARD_VERBS).sort());
  });

  it('has exactly one route for every command kind, and none for anything else', () => {
    const commands = named('command');
    for (const kind of Object.keys(COMMAND_KINDS)) expect([kind, count(commands, kind)]).toEqual([kind, 1]);
    expect([...commands].sort()).toEqual(Object.keys(COMMAND_KINDS).sort());
  });

  it('has exactly one route for each invoke the bot serves', () => {
    const invokes = named('invoke');
    for (const name of INVOKES) expect([name, count(invokes, name)]).toEqual([name, 1]);
    expect(invokes).toHaveLength(INVOKES.length);
  });

  it('names every route once, and the router refuses a table that lists one twice', () => {
    const keys = ROUTES.map((r) => `${r.on} ${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(() => new RouteIndex([...ROUTES, ROUTES.find((r) => r.on === 'verb')!])).toThrow(/listed twice/);
  });

  it('the index finds verbs only by their exact name (no prototype keys)', () => {
    const index = new RouteIndex(ROUTES);
    expect(index.verb(CARD_VERBS.confirmChange)).toBeDefined();
    expect(index.verb('constructor')).toBeUndefined();
    expect(index.verb('__proto__')).toBeUndefined();
    expect(index.invoke('toString')).toBeUndefined();
  });
});

describe('event selectors: one route per conversation event', () => {
  const BOT = { id: '28:bot', name: 'Uploads' };
  const base = { channelId: 'msteams', recipient: BOT, conversation: { id: 'c' } };
  const cases: Array<[string, Partial<Activity>]> = [
    ['message', { type: 'message', text: 'help' }],
    ['installationUpdate.add', { type: 'installationUpdate', action: 'add' }],
    ['installationUpdate.add', { type: 'installationUpdate', action: 'add-upgrade' }],
    ['installationUpdate.remove', { type: 'installationUpdate', action: 'remove' }],
    ['membersAdded.bot', { type: 'conversationUpdate', membersAdded: [BOT] }],
    ['membersRemoved.bot', { type: 'conversationUpdate', membersRemoved: [BOT] }],
    ['channelCreated', { type: 'conversationUpdate', channelData: { eventType: 'channelCreated' } }],
    ['channelRenamed', { type: 'conversationUpdate', channelData: { eventType: 'channelRenamed' } }],
    ['channelDeleted', { type: 'conversationUpdate', channelData: { eventType: 'channelDeleted' } }],
    ['channelRestored', { type: 'conversationUpdate', channelData: { eventType: 'channelRestored' } }],
    ['teamRenamed', { type: 'conversationUpdate', channelData: { eventType: 'teamRenamed' } }],
    ['teamDeleted', { type: 'conversationUpdate', channelData: { eventType: 'teamDeleted' } }],
    ['teamHardDeleted', { type: 'conversationUpdate', channelData: { eventType: 'teamHardDeleted' } }],
    ['teamRestored', { type: 'conversationUpdate', channelData: { eventType: 'teamRestored' } }],
  ];
  const index = new RouteIndex(ROUTES);
  const selected = (a: Partial<Activity>) => index.eventsFor({ ...base, ...a } as Activity).map((r) => r.name);

  it.each(cases)('%s', (name, activity) => {
    expect(selected(activity)).toEqual([name]);
  });

  it('every event route is reachable by one of these activities', () => {
    expect([...new Set(cases.map(([n]) => n))].sort()).toEqual(named('event').sort());
  });

  it('as botbuilder: someone else joining, or member changes with a channel event, run no channel handler', () => {
    expect(selected({ type: 'conversationUpdate', membersAdded: [{ id: '29:someone' }] as never })).toEqual([]);
    expect(selected({ type: 'conversationUpdate', membersAdded: [{ id: '29:someone' }], membersRemoved: [BOT], channelData: { eventType: 'channelCreated' } } as never)).toEqual([]);
    expect(selected({ type: 'conversationUpdate', channelId: 'webchat', channelData: { eventType: 'channelCreated' } })).toEqual([]);
    expect(selected({ type: 'messageReaction' })).toEqual([]);
  });
});

describe('the router', () => {
  const TENANT = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';
  const lines: string[] = [];
  const services = {
    config: { sso: { allowedTenants: [TENANT] } },
    clock: () => 1_000,
    log: createLogger('info', new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) })),
  } as unknown as Services;

  async function invoke(name: unknown, value: unknown = {}, routes: readonly Route[] = ROUTES): Promise<{ response?: InvokeResponse; turn: Record<string, unknown> }> {
    lines.length = 0;
    const activity = {
      type: 'invoke', name, value, channelId: 'msteams', id: 'a1', serviceUrl: 'https://smba.invalid/',
      from: { id: '29:u', aadObjectId: '00000000-0000-0000-0000-00000000000a' }, recipient: { id: '28:bot' },
      conversation: { id: 'a:personal', tenantId: TENANT, conversationType: 'personal' }, channelData: { tenant: { id: TENANT } },
    } as unknown as Activity;
    const context = new TurnContext(new TestAdapter(), activity);
    let response: InvokeResponse | undefined;
    context.onSendActivities(async (_ctx, activities, next) => {
      for (const a of activities) if (a.type === 'invokeResponse') response = a.value as InvokeResponse;
      return next();
    });
    await new UploadsBot(services, routes).run(context);
    const turn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'turn')!;
    return { response, turn };
  }

  it.each(['composeExtension/query', 'task/fetch', 'adaptiveCard/actionX', '', undefined, 42])('answers the unlisted invoke %p with 400 UnsupportedInvoke', async (name) => {
    const { response, turn } = await invoke(name);
    expect(response).toEqual({ status: 400, body: { error: { code: 'UnsupportedInvoke', message: 'This bot does not handle this invoke.' } } });
    expect(turn).toMatchObject({ outcome: 'invalid:invoke', activityType: 'invoke', durationMs: 0 });
  });

  it('dispatches from the table: an invoke whose route is taken out gets the 400', async () => {
    const without = ROUTES.filter((r) => !(r.on === 'invoke' && r.name === 'signin/failure'));
    expect((await invoke('signin/failure', {}, without)).response?.status).toBe(400);
  });

  it('answers adaptiveCard/action without an action with HTTP 200 and a 400 body', async () => {
    const { response, turn } = await invoke('adaptiveCard/action', { trigger: 'manual' });
    expect(response).toEqual({ status: 200, body: { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: 'The card action carries no action.' } } });
    expect(turn.outcome).toBe('invalid:action');
  });

  it('answers an action that is not Action.Execute as botbuilder did, under HTTP 200', async () => {
    const { response } = await invoke('adaptiveCard/action', { action: { type: 'Action.Submit', verb: 'confirmChange' } });
    expect(response).toEqual({ status: 200, body: { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'NotSupported', message: "The action 'Action.Submit' is not supported." } } });
  });
});
