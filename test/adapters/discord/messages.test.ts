import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KbError } from '../../../src/errors.ts';
import { waitUntil } from '../../support/fakeDiscord.ts';
import { citation, makeAnswer } from '../../support/fakeAssistant.ts';
import { postedTo, startHarness, threadStartedFrom, waitForPosts, type Harness, answerPart } from './harness.ts';

describe('Discord adapter: messages', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('answers a mention in a new thread started from the message, with cited sources and feedback buttons', async () => {
    const { fake, assistant } = h;
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> How do I create a partial index?`, mentionBot: true });

    const threadId = await threadStartedFrom(fake, msg.id);
    const [reply] = await waitForPosts(fake, threadId, 1);

    expect(fake.threads[0]!.name).toBe('How do I create a partial index?');
    expect(assistant.asks[0]).toMatchObject({
      question: 'How do I create a partial index?',
      user: `discord:${fake.human.id}`,
      conversation: { platform: 'discord', channel: fake.channelId, thread: threadId },
    });
    expect(reply!.body.content).toMatch(/^Answer to: How do I create a partial index\?\n\n\*\*Sources\*\*\n/);
    expect(reply!.body.content).toContain('**[1]** [Partial indexes 1](https://docs.example.org/indexes-1#creating)');
    expect(reply!.body.content).toContain('**[2]** [Partial indexes 2](https://docs.example.org/indexes-2#creating)');
    expect(reply!.body.flags & 4).toBe(4);
    const buttons = reply!.body.components[0].components.map((b: { custom_id: string }) => b.custom_id);
    expect(buttons).toEqual([expect.stringMatching(/^feedback:up:/), expect.stringMatching(/^feedback:down:/), expect.stringMatching(/^kb:why:/)]);
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === `/channels/${threadId}/typing`)).toBe(true);
    expect(postedTo(fake, fake.channelId)).toHaveLength(0);
    expect(assistant.claims).toEqual([`discord:${msg.id}`]);
  });

  it('answers a follow-up in the same thread without a mention, with the same conversation key', async () => {
    const { fake, assistant } = h;
    const first = fake.postMessage({ content: `<@${fake.bot.id}> What is MVCC?`, mentionBot: true });
    const threadId = await threadStartedFrom(fake, first.id);
    await waitForPosts(fake, threadId, 1);

    fake.postMessage({ content: 'And how does VACUUM relate to it?', channelId: threadId, channelType: 11 });
    const posts = await waitForPosts(fake, threadId, 2);

    expect(answerPart(posts[1]!.body.content)).toBe('Answer to: And how does VACUUM relate to it?');
    expect(assistant.asks[1]!.conversation).toEqual({ platform: 'discord', channel: fake.channelId, thread: threadId });
    expect(assistant.asks[1]!.conversation).toEqual(assistant.asks[0]!.conversation);
    expect(fake.threads).toHaveLength(1);
  });

  it('answers in an existing thread when mentioned there, and then treats it as a conversation', async () => {
    const { fake, assistant } = h;
    fake.postMessage({ content: `<@${fake.bot.id}> Is BRIN good for time series?`, mentionBot: true, channelId: fake.humanThreadId, channelType: 11 });
    await waitForPosts(fake, fake.humanThreadId, 1);
    fake.postMessage({ content: 'What about append-only tables?', channelId: fake.humanThreadId, channelType: 11 });
    await waitForPosts(fake, fake.humanThreadId, 2);

    expect(fake.threads).toHaveLength(0);
    expect(assistant.asks.map((a) => a.conversation)).toEqual([
      { platform: 'discord', channel: fake.channelId, thread: fake.humanThreadId },
      { platform: 'discord', channel: fake.channelId, thread: fake.humanThreadId },
    ]);
  });

  it('answers a direct message in the DM channel', async () => {
    const { fake, assistant } = h;
    fake.postMessage({ content: 'What does EXPLAIN ANALYZE show?', guild: false });
    const [reply] = await waitForPosts(fake, fake.dmChannelId, 1);

    expect(reply!.body.content).toMatch(/^Answer to: What does EXPLAIN ANALYZE show\?\n\n\*\*Sources\*\*/);
    expect(reply!.body.content).toContain('(https://docs.example.org/indexes-1#creating)');
    expect(assistant.asks[0]!.conversation).toEqual({ platform: 'discord', channel: fake.dmChannelId, thread: fake.dmChannelId });
    expect(fake.threads).toHaveLength(0);
  });

  it('ignores messages without a mention, in threads it has not joined, and from bots (itself included)', async () => {
    const { fake, assistant } = h;
    fake.postMessage({ content: 'just chatting about indexes' });
    fake.postMessage({ content: 'a thread it never answered in', channelId: fake.humanThreadId, channelType: 11 });
    fake.postMessage({ content: `<@${fake.bot.id}> from another bot`, mentionBot: true, author: { id: '123456789012345678', username: 'other', discriminator: '0', bot: true } });
    fake.postMessage({ content: `<@${fake.bot.id}> from itself`, mentionBot: true, author: fake.bot });
    fake.postMessage({ content: `<@${fake.bot.id}> the marker question`, mentionBot: true });

    await waitUntil(() => assistant.asks.length >= 1, 10_000, 'the marker question');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(assistant.asks.map((a) => a.question)).toEqual(['the marker question']);
  });

  it('does not answer a message another process already claimed', async () => {
    const { fake, assistant } = h;
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> claimed elsewhere`, mentionBot: true });
    await assistant.claimEvent(`discord:${msg.id}`);
    fake.postMessage({ content: `<@${fake.bot.id}> the marker question`, mentionBot: true });

    await waitUntil(() => assistant.asks.length >= 1, 10_000, 'the marker question');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(assistant.asks.map((a) => a.question)).toEqual(['the marker question']);
    expect(fake.threads.map((t) => t.messageId)).not.toContain(msg.id);
  });

  it('shows the KbError user message, not a stack trace, logs the cause and releases the claim', async () => {
    const { fake, assistant, logs } = h;
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:5432 at Socket.internalConnect (net.js:1:1)');
    assistant.respond = () => {
      throw new KbError('db/unavailable', undefined, { cause });
    };
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> Why is my query slow?`, mentionBot: true });
    const threadId = await threadStartedFrom(fake, msg.id);
    const [reply] = await waitForPosts(fake, threadId, 1);

    expect(reply!.body.content).toBe('The knowledge base is unavailable, try again shortly.');
    expect(reply!.body.content).not.toMatch(/ECONNREFUSED|at \w+/);
    expect(reply!.body.embeds ?? []).toHaveLength(0);
    // Logged after the reply is sent (the claim cycle logs the failure), so wait for it.
    const logged = await waitUntil(() => logs.find((l) => l.msg === 'discord: could not answer'), 5_000, 'the failure log');
    expect(logged).toMatchObject({ code: 'db/unavailable', err: { message: cause.message } });
    await waitUntil(() => assistant.released.includes(`discord:${msg.id}`), 5_000, 'the claim release');
  });

  it('falls back to answering in the channel when it cannot start a thread', async () => {
    const { fake, assistant } = h;
    fake.failRequests('POST', /\/threads$/, 403);
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> What is a HOT update?`, mentionBot: true });
    const [reply] = await waitForPosts(fake, fake.channelId, 1);

    expect(answerPart(reply!.body.content)).toBe('Answer to: What is a HOT update?');
    expect(assistant.asks[0]!.conversation).toEqual({ platform: 'discord', channel: fake.channelId, thread: msg.id });
  });

  it('never lets model text ping anyone: every message carries allowed_mentions {parse: []}', async () => {
    const { fake, assistant } = h;
    const shout = `@everyone @here <@&${fake.guildId}> <@${fake.human.id}> look at this. `;
    assistant.respond = () => makeAnswer(shout.repeat(80), [citation(1)]);
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> ping test`, mentionBot: true });
    const threadId = await threadStartedFrom(fake, msg.id);
    const posts = await waitForPosts(fake, threadId, 3);
    const slash = fake.slashCommand('ping test');
    await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/webhooks/${fake.applicationId}/${slash.token}`);

    const sent = fake.requests.filter((r) => (r.method === 'POST' && /\/messages$/.test(r.path)) || (r.method !== 'GET' && r.path.startsWith('/webhooks/')));
    expect(posts.length).toBeGreaterThanOrEqual(3);
    expect(sent.length).toBeGreaterThanOrEqual(posts.length + 2);
    for (const r of sent) {
      expect(r.body.content).toContain('@everyone');
      expect(r.body.allowed_mentions).toEqual({ parse: [] });
    }
  });

});

