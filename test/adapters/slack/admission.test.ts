import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLACEHOLDER_TEXT } from '../../../adapters/slack/render.ts';
import { KbError } from '../../../src/errors.ts';
import { allTexts, BOT, type Harness, sendAction, sendCommand, sendEvent, startHarness } from './harness.ts';

const LIMITED = "You're asking quickly — try again in 12 seconds.";

/**
 * A question the core turns away at admission (here the user's rate limit) shows only the
 * reason, wherever it was asked, and nothing is posted, titled or set for it first.
 */
describe('Slack: admission before anything is shown', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.assistant.admission = () => new KbError('rate/limited', LIMITED);
  });
  afterEach(async () => {
    await h.stop();
  });

  const noPlaceholder = () => expect(h.fake.callsTo('chat.postMessage').filter((c) => c.args.text === PLACEHOLDER_TEXT)).toEqual([]);

  it('/ask: the ack is the reason, shown only to the asker; nothing is posted in the channel', async () => {
    const res = await sendCommand(h, { text: 'How do I create a partial index?' });
    expect(res.status).toBe(200);
    const ack = JSON.parse(res.text) as { response_type: string; text: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toContain(LIMITED);
    expect(h.assistant.admissions).toEqual([{ question: 'How do I create a partial index?', user: 'slack:U0ASKER' }]);
    expect(h.assistant.asks).toEqual([]);
    expect(h.fake.callsTo('chat.postMessage')).toEqual([]);
  });

  it('a mention: one reply in the thread with the reason, no placeholder', async () => {
    await sendEvent(h, { type: 'app_mention', user: 'U0ASKER', text: '<@U0BOT> What is MVCC?', ts: '1700003000.000100', channel: 'C0GENERAL', event_ts: '1700003000.000100' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 1, 'the reply');
    expect(allTexts(h.fake.callsTo('chat.postMessage')[0]!.args).join('\n')).toContain(LIMITED);
    noPlaceholder();
    expect(h.fake.callsTo('chat.update')).toEqual([]);
    expect(h.assistant.asks).toEqual([]);
  });

  it("the assistant pane: the reason in the thread, before any title or status", async () => {
    await sendEvent(h, { type: 'message', channel_type: 'im', channel: 'D0PANE', user: 'U0ASKER', text: 'What is MVCC?', ts: '1700003001.000100', thread_ts: '1700003000.000900', event_ts: '1700003001.000100' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 1, 'the reply');
    expect(allTexts(h.fake.callsTo('chat.postMessage')[0]!.args).join('\n')).toContain(LIMITED);
    expect(h.fake.calls.filter((c) => c.method.startsWith('assistant.threads.set'))).toEqual([]);
    expect(h.assistant.asks).toEqual([]);
  });

  it('the message shortcut: the reason in the message\'s thread, no placeholder', async () => {
    const message = { type: 'message', user: 'U0AUTHOR', ts: '1700003002.000100', text: 'does VACUUM FULL lock the table?' };
    await sendAction(h, { type: 'message_action', callback_id: 'ask_kb', trigger_id: 'trig.adm', team: { id: BOT.teamId }, user: { id: 'U0ASKER' }, channel: { id: 'C0GENERAL' }, message_ts: message.ts, message, response_url: h.fake.responseUrl('shortcut'), token: 'legacy' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 1, 'the reply');
    const reply = h.fake.callsTo('chat.postMessage')[0]!.args;
    expect(reply.thread_ts).toBe('1700003002.000100');
    expect(allTexts(reply).join('\n')).toContain(LIMITED);
    noPlaceholder();
  });
});
