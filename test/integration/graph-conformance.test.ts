/**
 * Conformance: every Graph URL the bot can request (the uploads client's table, held to what its
 * methods really send) is addressable in the `documented` schema, and in the `published` schema
 * the bot's answer to each is defined: it succeeds or it is `not_offered` — never a generic
 * "rejected" or a crash. Real HTTPS to the stand-ins, the real Graph client.
 */
import { BotError } from '../../bot/errors';
import { GRAPH_REQUESTS, UploadsClient } from '../../bot/graph/uploads';
import { SEED } from '../../sandbox/graph';
import { signIn, startStandIns, uploadsClient, userCredentials, type StandIns } from '../support/standins';

type Op = (typeof GRAPH_REQUESTS)[number]['op'];

/** How to make each request through the client's public API. */
const CALLS: Record<Op, (c: UploadsClient) => Promise<unknown>> = {
  get: (c) => c.get(SEED.pending),
  list: (c) => c.list({ top: 2 }),
  'probe:uploads': (c) => c.probe('uploads'),
  deviceIdentities: (c) => c.deviceIdentities(SEED.pending),
  updateStatus: (c) => c.updateStatus(SEED.pending, 'complete'),
  'probe:identities': (c) => c.probe('identities'),
};

/** A table path as a pattern over the logged path (query left aside). */
const pattern = (path: string): RegExp =>
  new RegExp(`^/(v1\\.0|beta)${path.split('?')[0]!.replace(/[.$]/g, '\\$&').replace('{id}', '[^/]+')}$`);

let s: StandIns;
beforeAll(async () => {
  s = await startStandIns();
});
afterAll(async () => {
  await s?.close();
});
afterEach(() => s.graph.reset());

async function client(version: 'v1.0' | 'beta'): Promise<UploadsClient> {
  const { credential } = await signIn(s, userCredentials(s.entra.url), 'alex');
  return uploadsClient(credential, s.graph.url, { apiVersion: version });
}

test('the table covers every Graph-calling method of the client', () => {
  const methods = Object.getOwnPropertyNames(UploadsClient.prototype).filter(
    (m) => m !== 'constructor' && typeof Object.getOwnPropertyDescriptor(UploadsClient.prototype, m)?.value === 'function' && !['request', 'call'].includes(m),
  );
  const covered = new Set(GRAPH_REQUESTS.map((r) => r.op.split(':')[0]));
  expect(methods.filter((m) => !covered.has(m))).toEqual([]);
  expect(Object.keys(CALLS).sort()).toEqual(GRAPH_REQUESTS.map((r) => r.op).sort());
});

describe.each(['v1.0', 'beta'] as const)('Graph %s', (version) => {
  test.each(GRAPH_REQUESTS.map((r) => [r.op, r] as const))('documented: %s is addressable and answers', async (op, entry) => {
    s.graph.mode.schema = 'documented';
    const c = await client(version);
    await expect(CALLS[op](c)).resolves.toBeDefined();
    const logged = s.graph.requests();
    // What the method really sent is what the table says, and Graph routed it (no 400 segment, no 501).
    expect(logged.length).toBeGreaterThan(0);
    for (const r of logged) {
      expect(GRAPH_REQUESTS.some((e) => e.method === r.method && pattern(e.path).test(r.path))).toBe(true);
      expect(r.status).toBeLessThan(300);
    }
    expect(logged.some((r) => r.method === entry.method && pattern(entry.path).test(r.path))).toBe(true);
  });

  test.each(GRAPH_REQUESTS.map((r) => [r.op, r] as const))('published: %s succeeds or is not_offered, with version, host and request-id', async (op) => {
    s.graph.mode.schema = 'published';
    const c = await client(version);
    const outcome = await CALLS[op](c).then(
      () => 'succeeded' as const,
      (err: unknown) => err,
    );
    // Only the device identities are in Microsoft's published schema.
    expect(outcome === 'succeeded').toBe(op === 'probe:identities');
    if (outcome === 'succeeded') {
      expect(s.graph.requests().every((r) => r.status < 300)).toBe(true);
      return;
    }
    expect(outcome).toBeInstanceOf(BotError);
    const e = outcome as BotError;
    expect(e.code).toBe('not_offered');
    expect(e.details).toMatchObject({
      apiVersion: version,
      graphHost: new URL(s.graph.url).host,
      segment: 'importedWindowsAutopilotDeviceIdentityUploads',
      httpStatus: 400,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    // Nothing was written: a PATCH never reached an entity.
    expect(s.graph.patchCount(SEED.pending)).toBe(0);
  });
});

test('published: the device identities collection is offered (its probe succeeds), the uploads are not', async () => {
  s.graph.mode.schema = 'published';
  const c = await client('v1.0');
  await expect(c.probe('identities')).resolves.toMatchObject({ requestId: expect.any(String) });
  await expect(c.probe('uploads')).rejects.toMatchObject({ code: 'not_offered' });
});

test('a 400 that is not the segment message stays invalid_request (never guessed to be not_offered)', async () => {
  s.graph.mode.schema = 'documented';
  const c = await client('v1.0');
  // A status Graph's model does not know is a plain 400 BadRequest with another message.
  await expect(c.updateStatus(SEED.pending, 'completed' as never)).rejects.toMatchObject({ code: 'invalid_request' });
});