describe('Discord adapter: channel scopes', () => {
  it('passes the most specific scope: the channel (or a thread\'s parent) over the guild', async () => {
    const h = await startHarness({
      channelScopes: (fake) => ({ [fake.guildId]: ['guild-docs'], [fake.channelId]: ['channel-docs'] }),
    });
    try {
      const { fake, assistant } = h;
      const msg = fake.postMessage({ content: `<@${fake.bot.id}> in the channel`, mentionBot: true });
      const threadId = await threadStartedFrom(fake, msg.id);
      await waitForPosts(fake, threadId, 1);
      fake.postMessage({ content: 'a follow-up in the thread', channelId: threadId, channelType: 11 });
      fake.postMessage({ content: 'in a DM', guild: false });
      await waitUntil(() => assistant.asks.length >= 3, 10_000, 'three questions');

      const scopeOf = (q: string) => assistant.asks.find((a) => a.question === q)?.scope;
      expect(scopeOf('in the channel')).toEqual(['channel-docs']);
      expect(scopeOf('a follow-up in the thread')).toEqual(['channel-docs']);
      // A DM has no entry and the map no "*": nothing (the real core refuses).
      expect(scopeOf('in a DM')).toEqual([]);
    } finally {
      await h.stop();
    }
  });

  it("passes the metadata filter of the same scope entry, and none for an entry without one", async () => {
    const h = await startHarness({
      channelScopes: (fake) => ({ [fake.guildId]: ['guild-docs'], [fake.channelId]: ['channel-docs'] }),
      channelFilters: (fake): Record<string, Record<string, string>> => ({ [fake.guildId]: {}, [fake.channelId]: { language: 'de' } }),
    });
    try {
      const { fake, assistant } = h;
      fake.postMessage({ content: `<@${fake.bot.id}> filtered here`, mentionBot: true });
      fake.postMessage({ content: `<@${fake.bot.id}> elsewhere in the guild`, mentionBot: true, channelId: '999999999999999999' });
      await waitUntil(() => assistant.asks.length >= 2, 10_000, 'two questions');
      const ask = (q: string) => assistant.asks.find((a) => a.question === q);
      expect(ask('filtered here')).toMatchObject({ scope: ['channel-docs'], filter: { language: 'de' } });
      expect(ask('elsewhere in the guild')?.scope).toEqual(['guild-docs']);
      expect(ask('elsewhere in the guild')?.filter).toBeUndefined();
    } finally {
      await h.stop();
    }
  });

  it('uses the map\'s "*" entry for a DM and for a channel the map does not cover', async () => {
    const h = await startHarness({ channelScopes: () => ({ '999999999999999999': ['other'], '*': ['everyone-docs'] }) });
    try {
      const { fake, assistant } = h;
      fake.postMessage({ content: `<@${fake.bot.id}> in an unmapped channel`, mentionBot: true });
      fake.postMessage({ content: 'in a DM', guild: false });
      await waitUntil(() => assistant.asks.length >= 2, 10_000, 'two questions');
      const scopeOf = (q: string) => assistant.asks.find((a) => a.question === q)?.scope;
      expect(scopeOf('in an unmapped channel')).toEqual(['everyone-docs']);
      expect(scopeOf('in a DM')).toEqual(['everyone-docs']);
    } finally {
      await h.stop();
    }
  });

  it('falls back to the guild scope for a channel without its own entry', async () => {
    const h = await startHarness({ channelScopes: (fake) => ({ [fake.guildId]: ['guild-docs'], '999999999999999999': ['other'] }) });
    try {
      const { fake, assistant } = h;
      fake.postMessage({ content: `<@${fake.bot.id}> guild scoped`, mentionBot: true });
      await waitUntil(() => assistant.asks[0], 10_000, 'the question');
      expect(assistant.asks[0]!.scope).toEqual(['guild-docs']);
    } finally {
      await h.stop();
    }
  });
});
