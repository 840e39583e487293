import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, sendEvent, startHarness } from './harness.ts';

const thread = { user_id: 'U0ASKER', channel_id: 'D0PANE', thread_ts: '1700002000.000100', context: { channel_id: 'C0GENERAL' } };

describe("Slack's assistant pane (Bolt Assistant)", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("suggests prompts from the knowledge base's topics when a thread opens", async () => {
    await sendEvent(h, { type: 'assistant_thread_started', assistant_thread: thread, event_ts: '1700002000.000200' });
    await h.fake.waitFor(() => h.fake.callsTo('assistant.threads.setSuggestedPrompts').length === 1, 'the prompts');
    const call = h.fake.callsTo('assistant.threads.setSuggestedPrompts')[0]!.args;
    expect(call).toMatchObject({ channel_id: 'D0PANE', thread_ts: thread.thread_ts });
    expect(JSON.parse(call.prompts)).toEqual(h.actions.prompts);
  });

  it('titles the thread, shows a status while it works, then answers in the thread with the core', async () => {
    await sendEvent(h, { type: 'message', channel_type: 'im', channel: 'D0PANE', user: 'U0ASKER', text: 'How do I create a partial index?', ts: '1700002001.000100', thread_ts: thread.thread_ts, event_ts: '1700002001.000100' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 1, 'the answer');

    expect(h.fake.callsTo('assistant.threads.setTitle')[0]!.args).toMatchObject({ channel_id: 'D0PANE', thread_ts: thread.thread_ts, title: 'How do I create a partial index?' });
    expect(h.fake.callsTo('assistant.threads.setStatus')[0]!.args).toMatchObject({ channel_id: 'D0PANE', thread_ts: thread.thread_ts, status: 'Searching the knowledge base…' });
    const order = h.fake.calls.map((c) => c.method).filter((m) => m.startsWith('assistant.threads.set') || m === 'chat.postMessage');
    expect(order).toEqual(['assistant.threads.setTitle', 'assistant.threads.setStatus', 'chat.postMessage']);
    const post = h.fake.callsTo('chat.postMessage')[0]!.args;
    expect(post).toMatchObject({ channel: 'D0PANE', thread_ts: thread.thread_ts, parse: 'none' });
    expect(JSON.stringify(post.blocks)).toContain('You asked: How do I create a partial index?');
    // Answered once: the plain DM listener left the pane's message alone.
    expect(h.assistant.asks).toEqual([expect.objectContaining({ question: 'How do I create a partial index?', conversation: { platform: 'slack', channel: 'D0PANE', thread: thread.thread_ts } })]);
  });
});
