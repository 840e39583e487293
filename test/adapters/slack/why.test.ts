import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, buttonIn, clickButton, sendCommand, startHarness } from './harness.ts';

describe('Slack "Why these sources"', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("shows each source's BM25 rank, vector rank and fused score to the presser only, in the answer's thread", async () => {
    await sendCommand(h, { text: 'How do I create a partial index?', channel_id: 'C0GENERAL' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    const answer = h.fake.callsTo('chat.update')[0]!.args;
    expect(buttonIn(answer.blocks, 'kb_why')?.value).toMatch(/^[A-Za-z0-9_-]{16}$/);

    await clickButton(h, 'kb_why', { blocks: answer.blocks, ts: answer.ts, threadTs: answer.ts, user: 'U0READER' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postEphemeral').length === 1, 'the explanation');

    const shown = h.fake.callsTo('chat.postEphemeral')[0]!.args;
    expect(shown).toMatchObject({ channel: 'C0GENERAL', user: 'U0READER', thread_ts: answer.ts });
    expect(shown.text).toContain('<https://docs.example.org/indexes-partial.html#partial|1. Partial indexes>\nBM25 rank 1 · vector rank – · fused 0.0300 · cited as [1]');
    expect(shown.text).toContain('2. Internal runbook — runbooks/vacuum.md#vacuum\nBM25 rank 2 · vector rank 3 · fused 0.0250 · cited as [2]');
    expect(shown.text).toContain('3. Uncited neighbour — docs/other.md#x\nBM25 rank – · vector rank 9 · fused 0.0101');
    expect(h.actions.explained[0]).toMatchObject({ question: 'How do I create a partial index?', asker: 'U0ASKER', channel: 'C0GENERAL' });
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('says so when the button has expired', async () => {
    await sendCommand(h, { text: 'How do I create a partial index?' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    const answer = h.fake.callsTo('chat.update')[0]!.args;
    h.actions.records.clear();
    await clickButton(h, 'kb_why', { blocks: answer.blocks, ts: answer.ts });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postEphemeral').length === 1, 'the notice');
    expect(h.fake.callsTo('chat.postEphemeral')[0]!.args.text).toContain('That button has expired; please ask again.');
  });
});
