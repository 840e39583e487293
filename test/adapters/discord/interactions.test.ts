import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderSources } from '../../../adapters/discord/render.ts';
import { KbError } from '../../../src/errors.ts';
import { waitUntil, type RecordedRequest } from '../../support/fakeDiscord.ts';
import { makeAnswer } from '../../support/fakeAssistant.ts';
import { buttonIds, startHarness, threadStartedFrom, waitForPosts, type Harness } from './harness.ts';

describe('Discord adapter: /ask and feedback buttons', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const callbackOf = (id: string, token: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/interactions/${id}/${token}/callback`;
  const editOf = (app: string, token: string) => (r: RecordedRequest) => r.method === 'PATCH' && r.path === `/webhooks/${app}/${token}/messages/@original`;
  const followUpsOf = (app: string, token: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/webhooks/${app}/${token}`;

  it('defers the /ask reply at once (callback type 5), then edits @original with the cited answer', async () => {
    const { fake, assistant } = h;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    assistant.respond = async (req) => {
      await gate;
      return makeAnswer(`Answer to: ${req.question}`);
    };
    const { id, token } = fake.slashCommand('How do I create a partial index?');

    const callback = await fake.waitForRequest(callbackOf(id, token));
    expect(callback.body).toMatchObject({ type: 5 });
    expect(fake.requests.some(editOf(fake.applicationId, token))).toBe(false);
    release();

    const edit = await fake.waitForRequest(editOf(fake.applicationId, token));
    expect(edit.body.content).toMatch(/^Answer to: How do I create a partial index\?\n\n\*\*Sources\*\*\n/);
    expect(edit.body.content).toContain('**[1]** [Partial indexes 1](https://docs.example.org/indexes-1#creating)');
    expect(edit.body.embeds ?? []).toEqual([]);
    expect(edit.body.flags & 4).toBe(4);
    const ids = edit.body.components[0].components.map((b: { custom_id: string }) => b.custom_id) as string[];
    expect(ids).toEqual([expect.stringMatching(/^feedback:up:[A-Za-z0-9_-]{16}$/), expect.stringMatching(/^feedback:down:[A-Za-z0-9_-]{16}$/), expect.stringMatching(/^kb:why:[A-Za-z0-9_-]{16}$/)]);
    // Every button carries the same answer id, which the core resolves.
    expect(new Set(ids.map((c) => c.split(':').at(-1))).size).toBe(1);
    expect(assistant.asks[0]).toMatchObject({ question: 'How do I create a partial index?', user: `discord:${fake.human.id}` });
    expect(assistant.asks[0]!.conversation).toEqual({ platform: 'discord', channel: fake.channelId, thread: edit.response.id });
  });

  it('sends the rest of a long /ask answer as follow-ups, sources and buttons on the last one', async () => {
    const { fake, assistant } = h;
    const text = Array.from({ length: 20 }, (_, i) => `Paragraph ${i}: ${'autovacuum tuning matters. '.repeat(6)}`).join('\n\n');
    assistant.respond = () => makeAnswer(text);
    const { token } = fake.slashCommand('Tell me everything about autovacuum');

    const edit = await fake.waitForRequest(editOf(fake.applicationId, token));
    const followUps = await waitUntil(() => {
      const found = fake.requests.filter(followUpsOf(fake.applicationId, token));
      return found.length > 0 && found.at(-1)!.body.components?.length ? found : undefined;
    }, 10_000, 'the last follow-up');

    const contents = [edit, ...followUps].map((r) => r.body.content as string);
    expect(contents.every((c) => c.length <= 2000)).toBe(true);
    expect(contents.length).toBeGreaterThan(1);
    expect(contents.join('')).toBe(`${text}\n\n${renderSources(makeAnswer(text).citations)}`);
    expect(edit.body.content).not.toContain('**Sources**');
    expect(followUps.at(-1)!.body.content).toContain('**Sources**');
    for (const r of [edit, ...followUps]) expect(r.body.flags & 4).toBe(4);
  });

  it('edits the deferred reply into the short KbError message when answering fails', async () => {
    const { fake, assistant, logs } = h;
    assistant.respond = () => {
      throw new KbError('rate/limited', 'You are asking too quickly; try again in 20 seconds.');
    };
    const { token } = fake.slashCommand('spam');
    const edit = await fake.waitForRequest(editOf(fake.applicationId, token));

    expect(edit.body.content).toBe('You are asking too quickly; try again in 20 seconds.');
    expect(edit.body.embeds ?? []).toEqual([]);
    expect(edit.body.components).toEqual([]);
    expect(logs.some((l) => l.msg === 'discord: could not answer' && l.code === 'rate/limited')).toBe(true);
  });

  it('records a 👍 on an answer with its question and sources, and acknowledges only to the voter', async () => {
    const { fake, assistant } = h;
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> What is a GIN index?`, mentionBot: true });
    const threadId = await threadStartedFrom(fake, msg.id);
    const [reply] = await waitForPosts(fake, threadId, 1);
    const { id, token } = fake.clickButton(buttonIds(reply!.body)[0]!, reply!.response);
    const callback = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/interactions/${id}/${token}/callback`);
    const ack = await fake.waitForRequest(editOf(fake.applicationId, token));

    expect(callback.body).toEqual({ type: 5, data: { flags: 64 } });
    expect(ack.body.content).toBe('Thanks for the feedback!');
    expect(assistant.feedback).toEqual([
      {
        platform: 'discord',
        vote: 'up',
        answerId: buttonIds(reply!.body)[0]!.split(':')[2],
        question: 'What is a GIN index?',
        answer: 'Answer to: What is a GIN index?',
        citations: [
          { n: 1, title: 'Partial indexes 1', location: 'docs/indexes-1.md#creating', url: 'https://docs.example.org/indexes-1#creating' },
          { n: 2, title: 'Partial indexes 2', location: 'docs/indexes-2.md#creating', url: 'https://docs.example.org/indexes-2#creating' },
        ],
        user: fake.human.id,
        channel: fake.channelId,
      },
    ]);
  });

  it('records a vote pressed on another bot process with its question: the button carries the answer id', async () => {
    const { fake } = h;
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> What is a BRIN index?`, mentionBot: true });
    const threadId = await threadStartedFrom(fake, msg.id);
    const [reply] = await waitForPosts(fake, threadId, 1);
    // A second process (same core records, no memory of this message) handles the click.
    const other = await startHarness({ actions: h.actions });
    try {
      const { token } = other.fake.clickButton(buttonIds(reply!.body)[1]!, reply!.response);
      const ack = await other.fake.waitForRequest(editOf(other.fake.applicationId, token));
      expect(ack.body.content).toBe('Thanks for the feedback!');
      expect(other.assistant.feedback).toMatchObject([{ platform: 'discord', vote: 'down', answerId: buttonIds(reply!.body)[0]!.split(':')[2], question: 'What is a BRIN index?', answer: 'Answer to: What is a BRIN index?', citations: [{ n: 1 }, { n: 2 }], user: other.fake.human.id }]);
    } finally {
      await other.stop();
    }
  });

  it('tells the voter when the answer record has expired, recording nothing', async () => {
    const { fake, assistant } = h;
    const old = { id: '1100000000000000001', channel_id: fake.channelId, author: fake.bot, content: 'An old answer.', embeds: [], components: [], type: 0, timestamp: new Date().toISOString() };
    const { token } = fake.clickButton('feedback:up:AAAAAAAAAAAAAAAA', old);
    const ack = await fake.waitForRequest(editOf(fake.applicationId, token));
    expect(ack.body.content).toBe('That button has expired; please ask again.');
    expect(assistant.feedback).toEqual([]);
  });

  it('records a 👎 on a button without an answer id (posted before buttons carried one), from the message text', async () => {
    const { fake, assistant } = h;
    const old = { id: '1100000000000000000', channel_id: fake.channelId, author: fake.bot, content: 'An old answer.', embeds: [], components: [], type: 0, timestamp: new Date().toISOString() };
    const { token } = fake.clickButton('feedback:down', old);
    await fake.waitForRequest(editOf(fake.applicationId, token));

    // The message is the answer voted on: a second vote on it replaces this one.
    expect(assistant.feedback).toEqual([{ platform: 'discord', vote: 'down', answerId: 'message:1100000000000000000', question: '', answer: 'An old answer.', citations: [], user: fake.human.id, channel: fake.channelId }]);
  });
});
