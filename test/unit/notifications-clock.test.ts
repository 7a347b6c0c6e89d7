/** The notification pieces tell time by the bot's clock (app.ts passes it), not by Date.now(). */
import { Writable } from 'node:stream';
import { createLogger } from '../../bot/log';
import { Notifications } from '../../bot/notifications';
import { MemoryStore } from '../../bot/state/memoryStore';

const quiet = createLogger('error', new Writable({ write: (_c, _e, done) => done() }));

it('a prepared recovery job is stamped, delayed and dead-lettered on the injected clock', async () => {
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = () => now;
  const n = new Notifications({ storage: new MemoryStore(clock), queueName: 'q', send: async () => ({ httpAttempts: 1 }), log: quiet, allowedTenants: ['t'], clock, worker: { recoveryDelaySeconds: 15 } });
  const started = now;
  await n.prepare('change-1');
  expect(await n.outbox.receive(1, 30)).toEqual([]); // not due on this clock
  now += 15_000;
  const [due] = await n.outbox.receive(1, 30);
  expect(due?.job).toEqual({ kind: 'recover', changeKey: 'change-1', enqueuedAt: started });
  now += 1_000;
  await n.outbox.deadLetter(due!, 'test');
  expect((await n.deadLetters()).map((d) => d.at)).toEqual([started + 16_000]);
});
