import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callbackOf, editOf, startHarness, threadStartedFrom, waitForPosts, type Harness, answerPart } from './harness.ts';

describe('Discord message command "Ask the knowledge base"', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("answers the selected message's text in a thread started from it, and points the presser there privately", async () => {
    const { fake, assistant } = h;
    const target = fake.postMessage({ content: 'does VACUUM FULL lock the table?' });
    const { id, token } = fake.messageCommand('Ask the knowledge base', target);

    const deferred = await fake.waitForRequest(callbackOf(id, token));
    const threadId = await threadStartedFrom(fake, target.id);
    const [answer] = await waitForPosts(fake, threadId, 1);
    const note = await fake.waitForRequest(editOf(fake.applicationId, token));

    expect(deferred.body).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(answerPart(answer!.body.content)).toBe('Answer to: does VACUUM FULL lock the table?');
    expect(answer!.body.allowed_mentions).toEqual({ parse: [] });
    expect(note.body.content).toBe(`Answered in <#${threadId}>.`);
    expect(assistant.asks[0]).toMatchObject({ question: 'does VACUUM FULL lock the table?', user: `discord:${fake.human.id}`, conversation: { platform: 'discord', channel: fake.channelId, thread: threadId } });

    // The thread is a conversation: a message in it is a follow-up.
    fake.postMessage({ content: 'and plain VACUUM?', channelId: threadId, channelType: 11 });
    await waitForPosts(fake, threadId, 2);
    expect(assistant.asks[1]!.conversation).toEqual(assistant.asks[0]!.conversation);
  });

  it('says so privately for a message with no text', async () => {
    const { fake, assistant } = h;
    const target = fake.postMessage({ content: '' });
    const { token } = fake.messageCommand('Ask the knowledge base', target);
    const note = await fake.waitForRequest(editOf(fake.applicationId, token));
    expect(note.body.content).toBe('That message has no text to ask about.');
    expect(assistant.asks).toHaveLength(0);
  });
});
