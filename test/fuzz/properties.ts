/**
 * The fuzz targets: what is generated, what is sent, and what must hold. Shared by the short
 * seeded jest run (test/fuzz/fuzz.test.ts) and the long run (bench/fuzz.ts).
 *
 * Every case also goes through the runner's common checks (harness.ts): no PATCH reached Graph,
 * no uncaught exception or unhandled rejection, no stack trace, path, token or secret in what the
 * bot sent into Teams, /healthz still 200.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { CARD_VERBS, SUBMIT_ACTIONS } from '../../cards/ids';
import { SEED } from '../../sandbox/graph';
import type { ChannelAuth } from '../../sandbox/teams';
import type { World } from '../support/world';
import { expectAnswered, expectNoLeak, sentSince, violated, type Fixture, type FuzzTarget } from './harness';
import { hugeArray, keyShaped, longString, oddString, wrongValue } from './generators';
import { expectedNotifyStatuses } from './notifyRules';
import { rawRequest, type RawRequest, type SignedPoster } from './wire';

type Activity = Record<string, any>;

const clone = <T>(v: T): T => structuredClone(v);
let idCounter = 0;
const freshId = () => `fuzz-${Date.now()}-${++idCounter}`;

// ---------------------------------------------------------------------------------------------
// 1. Raw HTTP to /api/messages and /api/notify

interface RawCase {
  path: '/api/messages' | '/api/notify';
  query: string;
  auth: { kind: 'none' } | { kind: 'header'; value: string } | { kind: 'notifyKey' } | { kind: 'unsignedJwt'; value: string };
  contentType?: string;
  /** `gzip` here always means a valid gzip stream of the body (the garbage-gzip crash is its own, known, target). */
  encoding?: string;
  length: 'exact' | 'absent' | 'shorter' | 'longer' | 'garbage' | 'chunked' | 'chunkedGarbage';
  body: Uint8Array;
  md5?: string;
  extraHeaders: Array<[string, string]>;
}

const headerToken = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
/** Header values: visible ASCII, latin1 bytes, sometimes empty (CR/LF would only make a new header line). */
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,60}$/),
  fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
);

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const unsignedJwt = fc
  .record({ alg: fc.constantFrom('none', 'None', 'HS256', 'RS256', ''), aud: fc.constantFrom('5c3a9e71-8f2d-4b6a-9e1c-7d0f4a2b8c3e', 'x'), serviceurl: fc.webUrl() })
  .map(({ alg, aud, serviceurl }) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'https://api.botframework.com', aud, serviceurl, nbf: now - 10, exp: now + 3600 };
    return `Bearer ${b64url({ alg, typ: 'JWT', kid: 'x' })}.${b64url(claims)}.${alg === 'none' ? '' : b64url('sig')}`;
  });

const activityJson = fc
  .record({ type: fc.constantFrom('message', 'invoke', 'conversationUpdate', 'x'), text: oddString(), serviceUrl: fc.constantFrom('https://smba.trafficmanager.net/amer/', 'http://127.0.0.1:1/') }, { requiredKeys: [] })
  .map((a) => ({ channelId: 'msteams', from: { id: '29:x', aadObjectId: '00000000-0000-0000-0000-000000000000' }, conversation: { id: 'a:1' }, recipient: { id: '28:x' }, ...a }));

const rawBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
  { weight: 3, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  { weight: 3, arbitrary: activityJson.map((v) => Buffer.from(JSON.stringify(v))) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"type":', 'null', '[]', '"x"', '{"a":1}{"b":2}', '\uFEFF{}', '{"__proto__":{"x":1}}').map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.integer({ min: 250 * 1024, max: 400 * 1024 }).map((n) => Buffer.from(`{"type":"message","text":"${'x'.repeat(n)}"}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 7 * 1024, max: 10 * 1024 }).map((n) => Buffer.from(`{"uploadId":"${'x'.repeat(n)}"}`)) },
);

const contentTypes = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/merge-patch+json',
      'text/plain', 'text/html', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=x',
      'application/octet-stream', 'application/jsonp', 'application/json, text/plain', ';', '', '*/*',
    ),
    headerValue,
  ),
  { nil: undefined },
);

const rawCase: fc.Arbitrary<RawCase> = fc.record({
  path: fc.constantFrom('/api/messages' as const, '/api/notify' as const),
  query: fc.constantFrom('', '?', '?a=1', '?%zz', '?__proto__[x]=1', '?' + 'q'.repeat(2000)),
  auth: fc.oneof(
    fc.constant({ kind: 'none' as const }),
    headerValue.map((value) => ({ kind: 'header' as const, value })),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic eDp5', 'Bearer eyJ.eyJ.x', 'bearer x y').map((value) => ({ kind: 'header' as const, value })),
    fc.constant({ kind: 'notifyKey' as const }),
    unsignedJwt.map((value) => ({ kind: 'unsignedJwt' as const, value })),
  ),
  contentType: contentTypes,
  encoding: fc.option(
    fc.oneof(fc.constantFrom('identity', 'gzip', 'deflate', 'br', 'GZIP', 'gzip, gzip', ' gzip', 'x-gzip', ''), headerToken.filter((t) => t !== 'gzip')),
    { nil: undefined },
  ),
  length: fc.constantFrom('exact', 'exact', 'exact', 'exact', 'absent', 'shorter', 'longer', 'garbage', 'chunked', 'chunked', 'chunkedGarbage'),
  body: rawBody,
  md5: fc.option(fc.constantFrom('', 'x', '1B2M2Y8AsgTpgAmY7PhCfg=='), { nil: undefined }),
  extraHeaders: fc.array(fc.tuple(headerToken, headerValue), { maxLength: 4 }),
});

