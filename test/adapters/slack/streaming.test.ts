import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerTextFromBlocks, DRAFT_NOTE, PLACEHOLDER_TEXT } from '../../../adapters/slack/render.ts';
import { escapeMrkdwn } from '../../../adapters/slack/mrkdwn.ts';
import { ManualClock } from '../../support/manualClock.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fakeOpenAI.ts';
import type { RecordedCall } from '../../support/fakeSlack.ts';
import { gaps, MODEL_NOTE, modelPieces, streamingCore, type StreamingCore } from '../../support/streamingKit.ts';
import { BOT, type Harness, sendEvent, startHarness } from './harness.ts';

/**
 * Streamed answers in Slack: the real Bolt app and the real core, whose ChatOpenAI streams from
 * a local OpenAI stand-in. Every Web API call is stamped with a manual clock, which the model
 * moves 300 ms per piece it writes; the tests check what Slack receives, by that clock.
 */
const INTERVAL = 1000;
const STEP = 300;

const mention = (text: string) => ({ type: 'app_mention', user: 'U0ASKER', text: `<@${BOT.userId}> ${text}`, ts: '1700000100.000100', channel: 'C0GENERAL', event_ts: '1700000100.000100' });
const isFinal = (c: RecordedCall) => JSON.stringify(c.args.blocks ?? []).includes('kb_feedback');
const hasSources = (c: RecordedCall) => JSON.stringify(c.args.blocks ?? []).includes('*Sources*');

