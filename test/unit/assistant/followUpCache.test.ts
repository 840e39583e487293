import { describe, expect, it } from 'vitest';
import { fakeChunk, MIN_CONFIDENCE, testAssistant } from '../../support/testAssistant.ts';

/**
 * A follow-up passes on less evidence (0.6 × MIN_CONFIDENCE) than a fresh question, so
 * the answer it gets must never be served to the same words asked fresh.
 */
describe('follow-up answers in the answer cache', () => {
  const weak = MIN_CONFIDENCE * 0.8; // enough for a follow-up, not for a fresh question
  const chunks = [fakeChunk('brin', 'A BRIN index stores summaries of block ranges and stays very small on large tables.')];

  it('does not serve a follow-up’s answer to the same question asked fresh', async () => {
    const { assistant } = testAssistant({ retrieval: () => ({ chunks, confidence: weak }) });
    const conversation = { platform: 'slack' as const, channel: 'C1', thread: '1.1' };
    await assistant.answer({ question: 'How do I create a BRIN index?', user: 'u1', conversation });
    const followUp = await assistant.answer({ question: 'what are its downsides?', user: 'u1', conversation });
    expect(followUp.standaloneQuestion).toBe('what are its downsides? (about: BRIN index)');
    expect(followUp.refused).toBe(false);

    const fresh = await assistant.answer({ question: followUp.standaloneQuestion, user: 'u2' });
    expect(fresh.cached).toBeUndefined();
    expect(fresh.refused).toBe(true);
    expect(fresh.citations).toEqual([]);
  });

  it('still serves a follow-up’s cached answer to the same follow-up', async () => {
    const { assistant } = testAssistant({ retrieval: () => ({ chunks, confidence: weak }) });
    const ask = (thread: string, question: string) => assistant.answer({ question, user: `u-${thread}`, conversation: { platform: 'slack', channel: 'C1', thread } });
    for (const thread of ['a', 'b']) await ask(thread, 'How do I create a BRIN index?');
    expect((await ask('a', 'what are its downsides?')).cached).toBeUndefined();
    expect((await ask('b', 'what are its downsides?')).cached).toBe(true);
  });
});
