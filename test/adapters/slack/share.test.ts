import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, buttonIn, clickButton, sendCommand, startHarness } from './harness.ts';

describe('Slack private answers with "Share in channel"', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ replyPrivately: true });
  });
  afterEach(async () => {
    await h.stop();
  });

  async function privateAnswer(text = 'How do I create a partial index?') {
    await sendCommand(h, { text, responseId: 'cmd' });
    await h.fake.waitFor(() => h.fake.responsesTo('cmd').length === 1, 'the private answer');
    return h.fake.responsesTo('cmd')[0]!;
  }

  it('posts the answer in the channel once, attributed to the asker, and marks the private copy shared', async () => {
    const answer = await privateAnswer();
    expect(answer.response_type).toBe('ephemeral');
    expect(buttonIn(answer.blocks, 'kb_share')).toBeDefined();

    await clickButton(h, 'kb_share', { blocks: answer.blocks, responseId: 'share1' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 1, 'the shared answer');
    // A second press (or a double click) posts nothing more.
    await clickButton(h, 'kb_share', { blocks: answer.blocks, responseId: 'share2' });
    await h.fake.waitFor(() => h.fake.responsesTo('share2').length === 1, 'the second press answered');

    const [shared] = h.fake.callsTo('chat.postMessage');
    expect(shared!.args).toMatchObject({ channel: 'C0GENERAL', parse: 'none', link_names: 'false' });
    expect(shared!.args.thread_ts).toBeUndefined();
    expect(JSON.stringify(shared!.args.blocks)).toContain('Shared by <@U0ASKER>: How do I create a partial index?');
    expect(JSON.stringify(shared!.args.blocks)).toContain('Create it with CREATE INDEX');
    expect(buttonIn(shared!.args.blocks, 'kb_share')).toBeUndefined();
    expect(h.fake.responsesTo('share1')[0]).toMatchObject({ replace_original: true, text: 'Shared in the channel. ✅' });
    expect(h.fake.responsesTo('share2')[0]).toMatchObject({ response_type: 'ephemeral', text: 'This answer has already been shared in the channel.' });
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('lets only the asker share', async () => {
    const answer = await privateAnswer();
    await clickButton(h, 'kb_share', { blocks: answer.blocks, user: 'U0SOMEONE', responseId: 'other' });
    await h.fake.waitFor(() => h.fake.responsesTo('other').length === 1, 'the refusal');
    expect(h.fake.responsesTo('other')[0]!.text).toContain('Only the person who asked can share this answer.');
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('keeps thread memory for private answers: the next private /ask is a follow-up', async () => {
    await privateAnswer('How do I create a partial index?');
    await sendCommand(h, { text: 'and a unique one?', responseId: 'cmd2' });
    await h.fake.waitFor(() => h.fake.responsesTo('cmd2').length === 1, 'the follow-up');
    const key = { platform: 'slack', channel: 'C0GENERAL', thread: 'private:U0ASKER' };
    expect(h.assistant.asks.map((a) => a.conversation)).toEqual([key, key]);
  });
});
