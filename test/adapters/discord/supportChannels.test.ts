import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../support/fakeDiscord.ts';
import { makeAnswer, refusal } from '../../support/fakeAssistant.ts';
import { postedTo, startHarness, threadStartedFrom, waitForPosts, type Harness, answerPart } from './harness.ts';

describe('Discord support channels (answered without a mention)', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  const start = async (rules?: { minChars: number; requireQuestionMark: boolean; reactWhenUnsure: boolean }) => {
    h = await startHarness({ config: (fake) => ({ supportChannels: [fake.channelId, fake.forumChannelId], ...(rules ? { support: rules } : {}) }) });
    h.assistant.respond = (req) => (req.question.includes('weather') ? refusal() : makeAnswer(`Answer to: ${req.question}`));
  };

  it('answers a new question in a thread started from it, pinging nobody', async () => {
    await start();
    const { fake, assistant } = h;
    const msg = fake.postMessage({ content: 'How do I create a partial index?' });
    const threadId = await threadStartedFrom(fake, msg.id);
    const [reply] = await waitForPosts(fake, threadId, 1);

    expect(answerPart(reply!.body.content)).toBe('Answer to: How do I create a partial index?');
    expect(reply!.body.allowed_mentions).toEqual({ parse: [] });
    expect(assistant.asks[0]!.conversation).toEqual({ platform: 'discord', channel: fake.channelId, thread: msg.id });
  });

  it('answers a forum post inside the post, taking its title as part of the question', async () => {
    await start();
    const { fake, assistant } = h;
    const { threadId } = fake.forumPost('Replication lag', 'Why does my replica fall behind at night?');
    const [reply] = await waitForPosts(fake, threadId, 1);

    expect(assistant.asks[0]!.question).toBe('Replication lag\n\nWhy does my replica fall behind at night?');
    expect(reply!.body.content).toContain('Why does my replica fall behind at night?');
    expect(assistant.asks[0]!.conversation).toEqual({ platform: 'discord', channel: fake.forumChannelId, thread: threadId });
    expect(fake.threads).toHaveLength(0);
  });

  it('reacts 👀 instead of saying "I don\'t know", and ignores chatter and bots', async () => {
    await start();
    const { fake, assistant } = h;
    const unsure = fake.postMessage({ content: 'What is the weather like in Lisbon?' });
    fake.postMessage({ content: 'thanks, that worked' });
    fake.postMessage({ content: 'Is anyone else seeing replication lag?', author: { id: '123456789012345678', username: 'other', discriminator: '0', bot: true } });
    fake.postMessage({ content: 'Is anyone else seeing replication lag?', author: fake.bot });

    const reaction = await fake.waitForRequest((r) => r.method === 'PUT' && r.path.includes('/reactions/'));
    expect(reaction.path).toBe(`/channels/${fake.channelId}/messages/${unsure.id}/reactions/👀/@me`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(assistant.asks.map((a) => a.question)).toEqual(['What is the weather like in Lisbon?']);
    expect(postedTo(fake, fake.channelId)).toHaveLength(0);
    expect(fake.threads).toHaveLength(0);
  });

  it('with reactions off and no "?" rule, answers long statements and does nothing for the rest', async () => {
    await start({ minChars: 20, requireQuestionMark: false, reactWhenUnsure: false });
    const { fake, assistant } = h;
    fake.postMessage({ content: 'nice weather for a migration today' });
    fake.postMessage({ content: 'short one' });
    const msg = fake.postMessage({ content: 'replication slot keeps growing on the primary' });
    await waitForPosts(fake, await threadStartedFrom(fake, msg.id), 1);

    await waitUntil(() => assistant.asks.length >= 2, 5_000, 'both questions');
    expect(assistant.asks.map((a) => a.question)).toEqual(['nice weather for a migration today', 'replication slot keeps growing on the primary']);
    expect(fake.requests.some((r) => r.path.includes('/reactions/'))).toBe(false);
  });
});
