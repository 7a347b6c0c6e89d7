/**
 * Two bot instances on one Azure Storage (Azurite), behind a round-robin endpoint as a load balancer
 * puts them: Teams' duplicate token exchanges land on different instances, and still exactly one
 * exchange and one resumed command happen; a Confirm pressed twice, once per instance, PATCHes once.
 */
import { startRoundRobin, type RoundRobin } from '../../../bench/soak/proxy';
import { createApp, type BotApp } from '../../../bot/app';
import { createLogger } from '../../../bot/log';
import type { RunningAzurite } from '../../../sandbox/azurite';
import { startAzurite } from '../../support/azurite';
import { startWorld, type World } from '../../support/world';
import { SEED, buttonTitles, forgetBotTokens, keyOf, patches, postedCards } from './helpers';

let azurite: RunningAzurite;
let w: World;
let second: BotApp;
let proxy: RoundRobin;

beforeAll(async () => {
  azurite = await startAzurite();
  forgetBotTokens();
  w = await startWorld({
    tokenExchangeCopies: 2,
    env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, STATE_CONTAINER: 'two-instances', NOTIFY_QUEUE: 'two-instances' },
  });
  second = createApp(w.bot.services.config, { logger: createLogger('warn') });
  const secondUrl = await second.listen(0);
  proxy = await startRoundRobin([
    { name: 'A', port: Number(new URL(w.botUrl).port) },
    { name: 'B', port: Number(new URL(secondUrl).port) },
  ]);
  w.teams.setBotEndpoint(proxy.endpoint);
}, 60_000);

afterAll(async () => {
  await w?.close();
  await second?.close();
  await proxy?.close();
  await azurite?.stop();
});

it('duplicate token exchanges on two instances: one OBO exchange, one confirmation; two Confirms on two instances: one PATCH', async () => {
  const chat = w.teams.personalChat('alex');
  const turn = await chat.send(`set upload ${SEED.pending} to complete`);

  const exchanges = turn.invokes.filter((i) => i.name === 'signin/tokenExchange');
  expect(exchanges).toHaveLength(2);
  expect(exchanges.map((e) => e.status)).toEqual([200, 200]);
  const served = proxy.requests.filter((r) => r.kind === 'invoke/signin/tokenExchange').map((r) => r.backend).sort();
  expect(served).toEqual(['A', 'B']);
  expect(w.entra.stats().oboCalls).toBe(1);
  const confirmations = postedCards(turn).filter((c) => buttonTitles(c).includes('Confirm'));
  expect(confirmations).toHaveLength(1);

  const card = chat.lastCardMessage()!;
  const press = () => chat.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'confirmChange', data: { changeKey: keyOf(card.card) } }, trigger: 'manual' }, { replyToId: card.id });
  const [a, b] = await Promise.all([press(), press()]);
  expect([a.status, b.status]).toEqual([200, 200]);
  const confirms = proxy.requests.filter((r) => r.verb === 'confirmChange').map((r) => r.backend).sort();
  expect(confirms).toEqual(['A', 'B']);
  expect(patches(w)).toBe(1);
  expect(w.graph.upload(SEED.pending)!.status).toBe('complete');
});
