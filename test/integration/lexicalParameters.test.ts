import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import type { NewDocument } from '../../src/store/documents.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { LexicalIndex } from '../../src/store/lexicalIndex.ts';
import { defaultBm25, recordedBm25, type Bm25Params } from '../../src/store/postings.ts';
import { backends, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';

const embeddings = new FakeEmbeddings(16);

const doc = (source: string, heading: string, content: string): NewDocument => ({
  source,
  title: source,
  contentHash: source + content,
  chunks: [{ ord: 0, heading, content, embedding: embeddings.embedSync(content) }],
});

const docs = [
  doc('a.md', 'Vacuum', 'vacuum reclaims storage occupied by dead tuples'),
  doc('b.md', 'Indexes', 'a vacuum of a table also cleans its indexes, vacuum vacuum'),
  doc('c.md', 'Wraparound', 'transaction id wraparound is prevented by freezing old rows during a long vacuum run over the whole table'),
];

/** Each posting's impact next to the one BM25F gives it with `p` and the collection's current average length. */
async function impacts(t: TestDatabase, p: Bm25Params): Promise<Array<{ impact: number; expected: number }>> {
  const r = await t.db.query<{ tf: number; tf_head: number; length: number; impact: number; avgdl: number }>(
    `SELECT ct.tf, ct.tf_head, ct.length, ct.impact, cs.total_length / cs.chunk_count AS avgdl
       FROM chunk_terms ct JOIN collection_stats cs ON cs.collection = ct.collection ORDER BY ct.chunk_id, ct.term`,
  );
  return r.rows.map((x) => {
    const tf = Number(x.tf) + p.headingBoost * Number(x.tf_head);
    return { impact: Number(x.impact), expected: tf / (tf + p.k1 * (1 - p.b + (p.b * Number(x.length)) / Math.max(Number(x.avgdl), 1))) };
  });
}

const expectImpacts = (rows: Array<{ impact: number; expected: number }>) => {
  expect(rows.length).toBeGreaterThan(10);
  for (const r of rows) expect(r.impact).toBeCloseTo(r.expected, 6);
};

describe.each(backends)('BM25 parameters recorded with the stored impacts on %s', (_name, open) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await open();
    await migrate(t.db);
  });
  afterEach(async () => {
    await t?.drop();
  });

  it('records the parameters the impacts are computed with, and leaves impacts computed with the configured ones alone', async () => {
    expect(await recordedBm25(t.db)).toEqual(defaultBm25);
    const store = new KnowledgeStore(t.db);
    expect(await store.lexical.ensureParameters()).toBe(false);
    await store.documents.writeDocuments('kb', docs);
    expectImpacts(await impacts(t, defaultBm25));
  });

  it('recomputes every impact when the configured parameters differ, and writes later postings with them', async () => {
    await new KnowledgeStore(t.db).documents.writeDocuments('kb', docs);
    const changed: Bm25Params = { k1: 2, b: 0.3, headingBoost: 1 };
    const before = await impacts(t, changed);
    expect(before.some((r) => Math.abs(r.impact - r.expected) > 1e-3)).toBe(true);

    const store = new KnowledgeStore(t.db, { bm25: changed });
    expect(await store.lexical.ensureParameters()).toBe(true);
    expect(await recordedBm25(t.db)).toEqual(changed);
    expectImpacts(await impacts(t, changed));
    expect(await store.lexical.ensureParameters()).toBe(false);

    // A batch written later (its own collection, so the average length is the batch's) uses them too.
    await new KnowledgeStore(t.db).documents.writeDocuments('later', [doc('d.md', 'Freezing', 'freezing marks old rows as visible to every transaction, freezing again later')]);
    const later = await t.db.query<{ impact: number; tf: number; tf_head: number; length: number }>("SELECT impact, tf, tf_head, length FROM chunk_terms WHERE collection = 'later'");
    for (const x of later.rows) {
      const tf = Number(x.tf) + changed.headingBoost * Number(x.tf_head);
      expect(Number(x.impact)).toBeCloseTo(tf / (tf + changed.k1), 6);
    }
  });

  it('computes impacts whose parameters were never recorded, and refuses to write postings until then', async () => {
    const store = new KnowledgeStore(t.db);
    await store.documents.writeDocuments('kb', docs.slice(0, 2));
    // What migrations 003 and 009 leave of a knowledge base from before them.
    await t.db.query('UPDATE chunk_terms SET impact = 0');
    await t.db.query('DELETE FROM lexical_parameters');
    await expect(store.documents.writeDocuments('kb', docs.slice(2))).rejects.toThrow(/lexical_parameters/);
    expect((await store.documents.stats(['kb'])).documents).toBe(2);

    expect(await new LexicalIndex(t.db).ensureParameters()).toBe(true);
    expect(await recordedBm25(t.db)).toEqual(defaultBm25);
    expectImpacts(await impacts(t, defaultBm25));
    await store.documents.writeDocuments('kb', docs.slice(2));
    expect((await store.documents.stats(['kb'])).documents).toBe(3);
  });
});
