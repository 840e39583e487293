import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knowledgeBaseTopics } from '../../src/app.ts';
import { KbAnswerActions } from '../../src/assistant/answerActions.ts';
import type { AnswerRecord } from '../../src/assistant/types.ts';
import { RedisStore } from '../../src/cache/redisStore.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { HybridRetriever } from '../../src/retrieval/hybridRetriever.ts';
import { HandoffStore } from '../../src/store/handoffStore.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { createServerDatabase, silentLogger, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';
import { deletePrefix, REDIS_URL, testPrefix } from './cache/redisKit.ts';

const docs: Record<string, string> = {
  'partial.md': '# Partial indexes\n\n## Creating one\n\nA partial index covers only rows matching a WHERE predicate, which keeps the index small.\n\n## Uniqueness\n\nA unique partial index enforces uniqueness among the rows it covers only.\n\n## Planner\n\nThe planner uses a partial index only when the query predicate implies the index predicate.',
  'vacuum.md': '# Vacuum\n\n## Dead tuples\n\nVACUUM reclaims space held by dead tuples left behind by updates and deletes.',
};

describe('KbAnswerActions on PostgreSQL and Redis', () => {
  let t: TestDatabase;
  let folder: string;
  let actions: KbAnswerActions;
  const prefix = testPrefix();
  const kv = new RedisStore({ url: REDIS_URL, prefix, commandTimeoutMs: 500, logger: silentLogger });
  const embeddings = new FakeEmbeddings(32);

  beforeAll(async () => {
    t = await createServerDatabase();
    await migrate(t.db);
    const store = new KnowledgeStore(t.db);
    folder = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-actions-'));
    for (const [name, content] of Object.entries(docs)) await fs.writeFile(path.join(folder, name), content);
    await ingest({ db: t.db, store, embeddings, space: { model: 'fake-32', dimension: 32 } }, { inputs: [folder], collection: 'docs' });
    actions = new KbAnswerActions({
      kv,
      retrieve: (q, scope) => new HybridRetriever({ store, embeddings, dimension: 32, collections: scope, k: 6 }).retrieve(q),
      handoffs: new HandoffStore(t.db),
      topics: (c, max) => knowledgeBaseTopics(t.db, c, max),
      defaultScope: ['docs'],
    });
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    await kv.close();
    await t?.drop();
    await fs.rm(folder, { recursive: true, force: true });
  });

  const record = (): AnswerRecord => ({
    platform: 'slack',
    question: 'how do I create a partial index?',
    answer: {
      text: 'Use CREATE INDEX … WHERE [1].',
      citations: [{ n: 1, title: 'Partial indexes › Creating one', source: 'partial.md', collection: 'docs', heading: 'Creating one', anchor: 'creating-one', location: 'partial.md#creating-one', snippet: 'A partial index…', contentHash: 'h' }],
      confidence: 0.9,
      refused: false,
      standaloneQuestion: 'how do I create a partial index?',
    },
    asker: 'U0ASKER',
    channel: 'C0GENERAL',
  });

  it('keeps an answer record in Redis under a short id and reads it back; unknown or malformed ids give nothing', async () => {
    const id = await actions.keep(record());
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await actions.recall(id)).toEqual(record());
    expect(await actions.recall('AAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(await actions.recall('../../etc')).toBeUndefined();
  });

  it("explains the answer's question with each source's BM25 rank, vector rank and fused score, marking the cited one", async () => {
    const e = await actions.explain(record());
    expect(e.sources.length).toBeGreaterThan(0);
    const cited = e.sources.find((s) => s.location === 'partial.md#creating-one');
    expect(cited).toMatchObject({ n: 1, bm25Rank: expect.any(Number), fusedScore: expect.any(Number) });
    expect(e.sources.filter((s) => s.n !== undefined)).toHaveLength(1);
    expect(e.sources.every((s) => s.bm25Rank !== undefined || s.vectorRank !== undefined)).toBe(true);
  });

  it('records a hand-off in PostgreSQL and resolves it once', async () => {
    const h = await actions.openHandoff({ platform: 'slack', channel: 'C0GENERAL', thread: '1700000000.000100', asker: 'U0ASKER', question: 'q?', citations: [{ n: 1, title: 'T', location: 'a.md' }], responders: ['U0ONCALL', 'S0DBA'] });
    expect(h).toMatchObject({ status: 'open', responders: ['U0ONCALL', 'S0DBA'], citations: [{ n: 1, title: 'T', location: 'a.md' }] });
    expect(await actions.resolveHandoff(h.id, 'U0ONCALL')).toMatchObject({ changed: true, handoff: { status: 'resolved', resolvedBy: 'U0ONCALL' } });
    expect(await actions.resolveHandoff(h.id, 'U0OTHER')).toMatchObject({ changed: false, handoff: { resolvedBy: 'U0ONCALL' } });
    expect(await actions.resolveHandoff('999999', 'U0X')).toBeUndefined();
    expect(await actions.resolveHandoff('drop table', 'U0X')).toBeUndefined();
    const rows = await t.db.query<{ status: string; n: string }>('SELECT status, count(*)::text AS n FROM handoffs GROUP BY status');
    expect(rows.rows).toEqual([{ status: 'resolved', n: '1' }]);
  });

  it('suggests prompts from the largest documents first', async () => {
    const prompts = await actions.suggestedPrompts(undefined, 2);
    expect(prompts.map((p) => p.title)).toEqual(['Partial indexes', 'Vacuum']);
    expect(prompts[0]!.message).toBe('What should I know about Partial indexes?');
  });
});
