/**
 * Installations and subscriptions, through the Teams stand-in's real event payloads: installing
 * subscribes General and welcomes once; channel and team events keep the registry true; the
 * channel commands subscribe, unsubscribe and list; outside a channel they explain themselves.
 */
import type { World } from '../../support/world';
import { cardText, CONTOSO, startNotificationWorld } from './helpers';

let w: World;
beforeEach(async () => {
  w = await startNotificationWorld();
});
afterEach(async () => {
  await w.close();
});

const registry = () => w.bot.services.notifications.registry;

describe('installation events', () => {
  it('installing in a team subscribes General and posts one welcome; uninstalling drops every subscription', async () => {
    const team = w.teams.team('Deployments', { botInstalled: false });
    const deliveries = await team.installBot('alex');
    expect(deliveries.map((d) => d.status)).toEqual([200, 200]);

    const record = await registry().team(team.id);
    expect(record).toMatchObject({ teamId: team.id, name: 'Deployments', installed: true, deleted: false });
    expect(Object.values(record!.channels)).toEqual([expect.objectContaining({ id: team.id, name: 'General', subscribed: true })]);
    expect(await registry().targets(CONTOSO)).toEqual([
      { teamId: team.id, channelId: team.id, channelName: 'General', tenantId: expect.any(String), serviceUrl: w.teams.serviceUrl },
    ]);

    // installationUpdate and conversationUpdate(membersAdded) both arrived; the welcome was posted once.
    const welcomes = w.teams.sent(team.id).filter((s) => cardText(s.activity).includes("I'll post upload status changes in General"));
    expect(welcomes).toHaveLength(1);
    expect(cardText(welcomes[0].activity)).toContain('"subscribe"');
    expect(cardText(welcomes[0].activity)).toContain('"unsubscribe"');

    await team.uninstallBot('alex');
    const after = await registry().team(team.id);
    expect(after).toMatchObject({ installed: false, channels: {} });
    expect(after!.pruned).toEqual([expect.objectContaining({ channelId: team.id, channelName: 'General', reason: 'the bot was removed from the team' })]);
    expect(await registry().targets(CONTOSO)).toEqual([]);
  });

  it('channel created / renamed / deleted and team renamed update the registry', async () => {
    const team = w.teams.team('Ops', { botInstalled: false });
    await team.installBot('alex');
    await team.createChannel('Autopilot', 'alex');
    const channelId = team.channel('Autopilot').id;
    expect((await registry().team(team.id))!.channels[channelId]).toMatchObject({ name: 'Autopilot', subscribed: false });

    await team.channel('Autopilot').as('alex').send('subscribe');
    expect((await registry().team(team.id))!.channels[channelId]).toMatchObject({ name: 'Autopilot', subscribed: true, by: 'Alex Wilber' });

    await team.renameChannel('Autopilot', 'Autopilot devices', 'adele');
    expect((await registry().team(team.id))!.channels[channelId]).toMatchObject({ name: 'Autopilot devices', subscribed: true });
    expect((await registry().targets(CONTOSO)).map((t) => t.channelName).sort()).toEqual(['Autopilot devices', 'General']);

    await team.rename('Operations', 'alex');
    expect((await registry().team(team.id))!.name).toBe('Operations');

    await team.deleteChannel('Autopilot devices', 'alex');
    const record = await registry().team(team.id);
    expect(record!.channels[channelId]).toBeUndefined();
    expect(record!.pruned).toEqual([expect.objectContaining({ channelId, channelName: 'Autopilot devices', reason: 'the channel was deleted' })]);
    expect((await registry().targets(CONTOSO)).map((t) => t.channelName)).toEqual(['General']);
  });
});

describe('channel commands', () => {
  it('subscribe, subscriptions, unsubscribe in a channel', async () => {
    const team = w.teams.team('Service desk', { botInstalled: false });
    await team.installBot('alex');
    const channel = team.channel('Imaging');
    const view = channel.as('adele');

    const sub = await view.send('subscribe');
    expect(cardText(sub.replies.at(-1))).toContain('This channel now follows upload changes');
    const again = await view.send('subscribe');
    expect(cardText(again.replies.at(-1))).toContain('This channel already follows upload changes');

    const list = await view.send('subscriptions');
    const text = cardText(list.replies.at(-1));
    expect(text).toContain('2 channels of this team follow upload changes');
    expect(text).toContain('General');
    expect(text).toContain('Imaging');
    expect(text).toContain('by Adele Vance');

    const unsub = await view.send('unsubscribe');
    expect(cardText(unsub.replies.at(-1))).toContain('This channel no longer follows upload changes');
    expect((await registry().targets(CONTOSO)).map((t) => t.channelName)).toEqual(['General']);
    const none = await view.send('unsubscribe');
    expect(cardText(none.replies.at(-1))).toContain('This channel was not following upload changes');
  });

  it('outside a channel the commands say where they work', async () => {
    const chat = w.teams.personalChat('alex');
    const res = await chat.send('subscribe');
    const text = cardText(res.replies.at(-1));
    expect(text).toContain('Only in a team channel');
    expect(text).toContain('@mention me there with "subscribe"');
    expect(await registry().targets(CONTOSO)).toEqual([]);
  });
});