describe('Slack: streamed answers', () => {
  let openai: FakeOpenAI;
  let clock: ManualClock;
  let core: StreamingCore;
  let h: Harness;
  let stopClock: () => void;

  async function start(withModel = true) {
    core = streamingCore(withModel ? openai : undefined);
    h = await startHarness({ core: core.assistant, streaming: { intervalMs: INTERVAL, clock } });
    h.fake.clock = () => clock.now();
  }

  beforeEach(async () => {
    openai = await startFakeOpenAI();
    clock = new ManualClock();
    // Keeps time moving after the model has finished, for the wait before the final update.
    stopClock = clock.run(100, 2);
  });
  afterEach(async () => {
    stopClock();
    await h?.stop();
    await openai.close();
  });

  it('grows the placeholder by chat.update at most once a second, and its last update is the final answer with resolved citations', async () => {
    await start();
    openai.script = () => ({ stream: modelPieces(12), beforePiece: () => clock.advance(STEP) });
    await sendEvent(h, mention('How do partial indexes work?'));
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').some(isFinal), 'the final answer');

    const placeholder = h.fake.callsTo('chat.postMessage')[0]!;
    expect(placeholder.args.text).toBe(PLACEHOLDER_TEXT);
    const updates = h.fake.callsTo('chat.update');
    const drafts = updates.slice(0, -1);
    const last = updates.at(-1)!;
    expect(updates.every((u) => u.args.ts === '1700000001.000100')).toBe(true);
    expect(openai.chats.map((c) => c.stream)).toEqual([true]);
    // The answer grew: several drafts, each marked as unfinished and longer than the one before.
    expect(drafts.length).toBeGreaterThanOrEqual(2);
    for (const d of drafts) expect(JSON.stringify(d.args.blocks)).toContain(DRAFT_NOTE);
    const lengths = drafts.map((d) => answerTextFromBlocks(d.args.blocks)!.length);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    // No edit storm: placeholder and updates at least a second apart, by the injected clock.
    for (const gap of gaps([placeholder.at, ...updates.map((u) => u.at)])) expect(gap).toBeGreaterThanOrEqual(INTERVAL);
    // The last update is exactly the final answer, its citations resolved: [2] of the model is [1].
    const answer = core.answers[0]!;
    expect(isFinal(last) && hasSources(last)).toBe(true);
    expect(answerTextFromBlocks(last.args.blocks)).toBe(answer.text);
    expect(last.args.text).toBe(escapeMrkdwn(answer.text));
    expect(answer.text).toMatch(/sentence 12 \[1\]\.$/);
    for (const u of updates) expect(answerTextFromBlocks(u.args.blocks)).not.toContain('[2]');
    expect(answer.citations.map((c) => c.source)).toEqual(['partial.md']);
  });

  it('ends a model failure mid-stream with the extractive answer and its note as the last update', async () => {
    await start();
    openai.script = () => ({ stream: modelPieces(12), failAfter: 12, beforePiece: () => clock.advance(STEP) });
    await sendEvent(h, mention('How do partial indexes work?'));
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').some(isFinal), 'the final answer');

    const updates = h.fake.callsTo('chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(updates[0]!.args.blocks)).toContain(DRAFT_NOTE);
    const last = updates.at(-1)!;
    const answer = core.answers[0]!;
    expect(answer.note).toBe(MODEL_NOTE);
    expect(answerTextFromBlocks(last.args.blocks)).toBe(answer.text);
    expect(JSON.stringify(last.args.blocks)).toContain(MODEL_NOTE);
    expect(JSON.stringify(last.args.blocks)).not.toContain(DRAFT_NOTE);
    for (const gap of gaps([h.fake.callsTo('chat.postMessage')[0]!.at, ...updates.map((u) => u.at)])) expect(gap).toBeGreaterThanOrEqual(INTERVAL);
  });

  it('shows an extractive answer (no model) in one update, as without streaming', async () => {
    await start(false);
    await sendEvent(h, mention('How do partial indexes work?'));
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'the answer');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.fake.callsTo('chat.update')).toHaveLength(1);
    expect(answerTextFromBlocks(h.fake.callsTo('chat.update')[0]!.args.blocks)).toBe(core.answers[0]!.text);
  });

  it('streams in the assistant pane with chat.startStream/appendStream, stops the stream, then replaces it with the final answer', async () => {
    await start();
    openai.script = () => ({ stream: modelPieces(12), beforePiece: () => clock.advance(STEP) });
    const thread = '1700002000.000100';
    await sendEvent(h, { type: 'message', channel_type: 'im', channel: 'D0PANE', user: 'U0ASKER', text: 'How do partial indexes work?', ts: '1700002001.000100', thread_ts: thread, event_ts: '1700002001.000100' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').some(isFinal), 'the final answer');

    const streamCalls = h.fake.calls.filter((c) => /^chat\.(startStream|appendStream|stopStream|update|postMessage)$/.test(c.method));
    const methods = streamCalls.map((c) => c.method);
    expect(methods[0]).toBe('chat.startStream');
    expect(methods.slice(-2)).toEqual(['chat.stopStream', 'chat.update']);
    expect(methods.filter((m) => m === 'chat.appendStream').length).toBeGreaterThanOrEqual(1);
    expect(methods).not.toContain('chat.postMessage');
    const start0 = streamCalls[0]!;
    expect(start0.args).toMatchObject({ channel: 'D0PANE', thread_ts: thread, recipient_user_id: 'U0ASKER', recipient_team_id: BOT.teamId });
    // Content updates (start, appends, the final update) at least a second apart.
    const content = streamCalls.filter((c) => c.method !== 'chat.stopStream');
    for (const gap of gaps(content.map((c) => c.at))) expect(gap).toBeGreaterThanOrEqual(INTERVAL);
    // What streamed is the start of the answer; the final update is exactly the answer.
    const answer = core.answers[0]!;
    const streamed = [start0.args.markdown_text, ...streamCalls.filter((c) => c.method === 'chat.appendStream').map((c) => c.args.markdown_text)].join('');
    expect(escapeMrkdwn(answer.text).startsWith(streamed)).toBe(true);
    const last = streamCalls.at(-1)!;
    expect(last.args).toMatchObject({ channel: 'D0PANE', ts: start0.args.ts ?? h.fake.messages.find((m) => m.channel === 'D0PANE')!.ts, parse: 'none' });
    expect(answerTextFromBlocks(last.args.blocks)).toBe(answer.text);
    expect(hasSources(last)).toBe(true);
  });
});
