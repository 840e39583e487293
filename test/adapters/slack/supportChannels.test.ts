import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AskRequest } from '../../../src/assistant/types.ts';
import { refusal } from '../../support/fakeAssistant.ts';
import { BOT, type Harness, sendEvent, slackAnswer, startHarness } from './harness.ts';

/** Nothing in the knowledge base answers a question about the weather. */
const refusingWeather = (req: AskRequest) => (req.question.includes('weather') ? refusal() : slackAnswer(req));

let seq = 0;
const post = (text: string, extra: Record<string, unknown> = {}) => {
  const ts = `1700001${String(++seq).padStart(3, '0')}.000100`;
  return { type: 'message', channel_type: 'channel', user: 'U0ASKER', text, ts, channel: 'C0SUPPORT', event_ts: ts, ...extra };
};

describe('Slack support channels (answered without a mention)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ config: { supportChannels: ['C0SUPPORT'] } });
    h.assistant.respond = refusingWeather;
  });
  afterEach(async () => {
    await h.stop();
  });

  it('answers a new question in a thread under it, with no placeholder and the usual safe flags', async () => {
    const q = post('How do I create a partial index?');
    await sendEvent(h, q);
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 1, 'the answer');

    const [answer] = h.fake.callsTo('chat.postMessage');
    expect(answer!.args).toMatchObject({ channel: 'C0SUPPORT', thread_ts: q.ts, parse: 'none', link_names: 'false', unfurl_links: 'false' });
    expect(JSON.stringify(answer!.args.blocks)).toContain('You asked: How do I create a partial index?');
    expect(h.fake.callsTo('chat.update')).toHaveLength(0);
    expect(h.assistant.asks[0]).toMatchObject({ conversation: { platform: 'slack', channel: 'C0SUPPORT', thread: q.ts } });

    // The thread is now a conversation: a reply in it is a follow-up.
    await sendEvent(h, post('and a unique one?', { thread_ts: q.ts }));
    await h.fake.waitFor(() => h.assistant.asks.length === 2, 'the follow-up');
    expect(h.assistant.asks[1]!.conversation).toEqual(h.assistant.asks[0]!.conversation);
  });

  it('stays silent on what it cannot answer: a 👀 reaction, no "I don\'t know" post', async () => {
    const q = post('What is the weather like in Lisbon?');
    await sendEvent(h, q);
    await h.fake.waitFor(() => h.fake.callsTo('reactions.add').length === 1, 'the reaction');

    expect(h.fake.callsTo('reactions.add')[0]!.args).toMatchObject({ channel: 'C0SUPPORT', timestamp: q.ts, name: 'eyes' });
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('ignores chatter that is not a question, other bots, itself, other channels, and says nothing on failure', async () => {
    await sendEvent(h, post('thanks, that worked'));
    await sendEvent(h, post('ok?'));
    await sendEvent(h, post('Is anyone else seeing replication lag?', { bot_id: 'B0OTHER', user: 'U0OTHERBOT' }));
    await sendEvent(h, post('Is anyone else seeing replication lag?', { user: BOT.userId }));
    await sendEvent(h, post('How do I tune autovacuum for big tables?', { channel: 'C0GENERAL' }));
    h.assistant.failures.push(new Error('database exploded'));
    await sendEvent(h, post('Why does my query ignore the index?'));
    await sendEvent(h, post('What does VACUUM FULL lock, exactly?'));

    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 1, 'the marker answer');
    expect(h.assistant.asks.map((a) => a.question)).toEqual(['Why does my query ignore the index?', 'What does VACUUM FULL lock, exactly?']);
    expect(JSON.stringify(h.fake.callsTo('chat.postMessage')[0]!.args.blocks)).toContain('VACUUM FULL');
    expect(h.fake.calls.filter((c) => c.method.startsWith('chat.') || c.method.startsWith('reactions.'))).toHaveLength(1);
  });

  it('with the "?" rule off, takes any message long enough', async () => {
    await h.stop();
    h = await startHarness({ config: { supportChannels: ['C0SUPPORT'], support: { minChars: 20, requireQuestionMark: false, reactWhenUnsure: false } } });
    h.assistant.respond = refusingWeather;
    await sendEvent(h, post('short one'));
    await sendEvent(h, post('nice weather for a migration today'));
    await sendEvent(h, post('replication slot keeps growing on the primary'));
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 1, 'the answer');
    expect(h.assistant.asks.map((a) => a.question)).toEqual(['nice weather for a migration today', 'replication slot keeps growing on the primary']);
    expect(h.fake.callsTo('reactions.add')).toHaveLength(0);
  });
});