function toRawRequest(c: RawCase, notifyKey: string): RawRequest {
  let body = Buffer.from(c.body);
  // A gzip body cut short (which once crashed restify's inflater) is the http-garbage-gzip target's;
  // here a gzip body to /api/messages always arrives whole.
  // Node trims header values, so " gzip" is gzip to restify too.
  const gzip = c.encoding?.trim() === 'gzip' && c.path === '/api/messages';
  if (gzip && c.length !== 'chunked' && c.length !== 'absent') c = { ...c, length: 'exact' };
  // Only a valid stream is sent as gzip to /api/messages here; /api/notify reads raw bytes whatever the header says.
  if (gzip) body = gzipSync(body);
  const headers: Array<[string, string]> = [];
  if (c.auth.kind === 'header' || c.auth.kind === 'unsignedJwt') headers.push(['Authorization', c.auth.value]);
  if (c.auth.kind === 'notifyKey') headers.push(['Authorization', `Bearer ${notifyKey}`]);
  if (c.contentType !== undefined) headers.push(['Content-Type', c.contentType]);
  if (c.encoding !== undefined) headers.push(['Content-Encoding', c.encoding]);
  if (c.md5 !== undefined) headers.push(['Content-MD5', c.md5]);
  // Extra headers may not repeat the framing ones (that is `length`'s job) nor ask to keep the connection.
  for (const [k, v] of c.extraHeaders) if (!/^(content-length|transfer-encoding|connection|host)$/i.test(k)) headers.push([k, v]);
  switch (c.length) {
    case 'exact':
      headers.push(['Content-Length', String(body.length)]);
      break;
    case 'absent':
      break;
    case 'shorter':
      headers.push(['Content-Length', String(Math.floor(body.length / 2))]);
      break;
    case 'longer':
      headers.push(['Content-Length', String(body.length + 1 + (body.length % 977))]);
      break;
    case 'garbage':
      headers.push(['Content-Length', ['-1', 'abc', '1e3', '99999999999999999999', ' 5', '0x10', '1,1'][body.length % 7]!]);
      break;
    case 'chunked':
      headers.push(['Transfer-Encoding', 'chunked']);
      body = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from(body.length ? '\r\n0\r\n\r\n' : '\r\n')]);
      break;
    case 'chunkedGarbage':
      headers.push(['Transfer-Encoding', 'chunked']);
      break;
  }
  return { method: 'POST', path: c.path + c.query, headers, body };
}

export const httpIntake: FuzzTarget<void, RawCase> = {
  id: 'http-intake',
  title: 'random bodies and headers on POST /api/messages and /api/notify',
  weight: 3,
  quickRuns: 200,
  arbitrary: () => rawCase,
  async check(fx, c) {
    const request = toRawRequest(c, fx.notifyKey);
    // A body shorter than its Content-Length (or garbage chunking the server may wait on): the client
    // stops sending and half-closes, Node's server aborts the request, so "no answer" is fair there.
    const lies = request.headers.some(([k, v]) => k === 'Content-Length' && Number(v) > request.body.length) || c.length === 'chunkedGarbage';
    const answer = await rawRequest(fx.world.botUrl, request, 5000, lies);
    const what = `POST ${c.path}`;
    const mayGoUnanswered = lies;
    if (!(mayGoUnanswered && answer.status === 0) && !expectAnswered(fx, answer.status, what)) return;
    if (c.path === '/api/messages' && answer.status >= 200 && answer.status < 300) violated(fx.tally, 'contract', `${what} without a Connector signature answered ${answer.status}`);
    if (c.path === '/api/notify' && c.auth.kind !== 'notifyKey' && answer.status >= 200 && answer.status < 300) violated(fx.tally, 'contract', `${what} without the key answered ${answer.status}`);
    expectNoLeak(fx, answer.text, `the answer to ${what}`);
  },
};

// --- restify's bodyParser inflated gzip without an 'error' listener (DESIGN.md facts): one body killed the bot.

interface GzipCase {
  body: Uint8Array;
  cut: number;
  garbage: boolean;
}

