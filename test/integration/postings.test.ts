import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { ensureEmbeddingSpace } from '../../src/store/vectorIndex.ts';
import { builtEfConstruction, createVectorIndex, hnswEfConstruction, SMALL_INDEX_ROWS, upgradeVectorIndex, vectorIndexName, vectorPrecision } from '../../src/store/vectorIndex.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import type { QueryTerm } from '../../src/store/bm25Statement.ts';
import { tsRank } from '../../bench/seedRecipe.ts';
import { backends, type TestDatabase } from '../support/databases.ts';
import { fakeDocument, FakeEmbeddings } from '../support/fakeEmbeddings.ts';

const embeddings = new FakeEmbeddings(32);

const doc = (source: string, ...chunks: string[]) => fakeDocument(embeddings, source, ...chunks);

const filler = 'plain words about tables rows pages and the server that keeps them ready for readers';

describe.each(backends)('impact-ordered postings on %s', (_name, open) => {
  let t: TestDatabase;
  let store: KnowledgeStore;
  const sources = async (ids: string[]) => {
    const rows = await store.documents.chunks(ids);
    return ids.map((id) => rows.get(id)!.source);
  };

  beforeAll(async () => {
    t = await open();
    await migrate(t.db);
    await ensureEmbeddingSpace(t.db, { model: 'fake-32', dimension: 32 });
    store = new KnowledgeStore(t.db);
    await store.documents.writeDocuments('lamps', [
      // "lantern" everywhere; dense.md has it three times in a short chunk (highest impact).
      doc('long-a.md', `the lantern ${filler} ${filler} ${filler}`),
      doc('long-b.md', `a lantern ${filler} ${filler} zephyr ${filler}`),
      doc('dense.md', 'lantern lantern lantern'),
      doc('medium.md', `lantern ${filler}`),
      // Feedback: "gizmo" is only in gizmo.md; its other words also fill resonance.md.
      doc('gizmo.md', 'gizmo flux capacitor flux capacitor'),
      doc('resonance.md', 'capacitor flux resonance'),
    ]);
    await store.documents.writeDocuments('other', [doc('elsewhere.md', 'lantern in another collection')]);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('stores an impact per posting that orders a term by BM25 term-frequency weight', async () => {
    const r = await t.db.query<{ source: string }>(
      `SELECT d.source FROM chunk_terms ct JOIN chunks c ON c.id = ct.chunk_id JOIN documents d ON d.id = c.document_id
        WHERE ct.term = 'lantern' AND ct.collection = 'lamps' ORDER BY ct.impact DESC`,
    );
    expect(r.rows.map((x) => x.source)).toEqual(['dense.md', 'medium.md', 'long-a.md', 'long-b.md']);
  });

  it('keeps chunk lengths, posting lengths and collection totals in agreement', async () => {
    const r = await t.db.query<{ mismatched: string; total_ok: boolean; body_ok: boolean }>(
      `SELECT (SELECT count(*) FROM chunk_terms ct JOIN chunks c ON c.id = ct.chunk_id WHERE ct.length <> c.length) AS mismatched,
              (SELECT bool_and(cs.total_length = (SELECT sum(length) FROM chunks WHERE collection = cs.collection)) FROM collection_stats cs) AS total_ok,
              (SELECT bool_and(c.length = (SELECT coalesce(sum(tf), 0) FROM chunk_terms WHERE chunk_id = c.id)) FROM chunks c) AS body_ok`,
    );
    expect(Number(r.rows[0]!.mismatched)).toBe(0);
    expect(r.rows[0]!.total_ok).toBe(true);
    expect(r.rows[0]!.body_ok).toBe(true);
  });

  it('reads only the best postings of a common term, and rare terms in full', async () => {
    const all = await store.lexical.bm25('lantern', ['lamps'], 10);
    expect(await sources(all.map((h) => h.id))).toEqual(['dense.md', 'medium.md', 'long-a.md', 'long-b.md']);
    const one = { postingsPerTerm: 1 };
    expect(await sources((await store.lexical.bm25('lantern', ['lamps'], 10, one)).map((h) => h.id))).toEqual(['dense.md']);
    // zephyr has a single posting: long-b.md is found through it, with its lantern share missing.
    const mixed = await store.lexical.bm25('lantern zephyr', ['lamps'], 10, one);
    expect(await sources(mixed.map((h) => h.id))).toEqual(['long-b.md', 'dense.md']);
    const exact = await store.lexical.bm25('lantern zephyr', ['lamps'], 10);
    expect(exact[0]!.score).toBeGreaterThan(mixed[0]!.score);
  });

  it('scores each collection of a scope from its own postings', async () => {
    const hits = await store.lexical.bm25('lantern', ['lamps', 'other'], 10, { postingsPerTerm: 1 });
    expect((await sources(hits.map((h) => h.id))).sort()).toEqual(['dense.md', 'elsewhere.md']);
  });

  it('adds pseudo-relevance feedback terms from the best chunks in the same query', async () => {
    const plain = await store.lexical.bm25('gizmo', ['lamps'], 10);
    expect(await sources(plain.map((h) => h.id))).toEqual(['gizmo.md']);
    const expanded = await store.lexical.bm25('gizmo', ['lamps'], 10, { feedback: { chunks: 1, terms: 3, weight: 0.3 } });
    // resonance.md shares gizmo.md's flux and capacitor; the headings' common "part" brings the rest in lower.
    expect((await sources(expanded.map((h) => h.id))).slice(0, 2)).toEqual(['gizmo.md', 'resonance.md']);
    expect(expanded[0]!.score).toBeGreaterThan(plain[0]!.score);
  });

  it("returns bm25()'s ranking with the query terms' statistics, and chunks() lists the query terms a chunk contains", async () => {
    const query = 'lantern zephyr';
    const feedback = { chunks: 1, terms: 3, weight: 0.3 };
    const withTerms = await store.lexical.bm25WithTerms(query, ['lamps'], 10, { feedback });
    expect(withTerms.hits.map((h) => h.id)).toEqual((await store.lexical.bm25(query, ['lamps'], 10, { feedback })).map((h) => h.id));
    // IDFs computed in the client (heads) and in SQL agree to the last bits.
    const sameTerms = (a: QueryTerm[], b: QueryTerm[]) => {
      expect(a.map((x) => [x.term, x.df])).toEqual(b.map((x) => [x.term, x.df]));
      a.forEach((x, i) => expect(x.idf).toBeCloseTo(b[i]!.idf, 12));
    };
    sameTerms(withTerms.queryTerms, await store.lexical.queryTerms(query, ['lamps']));
    expect(withTerms.queryTerms.map((t) => [t.term, t.df])).toEqual([
      ['lantern', 4],
      ['zephyr', 1],
    ]);
    // The filtered search (one statement, bm25Statement.ts) gives the same statistics.
    sameTerms((await store.lexical.bm25WithTerms(query, ['lamps'], 10, { filter: {} })).queryTerms, withTerms.queryTerms);
    const rows = await store.documents.chunks(
      withTerms.hits.map((h) => h.id),
      query,
    );
    expect([...rows.values()].find((r) => r.source === 'long-b.md')!.query_terms).toEqual(['lantern', 'zephyr']);
    // The seed recipe's list brings its rows itself: the same rows.
    const seeded = await tsRank(t.db, query, ['lamps'], 3, { rows: true });
    expect(seeded.length).toBeGreaterThan(0);
    const separate = await store.documents.chunks(
      seeded.map((h) => h.id),
      query,
    );
    for (const h of seeded) expect(h.row).toEqual(separate.get(h.id));
    expect(withTerms.hits.every((h) => h.row === undefined)).toBe(true);
    // Nothing matches: the statistics still list the terms, as unknown ones.
    const none = await store.lexical.bm25WithTerms('quasar nebula', ['lamps'], 10);
    expect(none.hits).toEqual([]);
    expect(none.queryTerms.map((t) => [t.term, t.df])).toEqual([
      ['nebula', 0],
      ['quasar', 0],
    ]);
  });

  it('answers a small scope of a larger table by exact search', async () => {
    const query = embeddings.embedSync('capacitor resonance');
    const rows = await t.db.query<{ id: string; embedding: string }>("SELECT id::text AS id, embedding::text AS embedding FROM chunks WHERE collection = 'other'");
    expect(rows.rows).toHaveLength(1);
    const hits = await store.vectors.vector(query, 32, ['other'], 5);
    expect(hits.map((h) => h.id)).toEqual([rows.rows[0]!.id]);
    const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / (Math.hypot(...a) * Math.hypot(...b));
    expect(hits[0]!.score).toBeCloseTo(cosine(query, JSON.parse(rows.rows[0]!.embedding) as number[]), 5);
    const lamps = await store.vectors.vector(query, 32, ['lamps'], 3);
    expect(lamps).toHaveLength(3);
    expect(lamps.map((h) => h.score)).toEqual([...lamps.map((h) => h.score)].sort((a, b) => b - a));
  });

  it('removes a document with its postings and statistics', async () => {
    // A collection of its own: the others stay as beforeAll wrote them.
    await store.documents.writeDocuments('removal', [doc('keep-a.md', 'lantern one'), doc('gone.md', 'lantern lantern'), doc('keep-b.md', 'lantern two')]);
    await store.documents.removeDocuments('removal', ['gone.md']);
    const left = await t.db.query<{ n: string }>("SELECT count(*) AS n FROM chunk_terms WHERE term = 'lantern' AND collection = 'removal'");
    expect(Number(left.rows[0]!.n)).toBe(2);
    const df = await t.db.query<{ df: number }>("SELECT df FROM term_stats WHERE term = 'lantern' AND collection = 'removal'");
    expect(df.rows[0]!.df).toBe(2);
    const totals = await t.db.query<{ chunk_count: string }>("SELECT chunk_count FROM collection_stats WHERE collection = 'removal'");
    expect(Number(totals.rows[0]!.chunk_count)).toBe(2);
    const orphans = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM chunk_terms ct WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = ct.chunk_id)');
    expect(Number(orphans.rows[0]!.n)).toBe(0);
  });

  it('keeps one vector index, of the precision this backend uses, and replaces the other', async () => {
    const precision = vectorPrecision(t.db.kind);
    const otherPrecision = precision === 'halfvec' ? 'vector' : 'halfvec';
    const indexes = async () => (await t.db.query<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE indexname LIKE 'chunks_embedding_hnsw%' ORDER BY 1")).rows.map((r) => r.name);
    await createVectorIndex(t.db, 32, precision);
    expect(await upgradeVectorIndex(t.db, 32, precision)).toBe(false);
    await createVectorIndex(t.db, 32, otherPrecision);
    expect(await indexes()).toEqual([vectorIndexName(32, otherPrecision)]);
    expect(await upgradeVectorIndex(t.db, 32, precision)).toBe(true);
    expect(await indexes()).toEqual([vectorIndexName(32, precision)]);
  });

  it('builds a small table\'s vector index with ef_construction 64 and rebuilds it once the table outgrows it', async () => {
    const precision = vectorPrecision(t.db.kind);
    const name = vectorIndexName(32, precision);
    const oid = async () => (await t.db.query<{ oid: string }>('SELECT to_regclass($1)::oid::text AS oid', [name])).rows[0]!.oid;
    await t.db.query(`DROP INDEX IF EXISTS ${name}`);
    await t.db.transaction((tx) => createVectorIndex(tx, 32, precision));
    expect(await builtEfConstruction(t.db, name)).toBe(64);
    const small = await oid();
    // Still small: left alone.
    await t.db.transaction((tx) => createVectorIndex(tx, 32, precision, { rows: SMALL_INDEX_ROWS }));
    expect(await oid()).toBe(small);
    // Grown: rebuilt under the same name with the large-table value; searches still work.
    await t.db.transaction((tx) => createVectorIndex(tx, 32, precision, { rows: SMALL_INDEX_ROWS + 1 }));
    expect(await builtEfConstruction(t.db, name)).toBe(hnswEfConstruction(precision, SMALL_INDEX_ROWS + 1));
    expect(hnswEfConstruction(precision, SMALL_INDEX_ROWS + 1)).toBeGreaterThan(64);
    expect(await oid()).not.toBe(small);
    expect(await builtEfConstruction(t.db, `${name}_rebuild`)).toBeUndefined();
    const hits = await store.vectors.vector(embeddings.embedSync('lantern lantern lantern'), 32, ['lamps', 'other'], 2);
    expect(hits).toHaveLength(2);
    // A swap interrupted between dropping the old index and renaming the new one is finished.
    await t.db.query(`ALTER INDEX ${name} RENAME TO ${name}_rebuild`);
    await t.db.transaction((tx) => createVectorIndex(tx, 32, precision));
    expect(await builtEfConstruction(t.db, name)).toBe(hnswEfConstruction(precision, SMALL_INDEX_ROWS + 1));
    expect(await builtEfConstruction(t.db, `${name}_rebuild`)).toBeUndefined();
  });
});
