import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, systemText, userText, type FakeOpenAI, type FakeReply, type RecordedChat } from '../support/fakeOpenAI.ts';
import { captureLogs, startTestApp, watchCrashes, type TestApp } from '../support/reliabilityKit.ts';

/**
 * Streamed answers through the app createApp wires (MeteredChatOpenAI, the answer cache)
 * against a local OpenAI-compatible fake that answers `stream: true` with server-sent events:
 * drafts grow into the final answer, the cache keeps only the final answer, and a model that
 * fails part-way ends with the extractive answer and its note.
 */
const crashes = watchCrashes();
const logs = captureLogs('debug');
let fake: FakeOpenAI;
let t: TestApp;
const NOTE = 'The language model was unavailable, so this answer quotes the sources directly.';
const plans = new Map<string, (chat: RecordedChat, attempt: number) => FakeReply>();

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.script = (chat) => {
    const q = userText(chat);
    for (const [needle, plan] of plans) if (q.includes(needle)) return plan(chat, fake.chatsAbout(needle).length);
    return { text: "I don't know based on the knowledge base." };
  };
  t = await startTestApp({ OPENAI_BASE_URL: fake.baseUrl, LLM_MODEL: 'fake', EMBEDDINGS: 'local', LLM_TIMEOUT_MS: '2000', LLM_MAX_RETRIES: '2', RATE_LIMIT_BURST: '1000' }, logs.logger);
  await t.app.ensureSampleKnowledgeBase();
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
  crashes.dispose();
});

/** The highest source number the model was shown: the answer's [1] when cited first. */
const lastSource = (chat: RecordedChat) => Math.max(...[...systemText(chat).matchAll(/<source n="(\d+)"/g)].map((m) => Number(m[1])));

async function askStreaming(question: string) {
  const drafts: string[] = [];
  const answer = await t.app.assistant.answer({ question, user: 'slack:USTREAM', onDraft: (text) => drafts.push(text) });
  return { answer, drafts };
}

describe('streamed answers', () => {
  it('streams drafts that grow into the final answer, numbering citations as the final answer does', async () => {
    const question = 'How do I create a partial index?';
    plans.set(question, (chat) => ({ stream: ['Add a WHERE clause ', 'to CREATE INDEX ', `[${lastSource(chat)}`, ']. It keeps ', 'the index small ', '[1].'] }));
    const { answer, drafts } = await askStreaming(question);

    expect(fake.chatsAbout(question).map((c) => c.stream)).toEqual([true]);
    expect(answer.note).toBeUndefined();
    expect(answer.text).toMatch(/^Add a WHERE clause to CREATE INDEX \[1\]\. It keeps the index small \[\d\]\.$/);
    expect(drafts.length).toBeGreaterThanOrEqual(3);
    // Each draft is the final answer so far: a marker is never shown half-written or with the model's number.
    for (const d of drafts) expect(answer.text.startsWith(d)).toBe(true);
    expect(drafts.at(-1)).toBe(answer.text);
    expect(drafts).toContain('Add a WHERE clause to CREATE INDEX [1]. It keeps');
    expect(drafts).toContain('Add a WHERE clause to CREATE INDEX');
  });

  it('keeps only the final answer in the cache: asked again, it comes from there without drafts or a model call', async () => {
    const question = 'How do I create a partial index?';
    const before = fake.chatsAbout(question).length;
    const first = await t.app.assistant.answer({ question, user: 'slack:USTREAM' });
    const { answer, drafts } = await askStreaming(question);
    expect(answer.cached).toBe(true);
    expect(answer.text).toBe(first.text);
    expect(drafts).toEqual([]);
    expect(fake.chatsAbout(question)).toHaveLength(before);
  });

  it('ends a model failing mid-answer with the extractive answer and its note', async () => {
    const question = 'What does VACUUM do?';
    plans.set(question, () => ({ stream: ['VACUUM reclaims ', 'the space of ', 'dead rows ', 'and more'], failAfter: 2 }));
    const { answer, drafts } = await askStreaming(question);
    expect(drafts).toEqual(['VACUUM reclaims', 'VACUUM reclaims the space of']);
    expect(answer.note).toBe(NOTE);
    expect(answer.refused).toBe(false);
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(answer.text).not.toContain('VACUUM reclaims the space of');
    // A stream that broke is not retried: the extractive answer is ready at once.
    expect(fake.chatsAbout(question)).toHaveLength(1);
    const retried = await t.app.assistant.answer({ question, user: 'slack:USTREAM' });
    expect(retried.cached).toBeUndefined();
  });

  it('gives up on a stream that stalls (no piece for LLM_TIMEOUT_MS) and ends with the extractive answer and its note', async () => {
    const question = 'What is MVCC?';
    plans.set(question, () => ({ stream: ['MVCC keeps ', 'row versions ', 'so readers'], stallAfter: 2 }));
    const { answer, drafts } = await askStreaming(question);
    expect(drafts).toEqual(['MVCC keeps', 'MVCC keeps row versions']);
    expect(answer.note).toBe(NOTE);
    expect(answer.citations.length).toBeGreaterThan(0);
  });

  it('counts a streamed answer\'s retry as a retry (kb_llm_retries_total)', async () => {
    const question = 'When should I partition a table?';
    plans.set(question, (_chat, attempt) => (attempt === 1 ? { status: 500, message: 'upstream exploded' } : { stream: ['Partition very large tables ', 'by a key most queries filter on [1].'] }));
    const retries = async () => Number(/^kb_llm_retries_total (\d+)/m.exec(await t.app.metrics.text())?.[1] ?? 0);
    const before = await retries();
    const { answer, drafts } = await askStreaming(question);
    expect(fake.chatsAbout(question)).toHaveLength(2);
    expect(answer.note).toBeUndefined();
    expect(drafts.at(-1)).toBe(answer.text);
    expect(await retries()).toBe(before + 1);
    expect(crashes.errors).toEqual([]);
  });
});
