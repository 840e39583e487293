import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil, type RecordedRequest } from '../../support/fakeDiscord.ts';
import { startHarness, waitForPosts, type Harness, answerPart } from './harness.ts';

describe('Discord adapter: follow-ups after /ask', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const editOf = (token: string) => (r: RecordedRequest) => r.method === 'PATCH' && r.path === `/webhooks/${h.fake.applicationId}/${token}/messages/@original`;

  async function askAndGetAnswer(question: string) {
    const { token } = h.fake.slashCommand(question);
    const edit = await h.fake.waitForRequest(editOf(token));
    return h.fake.messages.get(edit.response.id)!;
  }

  it('answers a reply to an /ask answer in a thread on that answer, with the /ask conversation', async () => {
    const { fake, assistant } = h;
    const answer = await askAndGetAnswer('How do I create a partial index?');
    expect(assistant.asks[0]!.conversation).toEqual({ platform: 'discord', channel: fake.channelId, thread: answer.id });

    fake.postMessage({ content: 'and can it be unique?', replyTo: answer });
    const [reply] = await waitForPosts(fake, answer.id, 1);

    expect(fake.threads).toEqual([expect.objectContaining({ parentId: fake.channelId, messageId: answer.id })]);
    expect(answerPart(reply!.body.content)).toBe('Answer to: and can it be unique?');
    expect(reply!.body.allowed_mentions).toEqual({ parse: [] });
    expect(assistant.asks[1]).toMatchObject({ question: 'and can it be unique?', conversation: assistant.asks[0]!.conversation });

    // Later messages in that thread go on with the same conversation.
    fake.postMessage({ content: 'what about NULLs?', channelId: answer.id, channelType: 11 });
    await waitForPosts(fake, answer.id, 2);
    expect(assistant.asks[2]).toMatchObject({ question: 'what about NULLs?', conversation: assistant.asks[0]!.conversation });
  });

  it('treats a thread someone starts from an /ask answer as its follow-up', async () => {
    const { fake, assistant } = h;
    const answer = await askAndGetAnswer('What does VACUUM do?');
    const threadId = fake.startThreadFrom(answer, 'vacuum questions');
    fake.postMessage({ content: 'does it lock the table?', channelId: threadId, channelType: 11 });
    const [reply] = await waitForPosts(fake, threadId, 1);

    expect(answerPart(reply!.body.content)).toBe('Answer to: does it lock the table?');
    expect(assistant.asks[1]!.conversation).toEqual(assistant.asks[0]!.conversation);
  });

  it('ignores replies to people and threads started from their messages', async () => {
    const { fake, assistant } = h;
    const human = fake.postMessage({ content: 'I think partial indexes are neat' });
    fake.postMessage({ content: 'me too', replyTo: human });
    const threadId = fake.startThreadFrom(human);
    fake.postMessage({ content: 'in a thread on a human message', channelId: threadId, channelType: 11 });
    fake.postMessage({ content: `<@${fake.bot.id}> the marker question`, mentionBot: true });

    await waitUntil(() => assistant.asks.length >= 1, 10_000, 'the marker question');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(assistant.asks.map((a) => a.question)).toEqual(['the marker question']);
  });
});
