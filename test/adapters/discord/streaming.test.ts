import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderAnswer } from '../../../adapters/discord/render.ts';
import { waitUntil, type FakeDiscord, type RecordedRequest } from '../../support/fakeDiscord.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fakeOpenAI.ts';
import { ManualClock } from '../../support/manualClock.ts';
import { gaps, MODEL_NOTE, modelPieces, streamingCore, type StreamingCore } from '../../support/streamingKit.ts';
import { startHarness, threadStartedFrom, type Harness } from './harness.ts';

/**
 * Streamed answers in Discord: the real discord.js client and the real core, whose ChatOpenAI
 * streams from a local OpenAI stand-in. Every REST request is stamped with a manual clock, which
 * the model moves 300 ms per piece it writes; the tests check what Discord receives, by that clock.
 */
const INTERVAL = 1000;
const STEP = 300;

/** The requests that create, edit or delete messages under `prefix` (a channel's or a webhook's), with the message each is about. */
function messageRequests(fake: FakeDiscord, prefix: string): Array<RecordedRequest & { messageId: string }> {
  return fake.requests
    .filter((r) => ['POST', 'PATCH', 'DELETE'].includes(r.method) && (r.path === prefix || r.path.startsWith(`${prefix}/`)) && !r.path.endsWith('/threads'))
    .map((r) => ({ ...r, messageId: r.method === 'POST' ? String(r.response?.id) : r.path.split('/').at(-1)! }));
}

/** The answer's messages as Discord now shows them: created, not deleted, in order. */
function shownMessages(fake: FakeDiscord, requests: Array<{ method: string; messageId: string }>) {
  const ids = [...new Set(requests.filter((r) => r.method !== 'DELETE').map((r) => r.messageId))].filter((id) => fake.messages.has(id));
  return ids.map((id) => fake.messages.get(id));
}

function expectPaced(requests: Array<{ messageId: string; at: number }>) {
  for (const id of new Set(requests.map((r) => r.messageId))) {
    for (const gap of gaps(requests.filter((r) => r.messageId === id).map((r) => r.at))) expect(gap).toBeGreaterThanOrEqual(INTERVAL);
  }
}

