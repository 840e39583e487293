import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderAnswer } from '../../../adapters/slack/render.ts';
import { makeAnswer } from '../../support/fakeAssistant.ts';
import type { Args } from '../../support/fakeSlack.ts';
import { buttonIn, citations, type Harness, sendAction, sendCommand, startHarness } from './harness.ts';

describe('Slack feedback buttons', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  async function answered(): Promise<{ ts: string; blocks: Args[] }> {
    await sendCommand(h, { text: 'How do I create a partial index?' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    const update = h.fake.callsTo('chat.update')[0].args;
    return { ts: update.ts, blocks: update.blocks };
  }

  function click(actionId: string, message: { ts: string; blocks: Args[] }) {
    const button = message.blocks.find((b) => b.type === 'actions')!.elements.find((e: { action_id: string }) => e.action_id === actionId);
    return sendAction(h, {
      type: 'block_actions',
      team: { id: 'T0TEAM', domain: 'example' },
      user: { id: 'U0VOTER', username: 'voter', team_id: 'T0TEAM' },
      api_app_id: 'A0APP',
      token: 'legacy',
      container: { type: 'message', message_ts: message.ts, channel_id: 'C0GENERAL', is_ephemeral: false },
      trigger_id: 'trig.vote',
      channel: { id: 'C0GENERAL', name: 'general' },
      message: { type: 'message', ts: message.ts, user: 'U0BOT', bot_id: 'B0BOT', text: 'answer', blocks: message.blocks },
      response_url: h.fake.responseUrl('vote'),
      actions: [{ type: 'button', action_id: actionId, block_id: button.block_id ?? 'kb_feedback', value: button.value, text: button.text, action_ts: '1700000700.000100' }],
    });
  }

  it('records a 👍 with question, answer and citations, then thanks the voter privately', async () => {
    const message = await answered();
    const res = await click('feedback_up', message);
    expect(res.status).toBe(200);
    await h.fake.waitFor(() => h.fake.callsTo('chat.postEphemeral').length === 1, 'thanks');
    expect(h.assistant.feedback).toEqual([
      {
        platform: 'slack',
        vote: 'up',
        answerId: buttonIn(message.blocks, 'feedback_up')!.value,
        question: 'How do I create a partial index?',
        answer: 'Create it with CREATE INDEX … WHERE [1]. You asked: How do I create a partial index?',
        citations: citations.map(({ n, title, location, url }) => ({ n, title, location, ...(url ? { url } : {}) })),
        user: 'U0VOTER',
        channel: 'C0GENERAL',
      },
    ]);
    expect(h.fake.callsTo('chat.postEphemeral')[0].args).toMatchObject({ channel: 'C0GENERAL', user: 'U0VOTER' });
  });

  it('records the full text of a long answer, read back from the message', async () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i}: ${'autovacuum & friends '.repeat(25).trim()}`);
    h.assistant.respond = () => makeAnswer(paragraphs.join('\n\n'), citations);
    const message = await answered();
    await click('feedback_up', message);
    await h.fake.waitFor(() => h.assistant.feedback.length === 1, 'vote');
    expect(h.assistant.feedback[0].answer).toBe(paragraphs.join('\n\n'));
    expect(h.assistant.feedback[0].answer.length).toBeGreaterThan(2000);
  });

  it("gives a user's every vote on one answer the same answer id, so the store counts it once", async () => {
    const message = await answered();
    await click('feedback_up', message);
    await h.fake.waitFor(() => h.assistant.feedback.length === 1, 'first vote');
    await click('feedback_up', message);
    await h.fake.waitFor(() => h.assistant.feedback.length === 2, 'second vote');
    await click('feedback_down', message);
    await h.fake.waitFor(() => h.assistant.feedback.length === 3, 'third vote');
    const id = buttonIn(message.blocks, 'feedback_up')!.value as string;
    expect(h.assistant.feedback.map((f) => [f.answerId, f.vote])).toEqual([
      [id, 'up'],
      [id, 'up'],
      [id, 'down'],
    ]);
    // A button posted without an answer record: the answer message itself is what is voted on.
    const { blocks } = renderAnswer({ text: 'An older answer.', citations, confidence: 0.9, refused: false, standaloneQuestion: 'q' }, { question: 'q' });
    await click('feedback_up', { ts: '1700000123.000100', blocks: blocks as Args[] });
    await h.fake.waitFor(() => h.assistant.feedback.length === 4, 'vote on the older answer');
    expect(h.assistant.feedback[3]!.answerId).toBe('message:C0GENERAL:1700000123.000100');
  });

  it('records a 👎 as a down vote', async () => {
    const message = await answered();
    await click('feedback_down', message);
    await h.fake.waitFor(() => h.assistant.feedback.length === 1, 'vote');
    expect(h.assistant.feedback[0].vote).toBe('down');
  });

  it('tells the voter when recording fails, without a stack trace', async () => {
    const message = await answered();
    h.assistant.recordFeedback = async () => {
      throw new Error('feedback table is locked');
    };
    await click('feedback_up', message);
    await h.fake.waitFor(() => h.fake.callsTo('chat.postEphemeral').length === 1, 'failure notice');
    const shown = JSON.stringify(h.fake.callsTo('chat.postEphemeral')[0].args);
    expect(shown).toContain('Something went wrong on our side');
    expect(shown).not.toContain('locked');
  });
});
