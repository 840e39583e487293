import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLACEHOLDER_TEXT } from '../../../adapters/slack/render.ts';
import { makeAnswer } from '../../support/fakeAssistant.ts';
import { BOT, citations, type Harness, newEventId, sendEvent, startHarness } from './harness.ts';

const mention = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'app_mention',
  user: 'U0ASKER',
  text: `<@${BOT.userId}> ${text}`,
  ts: '1700000100.000100',
  channel: 'C0GENERAL',
  event_ts: '1700000100.000100',
  ...extra,
});

const channelMessage = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'message',
  channel_type: 'channel',
  user: 'U0ASKER',
  text,
  ts: '1700000200.000100',
  channel: 'C0GENERAL',
  event_ts: '1700000200.000100',
  ...extra,
});

describe('Slack events over HTTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('answers a mention in a thread under it: placeholder in the thread, then the answer', async () => {
    const res = await sendEvent(h, mention('How do partial indexes work?'));
    expect(res.status).toBe(200);
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    const post = h.fake.callsTo('chat.postMessage')[0].args;
    expect(post).toMatchObject({ channel: 'C0GENERAL', thread_ts: '1700000100.000100', text: PLACEHOLDER_TEXT });
    expect(JSON.stringify(h.fake.callsTo('chat.update')[0].args.blocks)).toContain('You asked: How do partial indexes work?');
    expect(h.assistant.asks[0]).toMatchObject({ question: 'How do partial indexes work?', user: 'slack:U0ASKER', conversation: { platform: 'slack', channel: 'C0GENERAL', thread: '1700000100.000100' } });
  });

  it('answers a follow-up in the same thread without a mention, with the same conversation key', async () => {
    await sendEvent(h, mention('How do partial indexes work?'));
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'first answer');
    await sendEvent(h, channelMessage('and for a unique constraint?', { thread_ts: '1700000100.000100', ts: '1700000300.000100' }));
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 2, 'follow-up answer');
    expect(h.assistant.asks.map((a) => a.conversation)).toEqual([
      { platform: 'slack', channel: 'C0GENERAL', thread: '1700000100.000100' },
      { platform: 'slack', channel: 'C0GENERAL', thread: '1700000100.000100' },
    ]);
    expect(h.assistant.asks[1].question).toBe('and for a unique constraint?');
    expect(h.fake.callsTo('chat.postMessage')[1].args.thread_ts).toBe('1700000100.000100');
  });

  it('leaves threads it has not answered, top-level chatter, bot messages and edits alone', async () => {
    await sendEvent(h, channelMessage('someone else\'s thread', { thread_ts: '1700000000.000999', ts: '1700000400.000100' }));
    await sendEvent(h, channelMessage('just chatting'));
    await sendEvent(h, channelMessage('a bot speaking', { bot_id: 'B0OTHER', channel_type: 'im', channel: 'D0DM' }));
    await sendEvent(h, channelMessage('edited', { subtype: 'message_changed', channel_type: 'im', channel: 'D0DM' }));
    await sendEvent(h, channelMessage('my own echo', { user: BOT.userId, channel_type: 'im', channel: 'D0DM' }));
    // The unknown thread is looked up once (it might be ours, answered by another process).
    await h.fake.waitFor(() => h.fake.callsTo('conversations.replies').length === 1, 'thread lookup');
    await sendEvent(h, mention('now a real question'));
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer to the mention');
    expect(h.assistant.asks.map((a) => a.question)).toEqual(['now a real question']);
  });

  it('answers a direct message, in the DM, as one running conversation', async () => {
    await sendEvent(h, channelMessage('What is MVCC?', { channel_type: 'im', channel: 'D0DM' }));
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'DM answer');
    const post = h.fake.callsTo('chat.postMessage')[0].args;
    expect(post.channel).toBe('D0DM');
    expect(post.thread_ts).toBeUndefined();
    expect(h.assistant.asks[0]).toMatchObject({ question: 'What is MVCC?', conversation: { platform: 'slack', channel: 'D0DM', thread: 'D0DM' } });
  });

  it('answers an event delivered three times (Slack retries) exactly once', async () => {
    const eventId = newEventId();
    const event = mention('Once only?');
    await sendEvent(h, event, { eventId });
    await sendEvent(h, event, { eventId, retryNum: 1 });
    await sendEvent(h, event, { eventId, retryNum: 2 });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    await h.fake.waitFor(() => h.logs.filter((l) => l.includes('duplicate delivery ignored')).length === 2, 'two duplicates ignored');
    expect(h.assistant.asks).toHaveLength(1);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(1);
    expect(h.assistant.claims).toEqual([`slack:${eventId}`, `slack:${eventId}`, `slack:${eventId}`]);
  });

  it('answers the redelivery of an event whose handling failed', async () => {
    const eventId = newEventId();
    h.assistant.failures.push(new Error('database went away'));
    await sendEvent(h, mention('Will this work?'), { eventId });
    await h.fake.waitFor(() => h.assistant.released.length === 1, 'claim released');
    expect(h.assistant.released).toEqual([`slack:${eventId}`]);
    expect(h.fake.callsTo('chat.update')[0].args.text).toContain('Something went wrong on our side');

    await sendEvent(h, mention('Will this work?'), { eventId, retryNum: 1 });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 2, 'answer on redelivery');
    expect(JSON.stringify(h.fake.callsTo('chat.update')[1].args.blocks)).toContain('You asked: Will this work?');
    expect(h.assistant.asks).toHaveLength(2);
  });

  it('still posts the answer once when chat.postMessage and chat.update answer 429 with Retry-After', async () => {
    h.fake.rateLimitOnce('chat.postMessage', 1);
    h.fake.rateLimitOnce('chat.update', 1);
    await sendEvent(h, mention('Rate limited?'));
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer after 429s');
    expect(h.fake.calls.filter((c) => c.status === 429).map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(1);
    expect(JSON.stringify(h.fake.callsTo('chat.update')[0].args.blocks)).toContain('You asked: Rate limited?');
    expect(h.assistant.asks).toHaveLength(1);
  });

  it('splits a 7,000-character answer into several sections of at most 3,000 characters', async () => {
    const paragraph = 'B-tree indexes keep keys sorted so range scans are cheap. ';
    h.assistant.respond = () => makeAnswer(paragraph.repeat(Math.ceil(7000 / paragraph.length)).slice(0, 7000), citations);
    await sendEvent(h, mention('Tell me everything'));
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    const update = h.fake.callsTo('chat.update')[0].args;
    const sections = update.blocks.filter((b: { block_id?: string }) => b.block_id?.startsWith('kb_answer_'));
    expect(sections.length).toBeGreaterThanOrEqual(3);
    for (const s of update.blocks.filter((b: { type: string }) => b.type === 'section')) expect(s.text.text.length).toBeLessThanOrEqual(3000);
    expect(sections.map((s: { text: { text: string } }) => s.text.text).join(' ').replace(/\s+/g, ' ').length).toBeGreaterThanOrEqual(6990);
    expect(update.blocks.length).toBeLessThanOrEqual(50);
    expect(update.text.length).toBeLessThanOrEqual(3000);
  });
});