describe('Discord: streamed answers', () => {
  let openai: FakeOpenAI;
  let clock: ManualClock;
  let core: StreamingCore;
  let h: Harness;
  let stopClock: () => void;

  beforeEach(async () => {
    openai = await startFakeOpenAI();
    clock = new ManualClock();
    stopClock = clock.run(100, 2);
    core = streamingCore(openai);
    h = await startHarness({ core: core.assistant, streaming: { intervalMs: INTERVAL, clock } });
    h.fake.clock = () => clock.now();
  });
  afterEach(async () => {
    stopClock();
    await h.stop();
    await openai.close();
  });

  it('edits the answer at most once a second, moves to a new message before 2,000 characters, and ends with the final answer', async () => {
    const { fake } = h;
    openai.script = () => ({ stream: modelPieces(40), beforePiece: () => clock.advance(STEP) });
    const asked = fake.postMessage({ content: `<@${fake.bot.id}> How do partial indexes work?`, mentionBot: true });
    const thread = await threadStartedFrom(fake, asked.id);
    const prefix = `/channels/${thread}/messages`;
    await waitUntil(() => messageRequests(fake, prefix).some((r) => r.body?.components?.length), 20_000, 'the final answer');

    const requests = messageRequests(fake, prefix);
    const answer = core.answers[0]!;
    expect(answer.text.length).toBeGreaterThan(2000);
    // It grew: edits of the first message before any buttons, and a second message started as a draft.
    const drafts = requests.filter((r) => !r.body?.components?.length);
    expect(drafts.filter((r) => r.method === 'PATCH').length).toBeGreaterThanOrEqual(2);
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(posts[1]!.body.components ?? []).toEqual([]);
    for (const r of requests) if (r.body?.content !== undefined) expect(r.body.content.length).toBeLessThanOrEqual(2000);
    // No edit storm: each message is sent or edited at most once a second, by the injected clock.
    expectPaced(requests);
    // What Discord shows at the end is exactly the final answer, its citations resolved.
    const shown = shownMessages(fake, requests);
    expect(shown.map((m) => m.content)).toEqual(renderAnswer(answer).map((m) => m.content));
    expect(shown.at(-1)!.content).toContain('**Sources**');
    expect(answer.citations.map((c) => c.source)).toEqual(['partial.md']);
    expect(shown.at(-1)!.components).toHaveLength(1);
    for (const r of requests) expect(r.body?.content ?? '').not.toContain('[2]');
  });

  it('ends a model failure mid-stream with the extractive answer and its note, deleting the draft it no longer needs', async () => {
    const { fake } = h;
    openai.script = () => ({ stream: modelPieces(40), failAfter: 105, beforePiece: () => clock.advance(STEP) });
    const asked = fake.postMessage({ content: `<@${fake.bot.id}> How do partial indexes work?`, mentionBot: true });
    const thread = await threadStartedFrom(fake, asked.id);
    const prefix = `/channels/${thread}/messages`;
    // The surplus draft message is deleted after the final answer is in place.
    await waitUntil(() => messageRequests(fake, prefix).some((r) => r.method === 'DELETE'), 20_000, 'the surplus draft deleted');

    const requests = messageRequests(fake, prefix);
    const answer = core.answers[0]!;
    expect(answer.note).toBe(MODEL_NOTE);
    expect(requests.filter((r) => r.method === 'POST').length).toBe(2);
    expect(requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    const shown = shownMessages(fake, requests);
    expect(shown.map((m) => m.content)).toEqual(renderAnswer(answer).map((m) => m.content));
    expect(shown.at(-1)!.content).toContain(`_${MODEL_NOTE}_`);
    expectPaced(requests);
  });

  it('streams the message command\'s answer into the thread started from the message', async () => {
    const { fake } = h;
    openai.script = () => ({ stream: modelPieces(12), beforePiece: () => clock.advance(STEP) });
    const target = fake.postMessage({ content: 'How do partial indexes work?' });
    fake.messageCommand('Ask the knowledge base', target);
    const thread = await threadStartedFrom(fake, target.id);
    const prefix = `/channels/${thread}/messages`;
    await waitUntil(() => messageRequests(fake, prefix).some((r) => r.body?.components?.length), 20_000, 'the final answer');

    const requests = messageRequests(fake, prefix);
    expect(requests.filter((r) => r.method === 'PATCH' && !r.body?.components?.length).length).toBeGreaterThanOrEqual(1);
    expectPaced(requests);
    expect(shownMessages(fake, requests).map((m) => m.content)).toEqual(renderAnswer(core.answers[0]!).map((m) => m.content));
  });

  it('streams an /ask answer into the deferred reply and its follow-ups, ending with the final answer', async () => {
    const { fake } = h;
    openai.script = () => ({ stream: modelPieces(40), beforePiece: () => clock.advance(STEP) });
    const { token } = fake.slashCommand('How do partial indexes work?');
    const prefix = `/webhooks/${fake.applicationId}/${token}`;
    await waitUntil(() => messageRequests(fake, prefix).some((r) => r.body?.components?.length), 20_000, 'the final answer');

    const requests = messageRequests(fake, prefix).map((r) => (r.path.endsWith('@original') ? { ...r, messageId: '@original' } : r));
    const answer = core.answers[0]!;
    expect(requests.filter((r) => r.messageId === '@original').length).toBeGreaterThanOrEqual(3);
    expect(requests.filter((r) => r.method === 'POST').length).toBeGreaterThanOrEqual(1);
    expectPaced(requests);
    const original = requests.filter((r) => r.messageId === '@original').at(-1)!;
    const followUps = requests.filter((r) => r.method === 'POST').map((r) => r.messageId);
    const finalContents = [fake.messages.get(original.response.id).content, ...followUps.map((id) => fake.messages.get(id).content)];
    expect(finalContents).toEqual(renderAnswer(answer).map((m) => m.content));
    expect(fake.messages.get(followUps.at(-1)!).components).toHaveLength(1);
  });
});
