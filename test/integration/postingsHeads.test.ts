import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { LexicalIndex } from '../../src/store/lexicalIndex.ts';
import { HEAD_POSTINGS, PACKED_POSTING_BYTES } from '../../src/store/postings.ts';
import { ensureEmbeddingSpace } from '../../src/store/vectorIndex.ts';
import { backends, createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { fakeDocument, FakeEmbeddings } from '../support/fakeEmbeddings.ts';

const embeddings = new FakeEmbeddings(16);

const doc = (source: string, ...chunks: string[]) => fakeDocument(embeddings, source, ...chunks);

const words = ['vacuum', 'index', 'replica', 'snapshot', 'lock', 'tuple', 'planner', 'cursor', 'trigger', 'schema', 'sequence', 'role'];
/** Forty chunks of varied length that share a small vocabulary, so terms have many postings of different impacts. */
const corpus = Array.from({ length: 20 }, (_, d) =>
  doc(
    `page-${d}.md`,
    ...[0, 1].map((c) =>
      Array.from({ length: 4 + ((d * 7 + c * 3) % 13) }, (_, w) => words[(d * 3 + c * 5 + w * w) % words.length])
        .concat(d % 5 === 0 ? ['zephyr'] : [])
        .join(' '),
    ),
  ),
);

const feedback = { chunks: 2, terms: 3, weight: 0.3 };
const queries = ['vacuum snapshot', 'replica lock tuple', 'zephyr cursor', 'planner', 'role sequence trigger schema'];

const headsCount = async (t: TestDatabase) => Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM term_heads')).rows[0]!.n);
const headTerms = async (t: TestDatabase) => (await t.db.query<{ term: string }>("SELECT term FROM term_heads WHERE collection = 'docs' ORDER BY term")).rows.map((r) => r.term);

describe.each(backends)("terms' heads on %s", (_name, open) => {
  let t: TestDatabase;
  let store: KnowledgeStore;

  beforeEach(async () => {
    t = await open();
    await migrate(t.db);
    await ensureEmbeddingSpace(t.db, { model: 'fake-16', dimension: 16 });
    store = new KnowledgeStore(t.db);
    await store.documents.writeDocuments('docs', corpus);
  });
  afterEach(async () => {
    await t?.drop();
  });

  /** Every query's ranking and scores: heads (or the index where a head is missing), and the one-statement SQL (a filter that matches everything). */
  const rankings = async (postingsPerTerm?: number) => {
    const out = [];
    for (const q of queries) {
      const heads = await store.lexical.bm25WithTerms(q, ['docs'], 10, { feedback, postingsPerTerm });
      const sql = await store.lexical.bm25WithTerms(q, ['docs'], 10, { feedback, postingsPerTerm, filter: {} });
      out.push({ q, heads, sql });
    }
    return out;
  };

  const expectSameAsSql = (r: Awaited<ReturnType<typeof rankings>>) => {
    for (const { heads, sql } of r) {
      expect(heads.hits.length).toBeGreaterThan(0);
      expect(heads.hits.map((h) => h.id)).toEqual(sql.hits.map((h) => h.id));
      heads.hits.forEach((h, i) => expect(h.score).toBeCloseTo(sql.hits[i]!.score, 9));
      expect(heads.queryTerms.map((x) => [x.term, x.df])).toEqual(sql.queryTerms.map((x) => [x.term, x.df]));
      heads.queryTerms.forEach((x, i) => expect(x.idf).toBeCloseTo(sql.queryTerms[i]!.idf, 12));
    }
  };

  it('scores from the heads exactly as the SQL scores from the index, with and without heads written', async () => {
    expect(await headsCount(t)).toBe(0);
    const before = await rankings();
    expectSameAsSql(before);
    const written = await store.lexical.refreshHeads();
    const terms = Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM term_stats')).rows[0]!.n);
    expect(written).toBe(terms);
    const after = await rankings();
    expectSameAsSql(after);
    expect(after.map((r) => r.heads)).toEqual(before.map((r) => r.heads));
    // Short budgets read a prefix of each head: still the SQL's postings.
    expectSameAsSql(await rankings(3));
    // Nothing is missing: a second refresh writes nothing.
    expect(await store.lexical.refreshHeads()).toBe(0);
  });

  it("brings the first pass's best rows with the feedback statement: the same rows DocumentStore.chunks reads, and the same ranking", async () => {
    await store.lexical.refreshHeads();
    let withRows = 0;
    for (const q of queries) {
      const plain = await store.lexical.bm25WithTerms(q, ['docs'], 10, { feedback });
      const rowsFor = { query: q, best: 4 };
      const found = await store.lexical.bm25WithTerms(q, ['docs'], 10, { feedback, rowsFor });
      expect(found.hits.map((h) => [h.id, h.score])).toEqual(plain.hits.map((h) => [h.id, h.score]));
      const rowed = found.hits.filter((h) => h.row);
      // At most the first pass's best four; those still among the best ten after feedback.
      expect(rowed.length).toBeLessThanOrEqual(4);
      expect(rowed.length).toBeGreaterThan(0);
      const read = await store.documents.chunks(
        rowed.map((h) => h.id),
        q,
      );
      for (const h of rowed) expect(h.row).toEqual(read.get(h.id));
      withRows += rowed.length;
      // Without feedback there is no second statement, and no row comes along.
      const first = await store.lexical.bm25WithTerms(q, ['docs'], 10, { rowsFor });
      expect(first.hits.every((h) => !h.row)).toBe(true);
    }
    expect(withRows).toBeGreaterThan(queries.length);
  });

  it('packs at most HEAD_POSTINGS postings per head, best impact first', async () => {
    await store.lexical.refreshHeads();
    const r = await t.db.query<{ term: string; bytes: number; df: number }>(
      "SELECT h.term, octet_length(h.postings) AS bytes, ts.df FROM term_heads h JOIN term_stats ts USING (term, collection) WHERE h.collection = 'docs'",
    );
    for (const x of r.rows) expect(Number(x.bytes)).toBe(PACKED_POSTING_BYTES * Math.min(Number(x.df), HEAD_POSTINGS));
    const ids = await t.db.query<{ impact: number }>(
      `SELECT ct.impact FROM term_heads h CROSS JOIN generate_series(0, octet_length(h.postings) / 14 - 1) i
         JOIN chunk_terms ct ON ct.term = h.term AND ct.collection = h.collection
          AND ct.chunk_id = ('x' || encode(substring(h.postings FROM 14 * i + 1 FOR 8), 'hex'))::bit(64)::bigint
        WHERE h.term = 'vacuum' ORDER BY i`,
    );
    expect(ids.rows.length).toBeGreaterThan(5);
    const impacts = ids.rows.map((x) => Number(x.impact));
    expect(impacts).toEqual([...impacts].sort((a, b) => b - a));
  });

  it('deletes the heads of the terms a write or a removal touches, and the next refresh writes them from the new postings', async () => {
    await store.lexical.refreshHeads();
    const all = await headTerms(t);
    await store.documents.writeDocuments('docs', [doc('new.md', 'zephyr vacuum vacuum quasar')]);
    const touched = (
      await t.db.query<{ term: string }>("SELECT DISTINCT ct.term FROM chunk_terms ct JOIN chunks c ON c.id = ct.chunk_id JOIN documents d ON d.id = c.document_id WHERE d.source = 'new.md'")
    ).rows.map((r) => r.term);
    expect(touched).toEqual(expect.arrayContaining(['vacuum', 'zephyr', 'quasar', 'part']));
    const untouched = all.filter((x) => !touched.includes(x));
    expect(untouched.length).toBeGreaterThan(5);
    expect(await headTerms(t)).toEqual(untouched);
    // Missing heads are read from the index: the new chunk ranks first at once.
    const [hit] = await store.lexical.bm25('quasar zephyr', ['docs'], 1);
    expect((await store.documents.chunks([hit!.id])).get(hit!.id)!.source).toBe('new.md');
    expect(await store.lexical.refreshHeads()).toBe(touched.length);
    expectSameAsSql(await rankings());

    await store.documents.removeDocuments('docs', ['new.md']);
    expect(await headTerms(t)).toEqual(untouched);
    await store.lexical.refreshHeads();
    expect(await headTerms(t)).toEqual(all);
    expectSameAsSql(await rankings());
  });

  it('deletes every head when the impacts are recomputed, and writes them again', async () => {
    await store.lexical.refreshHeads();
    const changed = new LexicalIndex(t.db, { k1: 0.9, b: 0.4, headingBoost: 2 });
    await t.db.query("UPDATE term_heads SET postings = ''::bytea WHERE term = 'vacuum'");
    expect(await changed.ensureParameters()).toBe(true);
    // ensureParameters wrote them again, in the new impacts' order (the emptied one too).
    expect(await headsCount(t)).toBe(Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM term_stats')).rows[0]!.n));
    expect(Number((await t.db.query<{ n: number }>("SELECT octet_length(postings) AS n FROM term_heads WHERE term = 'vacuum'")).rows[0]!.n)).toBeGreaterThan(0);
    for (const q of queries) {
      const heads = await changed.bm25WithTerms(q, ['docs'], 10, { feedback });
      const sql = await changed.bm25WithTerms(q, ['docs'], 10, { feedback, filter: {} });
      expect(heads.hits.map((h) => h.id)).toEqual(sql.hits.map((h) => h.id));
    }
  });
});

describe('a refresh of the heads on the PostgreSQL server', () => {
  let t: TestDatabase;
  afterEach(async () => {
    await t?.drop();
  });

  it('waits for a write under way, so it never writes a head from postings the write is replacing', async () => {
    t = await createServerDatabase();
    await migrate(t.db);
    await ensureEmbeddingSpace(t.db, { model: 'fake-16', dimension: 16 });
    const store = new KnowledgeStore(t.db);
    await store.documents.writeDocuments('docs', corpus);
    await store.lexical.refreshHeads();
    // A write that has deleted a head and not yet committed (what writeChunks does first).
    const writer = new pg.Client({ connectionString: t.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query("DELETE FROM term_heads WHERE term = 'vacuum'");
      let done = false;
      const refresh = store.lexical.refreshHeads().then((n) => ((done = true), n));
      // The refresh's lock request on term_heads is queued behind the writer.
      const waiting = async () =>
        Number((await writer.query("SELECT count(*) AS n FROM pg_locks WHERE relation = 'term_heads'::regclass AND NOT granted")).rows[0].n);
      for (let i = 0; i < 100 && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await waiting()).toBe(1);
      expect(done).toBe(false);
      await writer.query('COMMIT');
      expect(await refresh).toBe(1);

      // A write transaction left open: the refresh gives up after its lock timeout and leaves
      // the head missing (queries read that term from the index).
      await writer.query('BEGIN');
      await writer.query("DELETE FROM term_heads WHERE term = 'vacuum'");
      expect(await store.lexical.refreshHeads(200)).toBe(0);
      await writer.query('COMMIT');
      expect(Number((await t.db.query<{ n: string }>("SELECT count(*) AS n FROM term_heads WHERE term = 'vacuum'")).rows[0]!.n)).toBe(0);
      expect(await store.lexical.refreshHeads()).toBe(1);
    } finally {
      await writer.end();
    }
  });
});
