import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLACEHOLDER_TEXT } from '../../../adapters/slack/render.ts';
import { BOT, type Harness, sendAction, startHarness } from './harness.ts';

/** A message shortcut payload, as Slack posts it to the interactivity URL. */
const shortcut = (h: Harness, message: Record<string, unknown>, trigger = `trig.sc.${Math.random()}`) =>
  sendAction(h, {
    type: 'message_action',
    callback_id: 'ask_kb',
    trigger_id: trigger,
    team: { id: BOT.teamId, domain: 'example' },
    user: { id: 'U0PRESSER', name: 'presser', team_id: BOT.teamId },
    channel: { id: 'C0GENERAL', name: 'general' },
    message_ts: message.ts,
    message: { type: 'message', user: 'U0AUTHOR', ...message },
    response_url: h.fake.responseUrl('shortcut'),
    token: 'legacy',
  });

describe('Slack message shortcut "Ask the knowledge base"', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("answers the selected message's text in its thread", async () => {
    const res = await shortcut(h, { ts: '1700000500.000100', text: 'does VACUUM FULL lock the table?' });
    expect(res.status).toBe(200);
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'the answer');

    expect(h.fake.callsTo('chat.postMessage')[0]!.args).toMatchObject({ channel: 'C0GENERAL', thread_ts: '1700000500.000100', text: PLACEHOLDER_TEXT, parse: 'none' });
    expect(JSON.stringify(h.fake.callsTo('chat.update')[0]!.args.blocks)).toContain('You asked: does VACUUM FULL lock the table?');
    expect(h.assistant.asks[0]).toMatchObject({ question: 'does VACUUM FULL lock the table?', user: 'slack:U0PRESSER', conversation: { platform: 'slack', channel: 'C0GENERAL', thread: '1700000500.000100' } });
  });

  it('answers a message inside a thread in that thread, and tells the presser privately about a message with no text', async () => {
    await shortcut(h, { ts: '1700000600.000100', thread_ts: '1700000550.000100', text: 'what about BRIN?' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'the answer');
    expect(h.fake.callsTo('chat.postMessage')[0]!.args.thread_ts).toBe('1700000550.000100');

    await shortcut(h, { ts: '1700000700.000100', text: '' });
    await h.fake.waitFor(() => h.fake.responsesTo('shortcut').length === 1, 'the notice');
    expect(h.fake.responsesTo('shortcut')[0]).toMatchObject({ response_type: 'ephemeral', text: 'That message has no text to ask about.' });
    expect(h.assistant.asks).toHaveLength(1);
  });
});