export const garbageGzip: FuzzTarget<void, GzipCase> = {
  id: 'http-garbage-gzip',
  title: 'truncated or garbage gzip bodies on POST /api/messages',
  weight: 0.2,
  quickRuns: 30,
  crashesProcess: true,
  caseTimeoutMs: 4000,
  arbitrary: () =>
    fc.record({
      body: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 512 }), activityJson.map((v) => Buffer.from(JSON.stringify(v)))),
      cut: fc.nat(),
      garbage: fc.boolean(),
    }),
  async check(fx, c) {
    const full = c.garbage ? Buffer.from(c.body) : gzipSync(c.body);
    const body = c.garbage ? full : full.subarray(0, 1 + (c.cut % Math.max(1, full.length - 1)));
    const answer = await rawRequest(
      fx.world.botUrl,
      { method: 'POST', path: '/api/messages', headers: [['Content-Type', 'application/json'], ['Content-Encoding', 'gzip'], ['Content-Length', String(body.length)]], body },
      3000,
    );
    expectAnswered(fx, answer.status, 'POST /api/messages with a broken gzip body');
    if (answer.status >= 200 && answer.status < 300) violated(fx.tally, 'contract', `an unsigned gzip body answered ${answer.status}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Signed activities: templates are real activities the Teams stand-in delivered in a warm-up.

interface Templates {
  personal: Activity;
  channel: Activity;
  serviceUrl: string;
}

async function warmUpTemplates(world: World): Promise<Templates> {
  const personal = await world.teams.personalChat('megan').send('help');
  const channel = await world.teams.team('Fuzz').channel('General').as('diego').send('help');
  if (personal.status !== 200 || channel.status !== 200) throw new Error('the warm-up turns failed');
  return { personal: clone(personal.activity), channel: clone(channel.activity), serviceUrl: String(personal.activity.serviceUrl) };
}

/** Sets (or deletes) a dotted path, creating objects on the way; a non-object on the way is replaced. */
function setPath(target: Activity, path: string, value: unknown, remove: boolean): void {
  const keys = path.split('.');
  let node: any = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) {
      if (remove) return;
      node[k] = {};
    }
    node = node[k];
  }
  const last = keys[keys.length - 1]!;
  if (remove) delete node[last];
  else node[last] = value;
}

const ACTIVITY_PATHS = [
  'type', 'name', 'text', 'textFormat', 'id', 'timestamp', 'localTimestamp', 'locale', 'channelId', 'replyToId', 'value', 'action',
  'from', 'from.id', 'from.name', 'from.aadObjectId',
  'recipient', 'recipient.id', 'recipient.name',
  'conversation', 'conversation.id', 'conversation.tenantId', 'conversation.conversationType', 'conversation.isGroup',
  'channelData', 'channelData.tenant', 'channelData.tenant.id', 'channelData.team', 'channelData.team.id', 'channelData.channel', 'channelData.eventType', 'channelData.source',
  'entities', 'entities.0', 'entities.0.type', 'entities.0.mentioned', 'attachments', 'attachments.0', 'attachments.0.content',
  'membersAdded', 'membersRemoved', 'value.action', 'value.action.verb', 'value.action.data', 'value.authentication', 'value.token', 'value.state',
];

const ACTIVITY_TYPES = ['message', 'invoke', 'conversationUpdate', 'installationUpdate', 'event', 'messageReaction', 'messageUpdate', 'messageDelete', 'typing', 'endOfConversation', 'trace', 'Message', ''];
const INVOKE_NAMES = ['adaptiveCard/action', 'signin/tokenExchange', 'signin/verifyState', 'composeExtension/query', 'task/fetch', 'config/fetch', 'actionableMessage/executeAction', 'fileConsent/invoke', 'application/search', 'healthCheck', ''];

type Mutation = { path: string; remove: true } | { path: string; remove: false; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...ACTIVITY_PATHS).map((path) => ({ path, remove: true as const })) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ACTIVITY_PATHS), wrongValue).map(([path, value]) => ({ path, remove: false as const, value })) },
  { weight: 1, arbitrary: fc.constantFrom(...ACTIVITY_TYPES).map((value) => ({ path: 'type', remove: false as const, value })) },
  { weight: 1, arbitrary: fc.constantFrom(...INVOKE_NAMES).map((value) => ({ path: 'name', remove: false as const, value })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('entities', 'attachments', 'membersAdded', 'membersRemoved', 'value', 'channelData.team'), hugeArray).map(([path, value]) => ({ path, remove: false as const, value })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('text', 'from.name', 'from.id', 'conversation.id', 'channelData.channel.name', 'channelData.team.name', 'value.action.verb'), fc.oneof(oddString(200), longString)).map(([path, value]) => ({ path, remove: false as const, value })) },
);

interface ShapeCase {
  base: 'personal' | 'channel';
  mutations: Mutation[];
}

/** Invokes the bot answers itself; botbuilder answers any other invoke 501 (the KNOWN unhandled-invoke target). */
const HANDLED_INVOKES = ['adaptiveCard/action', 'signin/tokenExchange', 'signin/verifyState'];

function mutate(t: Templates, c: ShapeCase, invokes: 'handled' | 'unhandled' | 'any' = 'handled'): Activity {
  const a = clone(c.base === 'personal' ? t.personal : t.channel);
  a.id = freshId();
  for (const m of c.mutations) setPath(a, m.path, m.remove ? undefined : m.value, m.remove);
  if (invokes === 'handled' && a.type === 'invoke' && !HANDLED_INVOKES.includes(a.name)) {
    // Any value may be there, even one String() cannot print (an object without a prototype: the
    // harness itself threw on it in the 100,000-case run of seed 832379885).
    a.name = HANDLED_INVOKES[(typeof a.name === 'string' ? a.name.length : 0) % HANDLED_INVOKES.length];
  }
  return a;
}

/** Teams' own message limit is ~100 KB: above it, the bot's 413 is the right answer. */
const OVERSIZED_BYTES = 100 * 1024;

/** Posts a signed activity; undefined when the answer was a tolerated KNOWN 5xx (the case ends there). */
/** The bounded reader's 400 for JSON nested deeper than 64 levels (the generators can nest that deep). */
const refusedAsTooDeep = (answer: { status: number; text: string }): boolean => answer.status === 400 && answer.text.includes('"JsonTooDeep"');

async function postSigned(fx: Fixture<unknown>, activity: unknown, serviceUrl: string, what: string, auth: ChannelAuth = 'valid') {
  const answer = await fx.poster.post(activity, serviceUrl, auth).catch((err: Error) => ({ status: 0, text: err.message, json: undefined }));
  if (!expectAnswered(fx, answer.status, what)) return undefined;
  expectNoLeak(fx, answer.text, `the answer to ${what}`);
  const oversized = Buffer.byteLength(JSON.stringify(activity) ?? '') > OVERSIZED_BYTES;
  if (answer.status === 413 && !oversized) violated(fx.tally, 'contract', `${what}: 413 for a body under ${OVERSIZED_BYTES} bytes`);
  return { ...answer, oversized };
}

export const activityShapes: FuzzTarget<Templates, ShapeCase> = {
  id: 'activity-shapes',
  title: 'signed activities of random shape (missing parts, wrong types, huge arrays, odd Unicode, long strings)',
  weight: 3,
  quickRuns: 100,
  caseTimeoutMs: 15_000,
  prepare: warmUpTemplates,
  arbitrary: () => fc.record({ base: fc.constantFrom('personal' as const, 'channel' as const), mutations: fc.array(mutation, { minLength: 1, maxLength: 5 }) }),
  async check(fx, c) {
    await postSigned(fx, mutate(fx.prepared, c, 'handled'), fx.prepared.serviceUrl, 'a signed activity of random shape');
  },
};

// --- bad signatures

interface AuthCase {
  auth: ChannelAuth;
  shape: ShapeCase;
}

const refusedAuths: ChannelAuth[] = ['none', 'expired', 'wrongAudience', 'wrongServiceUrl', 'wrongIssuer', 'unknownKey'];

function authTarget(id: string, title: string, auths: ChannelAuth[], known?: string): FuzzTarget<Templates, AuthCase> {
  return {
    id,
    title,
    known,
    weight: known ? 0.2 : 1,
    quickRuns: known ? 30 : 40,
    caseTimeoutMs: 15_000,
    prepare: warmUpTemplates,
    arbitrary: () =>
      fc.record({
        auth: fc.constantFrom(...auths),
        shape: fc.record({ base: fc.constantFrom('personal' as const, 'channel' as const), mutations: fc.array(mutation, { maxLength: 2 }) }),
      }),
    async check(fx, c) {
      const sentBefore = fx.world.teams.sent().length;
      const answer = await postSigned(fx, mutate(fx.prepared, c.shape), fx.prepared.serviceUrl, `an activity signed "${c.auth}"`, c.auth);
      if (!answer) return;
      if (answer.status < 400) violated(fx.tally, 'contract', `an activity signed "${c.auth}" answered ${answer.status}`);
      if (fx.world.teams.sent().length > sentBefore) violated(fx.tally, 'contract', `an activity signed "${c.auth}" made the bot send into Teams`);
    },
  };
}

export const badSignatures = authTarget('bad-signatures', 'activities with refused Connector tokens (unsigned, expired, wrong audience/issuer/serviceUrl, unknown key)', refusedAuths);
// botbuilder maps only some jsonwebtoken errors to 401: a forged signature with a known kid and a
// token not valid yet would be 500s quoting the library, but for the facade in bot/http/messages.ts.
export const tokenErrors500 = authTarget(
  'token-errors-500',
  'activities signed with a known key id but the wrong key, or not valid yet (nbf in the future)',
  ['forged', 'notYetValid'],
);

// A body that is not an activity (no string `type`) would make CloudAdapter.process throw: the facade answers 400.
export const notAnActivity: FuzzTarget<Templates, { signed: boolean; field: 'type' | 'channelId'; value: unknown; remove: boolean; extra: Mutation[] }> = {
  id: 'not-an-activity',
  title: 'JSON objects without a string activity type or channelId, signed and unsigned',
  weight: 0.2,
  quickRuns: 30,
  caseTimeoutMs: 15_000,
  prepare: warmUpTemplates,
  arbitrary: () =>
    fc.record({
      signed: fc.boolean(),
      field: fc.constantFrom('type' as const, 'channelId' as const),
      remove: fc.boolean(),
      value: fc.oneof(fc.constant(''), fc.constant(null), fc.integer(), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 })),
      extra: fc.array(mutation, { maxLength: 2 }),
    }),
  async check(fx, c) {
    const a = mutate(fx.prepared, { base: 'personal', mutations: c.extra }, 'any');
    if (c.remove) delete a[c.field];
    else a[c.field] = c.value;
    if (c.signed) {
      await postSigned(fx, a, fx.prepared.serviceUrl, 'a signed body without an activity type');
      return;
    }
    const body = Buffer.from(JSON.stringify(a));
    const answer = await rawRequest(fx.world.botUrl, { method: 'POST', path: '/api/messages', headers: [['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body });
    expectAnswered(fx, answer.status, 'an unsigned body without an activity type');
  },
};

// Invokes the bot does not handle (found by this suite: botbuilder answered them 501) get a 400.
export const unhandledInvoke: FuzzTarget<Templates, { name: unknown; shape: ShapeCase }> = {
  id: 'unhandled-invoke',
  title: 'signed invokes whose name the bot does not handle (message extensions, task modules, unknown names)',
  weight: 0.2,
  quickRuns: 30,
  caseTimeoutMs: 15_000,
  prepare: warmUpTemplates,
  arbitrary: () =>
    fc.record({
      name: fc.oneof(fc.constantFrom(...INVOKE_NAMES.filter((n) => !HANDLED_INVOKES.includes(n))), oddString(20), fc.constant(undefined)),
      shape: fc.record({ base: fc.constantFrom('personal' as const, 'channel' as const), mutations: fc.array(mutation, { maxLength: 1 }) }),
    }),
  async check(fx, c) {
    const a = mutate(fx.prepared, c.shape, 'any');
    a.type = 'invoke';
    a.name = HANDLED_INVOKES.includes(c.name as string) ? `${c.name}x` : c.name;
    await postSigned(fx, a, fx.prepared.serviceUrl, `an invoke named ${JSON.stringify(c.name)}`);
  },
};

// ---------------------------------------------------------------------------------------------
// 3. Card actions for every verb, as invokes and as Action.Submit values

interface CardFixture {
  /** alex's live pending change: never generated for alex, so no case may PATCH. */
  key: string;
  confirmationId: string;
  templates: { alex: Activity; adele: Activity };
  helpId: { alex: string; adele: string };
}

async function prepareCards(world: World): Promise<CardFixture> {
  const alex = world.teams.personalChat('alex');
  const adele = world.teams.personalChat('adele');
  const help = { alex: await alex.send('help'), adele: await adele.send('help') };
  const asked = await alex.send(`set upload ${SEED.pending} to complete`);
  if (asked.status !== 200) throw new Error(`asking for a change answered ${asked.status}`);
  const message = alex.lastCardMessage();
  const key = JSON.stringify(message?.card ?? {}).match(/"changeKey":"([A-Za-z0-9_-]{43})"/)?.[1];
  if (!message || !key) throw new Error('no confirmation card with a key');
  return {
    key,
    confirmationId: message.id,
    templates: { alex: clone(help.alex.activity), adele: clone(help.adele.activity) },
    helpId: { alex: alex.lastCardMessage()!.id, adele: adele.lastCardMessage()!.id },
  };
}

type KeyChoice =
  | { kind: 'random'; value: string }
  | { kind: 'mutated'; at: number; char: string }
  | { kind: 'wrapped'; prefix: string; suffix: string }
  | { kind: 'caseFlipped' }
  | { kind: 'wrongType'; wrap: 'array' | 'object' | 'number' | 'nested' }
  | { kind: 'wrongField'; field: string }
  | { kind: 'value'; value: unknown }
  | { kind: 'absent' };

/** The actual key, only for users who are not its requester. */
type Actor = 'alex' | 'adele' | 'adeleWithRealKey';

interface CardCase {
  actor: Actor;
  mode: 'invoke' | 'submit';
  verb: string;
  key: KeyChoice;
  uploadId?: unknown;
  extra: Record<string, unknown>;
  replyTo: 'confirmation' | 'help' | 'random' | 'none';
  authentication?: unknown;
}

const keyChoice: fc.Arbitrary<KeyChoice> = fc.oneof(
  { weight: 3, arbitrary: keyShaped.map((value) => ({ kind: 'random' as const, value })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('mutated' as const), at: fc.nat({ max: 42 }), char: fc.constantFrom(...'Aa0-_Zz9') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrapped' as const), prefix: fc.constantFrom('', ' ', '\u200B', 'x', '"'), suffix: fc.constantFrom(' ', '\n', '=', '\u200B', 'x', '%00') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'caseFlipped' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wrongType' as const), wrap: fc.constantFrom('array' as const, 'object' as const, 'number' as const, 'nested' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrongField' as const), field: fc.constantFrom('key', 'changekey', 'ChangeKey', 'change_key', 'uploadId', 'id') }) },
  { weight: 2, arbitrary: wrongValue.map((value) => ({ kind: 'value' as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'absent' as const }) },
);

/** The data a case sends: never the live key as `changeKey` from its requester (alex). */
function cardData(f: CardFixture, c: CardCase): Record<string, unknown> {
  const data: Record<string, unknown> = { ...c.extra };
  const real = f.key;
  if (c.actor === 'adeleWithRealKey') data.changeKey = real;
  else {
    const k = c.key;
    switch (k.kind) {
      case 'random':
        data.changeKey = k.value;
        break;
      case 'mutated': {
        const swapped = real[k.at] === k.char ? (k.char === 'A' ? 'B' : 'A') : k.char;
        data.changeKey = real.slice(0, k.at) + swapped + real.slice(k.at + 1);
        break;
      }
      case 'wrapped':
        data.changeKey = k.prefix + real + k.suffix;
        break;
      case 'caseFlipped':
        data.changeKey = [...real].map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase())).join('');
        break;
      case 'wrongType':
        data.changeKey = k.wrap === 'array' ? [real] : k.wrap === 'object' ? { changeKey: real } : k.wrap === 'number' ? Number.parseInt(real, 36) : { toString: real, valueOf: real, key: [real] };
        break;
      case 'wrongField':
        data[k.field] = real;
        break;
      case 'value':
        data.changeKey = k.value;
        break;
      case 'absent':
        break;
    }
  }
  if (c.uploadId !== undefined) data.uploadId = c.uploadId;
  // The guarantee under test: alex never sends her own live key in changeKey, in any form that is that exact string.
  if (c.actor === 'alex' && data.changeKey === real) data.changeKey = `${real}x`;
  return data;
}

const uploadIdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...(Object.values(SEED) as unknown[]).filter((v): v is string => typeof v === "string")),
  fc.uuid().map(String),
  fc.constantFrom(`{${SEED.pending}}`, SEED.pending.toUpperCase(), ` ${SEED.pending} `, `${SEED.pending}\u200B`, SEED.pending.replace(/-/g, '')),
  wrongValue,
);

const cardCase: fc.Arbitrary<CardCase> = fc.record(
  {
    actor: fc.constantFrom<Actor>('alex', 'alex', 'adele', 'adeleWithRealKey'),
    mode: fc.constantFrom('invoke' as const, 'submit' as const),
    verb: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...Object.values(CARD_VERBS)) }, { weight: 1, arbitrary: fc.oneof(oddString(20), fc.constantFrom('ConfirmChange', 'confirmchange', 'confirmChange ', 'submitForm', 'openForm')) }),
    key: keyChoice,
    uploadId: uploadIdValue,
    extra: fc.dictionary(fc.oneof(oddString(10), fc.constantFrom('verb', 'action', 'msteams', 'state', 'authentication')), wrongValue, { maxKeys: 3 }),
    replyTo: fc.constantFrom('confirmation' as const, 'help' as const, 'random' as const, 'none' as const),
    authentication: fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.record({ id: fc.uuid(), connectionName: fc.constant(''), token: fc.oneof(wrongValue, fc.constantFrom('eyJ.eyJ.x', 'a.b.c')) }) },
      { weight: 1, arbitrary: wrongValue },
    ),
  },
  { requiredKeys: ['actor', 'mode', 'verb', 'key', 'extra', 'replyTo'] },
);

const INVOKE_TYPES = new Set([
  'application/vnd.microsoft.card.adaptive',
  'application/vnd.microsoft.activity.message',
  'application/vnd.microsoft.error',
  'application/vnd.microsoft.activity.loginRequest',
  'application/vnd.microsoft.error.preconditionFailed',
]);

/** A Universal Actions answer: {statusCode, type, value}, with the value its type calls for. */
export function invokeAnswerProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'the body is not an object';
  const { statusCode, type, value } = body as { statusCode?: unknown; type?: unknown; value?: unknown };
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 200 || statusCode > 499) return `statusCode ${String(statusCode)}`;
  if (typeof type !== 'string' || !INVOKE_TYPES.has(type)) return `type ${String(type)}`;
  if (type === 'application/vnd.microsoft.card.adaptive' && (typeof value !== 'object' || (value as { type?: unknown } | null)?.type !== 'AdaptiveCard')) return 'a card answer without an AdaptiveCard';
  if (type === 'application/vnd.microsoft.activity.message' && typeof value !== 'string') return 'a message answer without text';
  if (type.includes('error') && (typeof value !== 'object' || typeof (value as { message?: unknown } | null)?.message !== 'string')) return 'an error answer without a message';
  if (type.endsWith('loginRequest') && statusCode !== 401) return `a login request with statusCode ${statusCode}`;
  return undefined;
}

function actionActivity(f: CardFixture, c: CardCase): Activity {
  const who = c.actor === 'alex' ? 'alex' : 'adele';
  const a = clone(f.templates[who]);
  a.id = freshId();
  delete a.text;
  delete a.attachments;
  delete a.textFormat;
  const data = cardData(f, c);
  if (c.mode === 'invoke') {
    a.type = 'invoke';
    a.name = 'adaptiveCard/action';
    a.value = { action: { type: 'Action.Execute', verb: c.verb, data }, trigger: 'manual', ...(c.authentication !== undefined ? { authentication: c.authentication } : {}) };
  } else {
    a.value = { ...data, verb: c.verb };
  }
  a.channelData = { ...a.channelData, source: { name: 'message' } };
  if (c.replyTo === 'confirmation') a.replyToId = who === 'alex' ? f.confirmationId : f.helpId.adele;
  else if (c.replyTo === 'help') a.replyToId = f.helpId[who];
  else if (c.replyTo === 'random') a.replyToId = freshId();
  else delete a.replyToId;
  return a;
}

export const cardActions: FuzzTarget<CardFixture, CardCase> = {
  id: 'card-actions',
  title: `card actions for every verb (${Object.values(CARD_VERBS).join(', ')}) as invokes and Action.Submit values, random data`,
  weight: 2,
  quickRuns: 100,
  caseTimeoutMs: 15_000,
  prepare: prepareCards,
  arbitrary: () => cardCase,
  async check(fx, c) {
    const a = actionActivity(fx.prepared, c);
    const answer = await postSigned(fx, a, String(a.serviceUrl), `a ${c.mode} of "${c.verb}"`);
    // A body over the limit, or nested deeper than 64, is refused before any turn, invoke or not: right.
    if (!answer || answer.status === 413 || refusedAsTooDeep(answer)) return;
    if (c.mode === 'invoke') {
      const problem = invokeAnswerProblem(answer.json);
      if (answer.status !== 200 || problem) violated(fx.tally, 'contract', `the invoke answer is not well-formed (${answer.status}, ${problem ?? 'ok'}): ${answer.text.slice(0, 300)}`);
      if ((answer.json as { statusCode?: number }).statusCode! >= 500) violated(fx.tally, 'fiveXX', `the invoke answered statusCode ${(answer.json as { statusCode: number }).statusCode}`);
    }
  },
  async finish(fx) {
    // The key was live all along: the requester's own Confirm PATCHes exactly once.
    const chat = fx.world.teams.personalChat('alex');
    const turn = await chat.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: CARD_VERBS.confirmChange, data: { changeKey: fx.prepared.key } }, trigger: 'manual' }, { replyToId: fx.prepared.confirmationId });
    await fx.world.teams.settled();
    const patched = fx.world.graph.patchCount(SEED.pending);
    if (turn.status !== 200 || patched !== 1) return `the real key did not PATCH exactly once after the run (status ${turn.status}, ${patched} PATCHes): the property could not have failed`;
    return undefined;
  },
};

// ---------------------------------------------------------------------------------------------
// 4. Form submissions

interface FormFixture {
  templates: { alex: Activity; adele: Activity };
  formIds: { alex: string; adele: string };
}

interface FormCase {
  actor: 'alex' | 'adele';
  uploadId?: unknown;
  status?: unknown;
  extra: Record<string, unknown>;
}

const statusValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('noUpload', 'pending', 'complete', 'error'),
  fc.constantFrom('Complete', 'COMPLETE', ' complete ', 'completed', 'noupload', 'no upload', 'no-upload', 'NoUpload', 'errors', 'done', 'complete\u200B', 'c\u0301omplete', 'ｃｏｍｐｌｅｔｅ'),
  wrongValue,
);

export const formSubmissions: FuzzTarget<FormFixture, FormCase> = {
  id: 'form-submissions',
  title: `set-upload form submissions (${SUBMIT_ACTIONS.submitForm}) with random uploadId and status`,
  weight: 2,
  quickRuns: 80,
  caseTimeoutMs: 15_000,
  async prepare(world) {
    const alex = world.teams.personalChat('alex');
    const adele = world.teams.personalChat('adele');
    // alex signs in (message-level SSO) so valid submissions reach Graph; adele never does.
    await alex.send(`show upload ${SEED.complete}`);
    const formA = await alex.send('set upload');
    const formB = await adele.send('set upload');
    return {
      templates: { alex: clone(formA.activity), adele: clone(formB.activity) },
      formIds: { alex: alex.lastCardMessage()!.id, adele: adele.lastCardMessage()!.id },
    };
  },
  arbitrary: () =>
    fc.record(
      {
        actor: fc.constantFrom('alex' as const, 'adele' as const),
        uploadId: uploadIdValue,
        status: statusValue,
        extra: fc.dictionary(fc.oneof(oddString(10), fc.constantFrom('verb', 'changeKey', 'msteams')), wrongValue, { maxKeys: 2 }),
      },
      { requiredKeys: ['actor', 'extra'] },
    ),
  async check(fx, c) {
    const a = clone(fx.prepared.templates[c.actor]);
    a.id = freshId();
    delete a.text;
    delete a.attachments;
    a.replyToId = fx.prepared.formIds[c.actor];
    a.channelData = { ...a.channelData, source: { name: 'message' } };
    a.value = { ...c.extra, action: SUBMIT_ACTIONS.submitForm, ...(c.uploadId !== undefined ? { uploadId: c.uploadId } : {}), ...(c.status !== undefined ? { status: c.status } : {}) };
    const before = fx.world.teams.sent().length;
    const answer = await postSigned(fx, a, String(a.serviceUrl), 'a form submission');
    if (!answer || answer.status === 413 || refusedAsTooDeep(answer)) return;
    if (answer.status !== 200) violated(fx.tally, 'contract', `a form submission answered ${answer.status}`);
    const replies = sentSince(fx.world, before).filter((s) => s.activity);
    if (replies.length === 0) violated(fx.tally, 'contract', 'a form submission got no answer in the chat');
    for (const r of replies) {
      const kind = answerKind(r.activity!);
      const submitted = typeof c.uploadId === 'string' ? c.uploadId.toLowerCase() : '';
      if (kind === 'form' && !formProblem(r.activity!)) violated(fx.tally, 'contract', 'the form came back without naming the problem');
      // (adele is not signed in at first; the stand-in's client answers her first OAuthCard with SSO, as Teams does.)
      if ((kind === 'confirmation' || kind === 'noChange') && !confirmedIdIn(r.activity!, submitted)) violated(fx.tally, 'contract', `a confirmation card for an upload the submission did not name (${String(c.uploadId)})`);
      if (kind === 'other') violated(fx.tally, 'contract', `an answer that is neither the form, a confirmation, a sign-in nor a Graph error: ${JSON.stringify(r.activity).slice(0, 300)}`);
    }
  },
};

function answerKind(activity: Activity): 'form' | 'confirmation' | 'noChange' | 'signIn' | 'graphError' | 'other' {
  const att = (activity.attachments ?? [])[0] as { contentType?: string; content?: unknown } | undefined;
  if (att?.contentType === 'application/vnd.microsoft.card.oauth') return 'signIn';
  const text = JSON.stringify(att?.content ?? {});
  if (text.includes('"id":"uploadId"') && text.includes('"Input.Text"')) return 'form';
  if (text.includes('"verb":"confirmChange"')) return 'confirmation';
  // The confirmation path for an upload already in the requested status.
  if (text.includes('so there is nothing to change')) return 'noChange';
  if (/Upload not found|Request rejected|Not permitted/.test(text)) return 'graphError';
  return 'other';
}

/** The problem the form names: the attention container's text. */
function formProblem(activity: Activity): string {
  const card = activity.attachments?.[0]?.content as { body?: Array<{ style?: string; items?: unknown[] }> } | undefined;
  const box = card?.body?.find((b) => b.style === 'attention');
  return JSON.stringify(box?.items ?? []).replace(/[^\p{L}\p{N}]+/gu, ' ').replace(/\b(RichTextBlock|TextRun|type|text|inlines|weight|bolder)\b/gi, '').trim();
}

/** The confirmation names an upload whose id (a GUID) is inside what was submitted. */
function confirmedIdIn(activity: Activity, submitted: string): boolean {
  const text = JSON.stringify(activity.attachments?.[0]?.content ?? {});
  const ids = text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? [];
  return ids.some((id) => submitted.includes(id.toLowerCase()));
}

// ---------------------------------------------------------------------------------------------
// 5. /api/notify with a valid key

interface NotifyCase {
  body: string;
  contentType?: string;
}

const notifyFieldValue = (field: string): fc.Arbitrary<unknown> => {
  switch (field) {
    case 'uploadId':
      return fc.oneof(uploadIdValue, fc.uuid().map((u) => ` ${u.toUpperCase()}\t`));
    case 'status':
    case 'previousStatus':
      return statusValue;
    default:
      return fc.oneof(
        oddString(40),
        fc.constantFrom('Intune script', ' ', '', 'a'.repeat(256), 'a'.repeat(257), 'b'.repeat(500), 'b'.repeat(501), 'tab\there', 'new\nline', 'bell\u0007', 'nul\u0000', 'del\u007f', 'esc\u001b[31m'),
        fc.integer({ min: 1, max: 12_000 }).map((n) => 'n'.repeat(n)),
        wrongValue,
      );
  }
};

const notifyObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.subarray(['uploadId', 'status', 'previousStatus', 'actor', 'note']),
    fc.dictionary(fc.oneof(oddString(12), fc.constantFrom('tenantId', 'uploadID', 'Status', '__proto__', 'constructor', 'deliveryId')), wrongValue, { maxKeys: 2 }),
    fc.boolean(),
  )
  .chain(([fields, extra, withExtra]) =>
    fc.tuple(...fields.map((f) => notifyFieldValue(f))).map((values) => {
      const body: Record<string, unknown> = withExtra ? { ...extra } : {};
      fields.forEach((f, i) => (body[f] = values[i]));
      return body;
    }),
  );

/** Mostly well-formed notifications with one thing wrong, so valid bodies are common too. */
const nearlyValid: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    uploadId: fc.oneof(fc.uuid().map(String), fc.constantFrom(SEED.pending)),
    status: fc.constantFrom('noUpload', 'pending', 'complete', 'error'),
    previousStatus: fc.option(fc.constantFrom('noUpload', 'pending', 'complete', 'error'), { nil: undefined }),
    actor: fc.option(fc.oneof(oddString(60), fc.constant('Intune script')), { nil: undefined }),
    note: fc.option(oddString(120), { nil: undefined }),
  })
  .map((b) => Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)));

const notifyCase: fc.Arbitrary<NotifyCase> = fc.record(
  {
    body: fc.oneof(
      { weight: 4, arbitrary: fc.oneof(notifyObject, nearlyValid).map((o) => JSON.stringify(o)) },
      { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: fc.oneof(oddString(80), fc.constantFrom('', '{', '{"uploadId":', '{"__proto__":{"status":"complete"}}', `{"uploadId":"${SEED.pending}","status":"complete","status":"x"}`)) },
    ),
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/merge-patch+json', 'application/jsonp', 'APPLICATION/JSON', 'application/json5', '') },
    ),
  },
  { requiredKeys: ['body'] },
);

export const notifyBodies: FuzzTarget<void, NotifyCase> = {
  id: 'notify-bodies',
  title: 'POST /api/notify with a valid key and random JSON (extra fields, wrong types, huge strings, control characters)',
  weight: 2,
  quickRuns: 200,
  arbitrary: () => notifyCase,
  async check(fx, c) {
    const body = Buffer.from(c.body, 'utf8');
    const headers: Array<[string, string]> = [['Authorization', `Bearer ${fx.notifyKey}`], ['Content-Length', String(body.length)]];
    if (c.contentType !== undefined) headers.push(['Content-Type', c.contentType]);
    const answer = await rawRequest(fx.world.botUrl, { method: 'POST', path: '/api/notify', headers, body });
    expectAnswered(fx, answer.status, 'POST /api/notify');
    expectNoLeak(fx, answer.text, 'the answer to POST /api/notify');
    const expected = expectedNotifyStatuses(c.body, body.length, c.contentType);
    if (!expected.includes(answer.status)) violated(fx.tally, 'contract', `POST /api/notify answered ${answer.status}, expected ${expected.join(' or ')}`);
    if (answer.status === 202 && !/"deliveryId":"[0-9a-f-]{36}"/.test(answer.text)) violated(fx.tally, 'contract', 'a 202 without a deliveryId');
  },
};

// Found by this suite: an invoke whose turn threw got no invoke response (501); malformed values are now 400s.
export const invokeTurnError: FuzzTarget<Templates, { name: string; value: unknown; shape: ShapeCase }> = {
  id: 'invoke-turn-error',
  title: 'handled invokes (adaptiveCard/action, signin/*) with a malformed value',
  weight: 0.2,
  quickRuns: 30,
  caseTimeoutMs: 15_000,
  prepare: warmUpTemplates,
  arbitrary: () =>
    fc.record({
      name: fc.constantFrom(...HANDLED_INVOKES),
      value: fc.oneof(fc.constant({}), fc.record({ authentication: wrongValue }), fc.record({ action: fc.oneof(fc.constant(null), fc.string(), fc.integer()) }), wrongValue),
      shape: fc.record({ base: fc.constantFrom('personal' as const, 'channel' as const), mutations: fc.array(mutation, { maxLength: 1 }) }),
    }),
  async check(fx, c) {
    const a = mutate(fx.prepared, c.shape, 'any');
    a.type = 'invoke';
    a.name = c.name;
    a.value = c.value;
    await postSigned(fx, a, fx.prepared.serviceUrl, `an invoke ${c.name} with value ${JSON.stringify(c.value)?.slice(0, 60)}`);
  },
};

// Found by this suite: the notify route accepted any type matching
// /^application\/(.+\+)?json\b/i, so "application/json-seq", "application/json.x" or "application/json-x"
// counted as JSON (the \b matched before "-" or "."); the bounded reader answers 415.
export const notifyMediaType: FuzzTarget<void, { type: string; body: Record<string, unknown> }> = {
  id: 'notify-media-type',
  title: 'POST /api/notify with media types that only start like application/json',
  weight: 0.2,
  quickRuns: 30,
  arbitrary: () => fc.record({ type: fc.constantFrom('application/json-seq', 'application/json.x', 'application/json-patch', 'application/json/x', 'application/json=1'), body: nearlyValid }),
  async check(fx, c) {
    const body = Buffer.from(JSON.stringify(c.body));
    const answer = await rawRequest(fx.world.botUrl, { method: 'POST', path: '/api/notify', headers: [['Authorization', `Bearer ${fx.notifyKey}`], ['Content-Type', c.type], ['Content-Length', String(body.length)]], body });
    expectAnswered(fx, answer.status, 'POST /api/notify');
    const expected = expectedNotifyStatuses(JSON.stringify(c.body), body.length, c.type);
    if (!expected.includes(answer.status)) violated(fx.tally, 'contract', `POST /api/notify with Content-Type ${c.type} answered ${answer.status}, expected ${expected.join(' or ')}`);
  },
};

export const TARGETS: FuzzTarget<any, any>[] = [
  httpIntake,
  activityShapes,
  badSignatures,
  cardActions,
  formSubmissions,
  notifyBodies,
  // Found by this suite (each failed before its fix landed); kept as regression targets.
  garbageGzip,
  notAnActivity,
  tokenErrors500,
  unhandledInvoke,
  invokeTurnError,
  notifyMediaType,
];
