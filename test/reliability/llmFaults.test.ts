import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_SOURCES } from '../../src/answer/ask.ts';
import { startFakeOpenAI, systemText, userText, type FakeOpenAI, type FakeReply, type RecordedChat } from '../support/fakeOpenAI.ts';
import { captureLogs, settle, startTestApp, watchCrashes, type TestApp } from '../support/reliabilityKit.ts';

/**
 * The real @langchain/openai client, wired by createApp, against a local OpenAI-compatible
 * fake. A slow, rate-limited or failing provider costs a bounded number of requests
 * (1 + LLM_MAX_RETRIES) and the user still gets a cited answer, quoted from the sources,
 * with a short note. A working provider's citations are renumbered and checked.
 */
const crashes = watchCrashes();
const logs = captureLogs('debug');
let fake: FakeOpenAI;
let t: TestApp;
/** Per question (a substring of it): what the fake answers on the n-th attempt (1-based). */
const plans = new Map<string, (attempt: number) => FakeReply>();
const NOTE = 'The language model was unavailable, so this answer quotes the sources directly.';

function planned(chat: RecordedChat): FakeReply {
  const q = userText(chat);
  for (const [needle, plan] of plans) if (q.includes(needle)) return plan(fake.chatsAbout(needle).length);
  return { text: "I don't know based on the knowledge base." };
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.script = planned;
  t = await startTestApp(
    { OPENAI_BASE_URL: fake.baseUrl, LLM_MODEL: 'fake', EMBEDDINGS: 'local', LLM_TIMEOUT_MS: '500', LLM_MAX_RETRIES: '2', RATE_LIMIT_BURST: '1000' },
    logs.logger,
  );
  await t.app.ensureSampleKnowledgeBase();
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
  crashes.dispose();
});

const ask = (question: string) => t.app.assistant.answer({ question, user: 'slack:U1' });

describe('a working model', () => {
  it("renumbers the model's [n] markers by first use, drops invented ones, and cites only retrieved sources", async () => {
    const question = 'How do I create a partial index?';
    fake.script = (chat) => {
      if (!userText(chat).includes(question)) return { text: "I don't know based on the knowledge base." };
      const numbers = [...systemText(chat).matchAll(/<source n="(\d+)"/g)].map((m) => Number(m[1]));
      const last = Math.max(...numbers);
      return { text: `Add a WHERE clause to CREATE INDEX [${last}]. It keeps the index small [1]. Ask the DBA [42] or see [0].` };
    };
    const a = await ask(question);
    const sent = fake.chatsAbout(question);
    expect(sent).toHaveLength(1);
    const retrieved = await t.app.answers.retrieve(a.standaloneQuestion, [t.config.collection]);
    const locations = new Set(retrieved.chunks.map((c) => `${c.chunk.source}#${c.chunk.anchor ?? ''}`));
    expect(a.note).toBeUndefined();
    expect(a.text).not.toMatch(/\[42\]|\[0\]/);
    expect(a.text).toMatch(/^Add a WHERE clause to CREATE INDEX \[1\]\. It keeps the index small \[\d\]\./);
    expect(a.citations.map((c) => c.n)).toEqual(a.citations.map((_, i) => i + 1));
    for (const c of a.citations) expect(locations.has(`${c.source}#${c.anchor ?? ''}`)).toBe(true);
    // [1] is the chunk the model cited first: the last source it was shown (the first MODEL_SOURCES retrieved).
    const lastShown = retrieved.chunks.slice(0, MODEL_SOURCES).at(-1)!.chunk;
    expect(a.citations[0]).toMatchObject({ source: lastShown.source });
  });
});

describe('a failing model: bounded retries, then the extractive answer with a note', () => {
  beforeAll(() => {
    fake.script = planned;
  });

  async function degraded(question: string, plan: (attempt: number) => FakeReply) {
    plans.set(question, plan);
    const r = await settle(ask(question));
    expect(r.ok).toBe(true);
    if (!r.ok) throw r.error;
    const a = r.value;
    expect(a.refused).toBe(false);
    expect(a.note).toBe(NOTE);
    expect(a.citations.length).toBeGreaterThan(0);
    expect(a.text).toMatch(/\[1\]/);
    return { answer: a, requests: fake.chatsAbout(question).length };
  }

  it('gives up on a model that never answers after 1 + LLM_MAX_RETRIES timed-out requests', async () => {
    const { requests } = await degraded('What does VACUUM do?', () => ({ hang: true }));
    expect(requests).toBeGreaterThanOrEqual(2);
    expect(requests).toBeLessThanOrEqual(3);
  });

  it('retries a 429 with Retry-After at most LLM_MAX_RETRIES times', async () => {
    const { requests } = await degraded('What is MVCC?', () => ({ status: 429, retryAfter: 1, message: 'Rate limit reached for requests' }));
    expect(requests).toBeGreaterThanOrEqual(2);
    expect(requests).toBeLessThanOrEqual(3);
  });

  it('retries a 500 at most LLM_MAX_RETRIES times', async () => {
    const { requests } = await degraded('How does connection pooling help?', () => ({ status: 500, message: 'upstream exploded' }));
    expect(requests).toBeGreaterThanOrEqual(2);
    expect(requests).toBeLessThanOrEqual(3);
  });

  it('does not retry a rejected API key (401): one request, then the extractive answer', async () => {
    const { requests } = await degraded('What are isolation levels?', () => ({ status: 401, message: 'Incorrect API key provided', code: 'invalid_api_key' }));
    expect(requests).toBe(1);
  });

  it('does not cache a degraded answer: the same question gets the model once it recovers', async () => {
    const question = 'What does a window function compute?';
    await degraded(question, () => ({ status: 500, message: 'upstream exploded' }));
    plans.set(question, () => ({ text: 'A pooler keeps a few server connections busy for many clients [1].' }));
    const a = await ask(question);
    expect(a.cached).toBeUndefined();
    expect(a.note).toBeUndefined();
    expect(a.text).toBe('A pooler keeps a few server connections busy for many clients [1].');
  });

  it('recovers from one 429 within the retries: the model answers, no note', async () => {
    const question = 'When should I partition a table?';
    plans.set(question, (attempt) => (attempt === 1 ? { status: 429, retryAfter: 1 } : { text: 'Partition very large tables by a key most queries filter on [1].' }));
    const a = await ask(question);
    expect(fake.chatsAbout(question)).toHaveLength(2);
    expect(a.note).toBeUndefined();
    expect(a.citations).toHaveLength(1);
    expect(crashes.errors).toEqual([]);
  });
});
