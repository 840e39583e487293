import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../support/fakeDiscord.ts';
import { buttonIds, callbackOf, editOf, followUpsOf, postedTo, startHarness, type Harness, answerPart } from './harness.ts';

describe('Discord private /ask answers with "Share in channel"', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ config: () => ({ replyPrivately: true }) });
  });
  afterEach(async () => {
    await h.stop();
  });

  async function privateAnswer(question = 'How do I create a partial index?') {
    const { id, token } = h.fake.slashCommand(question);
    const callback = await h.fake.waitForRequest(callbackOf(id, token));
    const edit = await h.fake.waitForRequest(editOf(h.fake.applicationId, token));
    return { callback, edit, message: h.fake.messages.get(edit.response.id)! };
  }

  it('answers ephemerally with a Share button that posts the answer once, attributed to the asker', async () => {
    const { fake } = h;
    const { callback, edit, message } = await privateAnswer();
    expect(callback.body).toMatchObject({ type: 5, data: { flags: 64 } });
    const shareId = buttonIds(edit.body).find((c) => c.startsWith('kb:share:'))!;
    expect(shareId.length).toBeLessThanOrEqual(100);

    const first = fake.clickButton(shareId, { ...message, flags: 64 });
    const update = await fake.waitForRequest(callbackOf(first.id, first.token));
    const [post] = await waitUntil(() => (postedTo(fake, fake.channelId).length ? postedTo(fake, fake.channelId) : undefined), 5_000, 'the shared post');
    const second = fake.clickButton(shareId, { ...message, flags: 64 });
    const again = await fake.waitForRequest(callbackOf(second.id, second.token));

    // The private copy loses its Share button (callback type 7 updates the message).
    expect(update.body.type).toBe(7);
    expect(buttonIds(update.body.data)).not.toContain(shareId);
    expect(answerPart(post!.body.content)).toBe(`Shared by <@${fake.human.id}>: How do I create a partial index?\n\nAnswer to: How do I create a partial index?`);
    expect(post!.body.allowed_mentions).toEqual({ parse: [] });
    expect(buttonIds(post!.body).some((c) => c.startsWith('kb:share:'))).toBe(false);
    expect(again.body).toMatchObject({ type: 4, data: { content: 'This answer has already been shared in the channel.', flags: 64 | 4 } });
    await fake.waitForRequest(followUpsOf(fake.applicationId, first.token));
    expect(postedTo(fake, fake.channelId)).toHaveLength(1);
  });

  it('refuses a share pressed by someone else', async () => {
    const { fake } = h;
    const { edit, message } = await privateAnswer();
    const shareId = buttonIds(edit.body).find((c) => c.startsWith('kb:share:'))!;
    const click = fake.clickButton(shareId, { ...message, flags: 64 }, fake.bystander);
    const reply = await fake.waitForRequest(callbackOf(click.id, click.token));
    expect(reply.body).toMatchObject({ type: 4, data: { content: 'Only the person who asked can share this answer.', flags: 64 | 4 } });
    expect(postedTo(fake, fake.channelId)).toHaveLength(0);
  });

  it('keeps thread memory for private answers: the next private /ask is a follow-up', async () => {
    await privateAnswer('How do I create a partial index?');
    await privateAnswer('and a unique one?');
    const key = { platform: 'discord', channel: h.fake.channelId, thread: `private:${h.fake.human.id}` };
    expect(h.assistant.asks.map((a) => a.conversation)).toEqual([key, key]);
  });
});
