import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createApp, type App } from '../../src/app.ts';
import { EmbeddingCache } from '../../src/cache/embeddingCache.ts';
import { embeddingText } from '../../src/ingest/ingest.ts';
import { evaluate, readQuestions } from '../../src/eval/evaluate.ts';
import type { Retrieval } from '../../src/retrieval/hybridRetriever.ts';
import { createServerDatabase, silentLogger, type TestDatabase } from '../support/databases.ts';

const MANUAL = '/usr/share/doc/postgresql-doc-15/html';
const DEV_SET = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'eval', 'pg-dev.jsonl');
const root = path.resolve(import.meta.dirname, '..', '..');
/** What `kb eval --answers` measures on the dev set today, less a margin (README, Retrieval quality). */
const FACT_RATE_FLOOR = 0.6;

// The manual comes from Debian's postgresql-doc-15, which scripts/test.sh installs.
describe('the PostgreSQL manual, local embeddings, server PostgreSQL', () => {
  let t: TestDatabase;
  let app: App;

  beforeAll(async () => {
    expect(fs.existsSync(MANUAL), `${MANUAL} is missing: apt-get install postgresql-doc-15`).toBe(true);
    t = await createServerDatabase();
    await t.db.close();
    app = await createApp(loadConfig({ DATABASE_URL: t.url, KB_CACHE_DIR: path.join(root, '.kb-data'), KB_DATA_DIR: path.join(root, '.kb-data') }), silentLogger);
    const s = await app.ingest({ inputs: [MANUAL], collection: 'default', baseUrl: 'https://www.postgresql.org/docs/15/' });
    expect(s.added).toBeGreaterThan(1000);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('finds the right page and refuses off-topic questions (dev set)', async () => {
    const questions = await readQuestions(DEV_SET);
    const composed = { full: false, answer: (q: string, r: Retrieval) => app.answers.compose(q, r, ['default']) };
    const run = (mode: 'hybrid' | 'bm25' | 'vector') => evaluate(questions, app.retriever(['default'], mode, 20), composed, mode, 10);
    const hybrid = await run('hybrid');
    expect(hybrid.hit_at_5).toBeGreaterThanOrEqual(0.9);
    expect(hybrid.mrr_at_10).toBeGreaterThanOrEqual(0.75);
    expect(hybrid.answered_rate).toBeGreaterThanOrEqual(0.95);
    expect(hybrid.refusal_rate).toBeGreaterThanOrEqual(0.9);
    expect(hybrid.hit_at_5).toBeGreaterThan((await run('bm25')).hit_at_5);
    expect(hybrid.hit_at_5).toBeGreaterThan((await run('vector')).hit_at_5);
  }, 120_000);

  it('answers the dev set through the assistant, stating the facts in short answers', async () => {
    const questions = await readQuestions(DEV_SET);
    const answerer = { full: true, answer: (question: string) => app.assistant.answer({ question, user: 'test:eval', evaluation: true }) };
    const report = await evaluate(questions, app.retriever(['default'], 'hybrid', 20), answerer, 'hybrid', 10);
    expect(report.fact_rate).toBeGreaterThanOrEqual(FACT_RATE_FLOOR);
    expect(report.answer_chars!.p95).toBeLessThanOrEqual(900);
    expect(report.answered_rate).toBeGreaterThanOrEqual(0.95);
    expect(report.refusal_rate).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('keeps the thread context across a three-turn conversation, offline', async () => {
    const conversation = { platform: 'cli' as const, channel: 'test', thread: `t-${Date.now()}` };
    const turns = ['How do I create a BRIN index?', 'what are its downsides?', 'when is a btree better?'];
    const retrieved: string[][] = [];
    for (const question of turns) {
      const answer = await app.assistant.answer({ question, user: 'test:u1', conversation });
      const r = await app.answers.retrieve(answer.standaloneQuestion, ['default'], question !== turns[0]);
      retrieved.push(r.chunks.map((c) => c.chunk.source));
      expect(answer.refused, `turn "${question}" was refused`).toBe(false);
    }
    const brinPage = (s: string) => /^brin/.test(s) || s === 'indexes-types.html';
    expect(retrieved[0]!.filter(brinPage).length).toBeGreaterThanOrEqual(2);
    expect(retrieved[1]!.filter(brinPage).length).toBeGreaterThanOrEqual(2);
    expect(retrieved[2]!.some((s) => /^btree/.test(s) || s === 'indexes-types.html')).toBe(true);
  }, 60_000);

  it('keeps chunk vectors in PostgreSQL only: the embedding cache holds the questions', async () => {
    const cache = app.embeddings as EmbeddingCache;
    expect(cache).toBeInstanceOf(EmbeddingCache);
    const r = await app.db.query<{ title: string; heading: string; content: string }>(
      "SELECT d.title, c.heading, c.content FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.source = 'indexes-partial.html' ORDER BY c.ord LIMIT 1",
    );
    const chunk = r.rows[0]!;
    expect(await app.kv.get(cache.keyFor(embeddingText(chunk.title, chunk.heading, chunk.content)))).toBeUndefined();
    await app.retriever(['default']).invoke('how do I create a partial index');
    expect(await app.kv.get(cache.keyFor('how do I create a partial index'))).toBeDefined();
  });

  it('re-ingests the unchanged manual with no embedding work', async () => {
    const s = await app.ingest({ inputs: [MANUAL], collection: 'default', baseUrl: 'https://www.postgresql.org/docs/15/' });
    expect(s).toMatchObject({ added: 0, changed: 0, embedded: 0 });
    expect(s.unchanged).toBeGreaterThan(1000);
  }, 60_000);
});
