import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { evaluate, readQuestions, type EvalQuestion } from '../../src/eval/evaluate.ts';
import { createServerDatabase, silentLogger, type TestDatabase } from '../support/databases.ts';

/**
 * The sample knowledge base (kb/sample) and its question set (kb/sample/eval.jsonl):
 * every note is asked about, and retrieval finds the right note for in-domain
 * questions while off-topic ones are refused, with the offline defaults.
 */
const root = path.resolve(import.meta.dirname, '..', '..');
const SAMPLE = path.join(root, 'kb', 'sample');
const EVAL_SET = path.join(SAMPLE, 'eval.jsonl');
/** What `kb eval --questions kb/sample/eval.jsonl --answers` measures today (0.86), less a margin. */
const SAMPLE_FACT_RATE_FLOOR = 0.8;
const notes = fs.readdirSync(SAMPLE).filter((f) => f.endsWith('.md') && f !== 'README.md');

let t: TestDatabase;
let app: App;
let questions: EvalQuestion[];

beforeAll(async () => {
  questions = await readQuestions(EVAL_SET);
  t = await createServerDatabase();
  await t.db.close();
  app = await createApp(loadConfig({ DATABASE_URL: t.url, KB_CACHE_DIR: path.join(root, '.kb-data'), KB_DATA_DIR: path.join(root, '.kb-data') }), silentLogger);
  const s = await app.ingest({ inputs: [SAMPLE], collection: 'default' });
  expect(s.added).toBe(notes.length + 1);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await t?.drop();
});

describe('the sample knowledge base and its eval set', () => {
  it('asks about every note, names only notes that exist, and gives every in-domain question its facts', () => {
    const raw = fs.readFileSync(EVAL_SET, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { sources: string[]; facts?: string[] });
    const asked = new Set(raw.flatMap((q) => q.sources));
    expect([...asked].filter((s) => !notes.includes(s))).toEqual([]);
    expect(notes.filter((n) => !asked.has(n))).toEqual([]);
    const inDomain = raw.filter((q) => q.sources.length);
    for (const q of inDomain) {
      expect(q.facts?.length).toBeGreaterThan(0);
      for (const f of q.facts!) expect(() => new RegExp(f, 'i')).not.toThrow();
    }
    expect(raw.length - inDomain.length).toBeGreaterThanOrEqual(5);
  });

  it('finds the right note in the top 5 for at least 95% of questions, states their facts, and refuses every off-topic one', async () => {
    const answerer = { full: true, answer: (question: string) => app.assistant.answer({ question, user: 'test:eval', evaluation: true }) };
    const report = await evaluate(questions, app.retriever(['default'], 'hybrid', 20), answerer, 'hybrid', 10);
    expect(report.hit_at_5).toBeGreaterThanOrEqual(0.95);
    expect(report.fact_rate).toBeGreaterThanOrEqual(SAMPLE_FACT_RATE_FLOOR);
    expect(report.refusal_rate).toBe(1);
  }, 120_000);
});
