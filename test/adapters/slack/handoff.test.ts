import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allTexts, type Harness, buttonIn, clickButton, sendCommand, startHarness } from './harness.ts';

/** Every live mention in a Slack message's text: <@U…>, <!subteam^S…>, <!here>, <!channel>… */
const mentionsIn = (args: { text?: string; blocks?: unknown[] }) => [...new Set(allTexts(args).flatMap((t) => t.match(/<[@!][^>]*>/g) ?? []))];

describe('Slack hand-off to a human', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ config: { handoffResponders: ['U0ONCALL', 'S0DBAS'] } });
  });
  afterEach(async () => {
    await h.stop();
  });

  async function answer() {
    await sendCommand(h, { text: 'Why is <!channel> replication lagging?' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    return h.fake.callsTo('chat.update')[0]!.args;
  }

  it('posts in the thread a message that mentions exactly the responders, with the question and sources, and records it', async () => {
    const a = await answer();
    expect(mentionsIn(a)).toEqual(['<@U0ASKER>']);
    await clickButton(h, 'kb_handoff', { blocks: a.blocks, ts: a.ts, threadTs: a.ts });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 2, 'the hand-off');

    const post = h.fake.callsTo('chat.postMessage')[1]!.args;
    expect(post).toMatchObject({ channel: 'C0GENERAL', thread_ts: a.ts, parse: 'none', link_names: 'false' });
    expect(mentionsIn(post)).toEqual(['<@U0ONCALL>', '<!subteam^S0DBAS>']);
    expect(post.text).toContain('Why is replication lagging?');
    expect(JSON.stringify(post.blocks)).toContain('Sources tried');
    expect(JSON.stringify(post.blocks)).toContain('<https://docs.example.org/indexes-partial.html#partial|1. Partial indexes>');
    expect(h.actions.handoffs).toEqual([
      expect.objectContaining({ platform: 'slack', channel: 'C0GENERAL', thread: a.ts, asker: 'U0ASKER', question: 'Why is replication lagging?', responders: ['U0ONCALL', 'S0DBAS'], status: 'open' }),
    ]);
    await h.fake.waitFor(() => h.fake.callsTo('chat.postEphemeral').length === 1, 'the note to the asker');
    expect(h.fake.callsTo('chat.postEphemeral').at(-1)!.args).toMatchObject({ user: 'U0ASKER', text: 'I have asked a human to help; they will reply in the thread.' });

    // Pressed again: nothing more is posted, nobody is mentioned again, nothing more is recorded.
    const before = h.fake.calls.length;
    await clickButton(h, 'kb_handoff', { blocks: a.blocks, ts: a.ts, threadTs: a.ts });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postEphemeral').length === 2, 'the second press');
    expect(h.fake.callsTo('chat.postEphemeral')[1]!.args.text).toBe('A human has already been asked about this answer.');
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(2);
    const afterSecondPress = h.fake.calls.slice(before);
    expect(afterSecondPress.map((c) => c.method)).toEqual(['chat.postEphemeral']);
    for (const c of afterSecondPress) expect(mentionsIn(c.args), c.method).toEqual([]);
    expect(h.actions.handoffs).toHaveLength(1);
  });

  it('only the asker can ask for a human', async () => {
    const a = await answer();
    await clickButton(h, 'kb_handoff', { blocks: a.blocks, ts: a.ts, threadTs: a.ts, user: 'U0SOMEONE' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postEphemeral').length === 1, 'the refusal');
    expect(h.fake.callsTo('chat.postEphemeral')[0]!.args.text).toContain('Only the person who asked can ask for a human.');
    expect(h.actions.handoffs).toHaveLength(0);
  });

  it('"Resolved" closes the hand-off and replaces the button with who resolved it', async () => {
    const a = await answer();
    await clickButton(h, 'kb_handoff', { blocks: a.blocks, ts: a.ts, threadTs: a.ts });
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 2, 'the hand-off');
    const handoff = h.fake.messages[1]!;
    expect(buttonIn(handoff.blocks as never, 'kb_resolved')?.value).toBe('1');

    await clickButton(h, 'kb_resolved', { blocks: handoff.blocks as never, ts: handoff.ts, threadTs: a.ts, user: 'U0ONCALL' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 2, 'the update');
    const update = h.fake.callsTo('chat.update')[1]!.args;
    expect(update.ts).toBe(handoff.ts);
    expect(buttonIn(update.blocks, 'kb_resolved')).toBeUndefined();
    expect(JSON.stringify(update.blocks)).toContain('Resolved by <@U0ONCALL>');
    expect(h.actions.handoffs[0]).toMatchObject({ status: 'resolved', resolvedBy: 'U0ONCALL' });
  });

  it('shows no hand-off button when no responders are configured', async () => {
    await h.stop();
    h = await startHarness();
    const a = await answer();
    expect(buttonIn(a.blocks, 'kb_handoff')).toBeUndefined();
  });
});
