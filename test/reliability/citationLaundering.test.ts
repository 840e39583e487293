import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, systemText, userText, type FakeOpenAI } from '../support/fakeOpenAI.ts';
import { startTestApp, writeFolder, type TestApp } from '../support/reliabilityKit.ts';

/**
 * A "[2]" written inside a document is the document's text, not a citation: neither the
 * extractive answerer quoting it nor a model copying it may turn it into a citation of
 * another source (or of any source). Only markers the answerer wrote become citations.
 */
const BRIN_SENTENCE = 'A BRIN index keeps the minimum and maximum of every block range [2], so an index on a huge append-only table stays tiny.';
const ARRAY_SQL = 'SELECT pay_by_quarter[3] FROM sal_emp;';
let fake: FakeOpenAI;
let t: TestApp;
let folder: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await startTestApp({ OPENAI_BASE_URL: fake.baseUrl, LLM_MODEL: 'fake', LLM_MAX_RETRIES: '0', LLM_TIMEOUT_MS: '5000', RATE_LIMIT_BURST: '1000' });
  folder = await writeFolder({
    'brin.md': `# BRIN indexes\n\n## Block ranges\n\n${BRIN_SENTENCE} It suits columns whose values follow the physical row order.`,
    'summaries.md': '# Block range summaries\n\n## Summarising\n\nbrin_summarize_new_values summarises BRIN block ranges added since the last vacuum of the table.',
    'arrays.md': `# Arrays\n\n## Array subscripts\n\nAn array column is read one element at a time with a subscript; array subscripts start at one.\n\n\`\`\`sql\n${ARRAY_SQL}\n\`\`\``,
  });
  await t.app.ingest({ inputs: [folder], collection: 'laundry' });
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
  await fs.rm(folder, { recursive: true, force: true });
});

const ask = (question: string) => t.app.assistant.answer({ question, user: 'slack:U1', scope: ['laundry'] });

/** The citation numbers the answer text uses, leaving out the document's own "[2]". */
function markersOutside(text: string, literal: string): number[] {
  return [...new Set([...text.replace(literal, '').matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))].sort();
}

describe('a bracketed number inside a document', () => {
  it('stays text in an extractive answer and cites nothing', async () => {
    fake.script = () => ({ status: 500, message: 'down' });
    const a = await ask('What does a BRIN index keep for every block range?');
    expect(a.refused).toBe(false);
    expect(a.text).toContain(BRIN_SENTENCE);
    expect(a.citations.map((c) => c.n)).toEqual(markersOutside(a.text, BRIN_SENTENCE));
    expect(a.citations[0]?.source).toBe('brin.md');
  });

  it('stays as written inside quoted code (an array subscript is not a marker)', async () => {
    fake.script = () => ({ status: 500, message: 'down' });
    const a = await ask('How do I read one element of an array column with a subscript?');
    expect(a.refused).toBe(false);
    expect(a.text).toContain(ARRAY_SQL);
  });

  it('does not become a citation when the model copies it', async () => {
    const question = 'How does a BRIN index stay small on a huge table?';
    fake.script = (chat) => {
      if (!userText(chat).includes(question)) return { text: "I don't know based on the knowledge base." };
      // A model that quotes the source word for word, then cites it properly.
      const block = [...systemText(chat).matchAll(/<source n="(\d+)"[^>]*>\n([\s\S]*?)\n<\/source>/g)].find((m) => m[2]!.includes('A BRIN index keeps'))!;
      const copied = block[2]!.split('\n').find((l) => l.startsWith('A BRIN index keeps'))!.split(' It suits')[0]!;
      return { text: `${copied} [${block[1]}]` };
    };
    const a = await ask(question);
    expect(a.note).toBeUndefined();
    expect(a.text).toBe(`${BRIN_SENTENCE} [1]`);
    expect(a.citations.map((c) => [c.n, c.source])).toEqual([[1, 'brin.md']]);
  });
});
