import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snowflake, waitUntil } from '../../support/fakeDiscord.ts';
import { buttonIds, callbackOf, editOf, postedTo, startHarness, type Harness } from './harness.ts';

const responderUser = snowflake();
const responderRole = snowflake();

describe('Discord hand-off to a human', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ config: () => ({ handoff: { users: [responderUser], roles: [responderRole] } }) });
  });
  afterEach(async () => {
    await h.stop();
  });

  async function answer() {
    const { token } = h.fake.slashCommand('Why is @everyone replication lagging?');
    const edit = await h.fake.waitForRequest(editOf(h.fake.applicationId, token));
    return { edit, message: h.fake.messages.get(edit.response.id)! };
  }

  it('posts a reply to the answer that may ping exactly the responders, with the question and sources, and records it', async () => {
    const { fake, actions } = h;
    const { edit, message } = await answer();
    const humanId = buttonIds(edit.body).find((c) => c.startsWith('kb:human:'))!;
    const click = fake.clickButton(humanId, message);
    const [post] = await waitUntil(() => (postedTo(fake, fake.channelId).length ? postedTo(fake, fake.channelId) : undefined), 5_000, 'the hand-off');

    expect(post!.body.allowed_mentions).toEqual({ parse: [], users: [responderUser], roles: [responderRole], replied_user: false });
    expect(post!.body.content).toMatch(new RegExp(`^<@&${responderRole}> <@${responderUser}> a human is needed`));
    expect(post!.body.content).toContain('> Why is replication lagging?');
    expect(post!.body.content).toContain('**Sources tried**\n• [1] Partial indexes 1 <https://docs.example.org/indexes-1#creating>');
    expect(post!.body.message_reference).toMatchObject({ message_id: message.id });
    expect(buttonIds(post!.body)).toEqual(['kb:resolved:1']);
    expect(actions.handoffs[0]).toMatchObject({ platform: 'discord', asker: fake.human.id, responders: [`role:${responderRole}`, `user:${responderUser}`], status: 'open' });
    const note = await fake.waitForRequest(editOf(fake.applicationId, click.token));
    expect(note.body.content).toBe('I have asked a human to help; they will reply here.');

    // Every other message the bot sent pinged nobody.
    const others = fake.requests.filter((r) => r.method !== 'GET' && r.body?.content !== undefined && r !== post);
    expect(others.length).toBeGreaterThan(0);
    for (const r of others) expect(r.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('only the asker can ask for a human, and only once', async () => {
    const { fake, actions } = h;
    const { edit, message } = await answer();
    const humanId = buttonIds(edit.body).find((c) => c.startsWith('kb:human:'))!;
    const stranger = fake.clickButton(humanId, message, fake.bystander);
    const refused = await fake.waitForRequest(callbackOf(stranger.id, stranger.token));
    expect(refused.body).toMatchObject({ type: 4, data: { content: 'Only the person who asked can ask for a human.', flags: 64 | 4 } });

    fake.clickButton(humanId, message);
    await waitUntil(() => actions.handoffs.length === 1 || undefined, 5_000, 'the hand-off');
    const again = fake.clickButton(humanId, message);
    const second = await fake.waitForRequest(callbackOf(again.id, again.token));
    expect(second.body).toMatchObject({ type: 4, data: { content: 'A human has already been asked about this answer.' } });
    expect(actions.handoffs).toHaveLength(1);
  });

  it('"Resolved" closes it and replaces the button with who resolved it', async () => {
    const { fake, actions } = h;
    const { edit, message } = await answer();
    fake.clickButton(buttonIds(edit.body).find((c) => c.startsWith('kb:human:'))!, message);
    const [post] = await waitUntil(() => (postedTo(fake, fake.channelId).length ? postedTo(fake, fake.channelId) : undefined), 5_000, 'the hand-off');
    const resolver = { ...fake.bystander, id: responderUser };
    const click = fake.clickButton('kb:resolved:1', post!.response, resolver);
    const update = await fake.waitForRequest(callbackOf(click.id, click.token));

    expect(update.body.type).toBe(7);
    expect(update.body.data.components).toEqual([]);
    expect(update.body.data.content).toContain(`✅ Resolved by <@${responderUser}>`);
    expect(update.body.data.allowed_mentions).toEqual({ parse: [] });
    expect(actions.handoffs[0]).toMatchObject({ status: 'resolved', resolvedBy: responderUser });
  });
});
