import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { HybridRetriever } from '../../src/retrieval/hybridRetriever.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import type { NewDocument } from '../../src/store/documents.ts';
import { toVectorLiteral } from '../../src/store/vectorSearch.ts';
import { createVectorIndex, ensureEmbeddingSpace, vectorIndexName, vectorPrecision } from '../../src/store/vectorIndex.ts';
import { backends, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';
import { rng } from '../../bench/lib/stats.ts';
import { seedRecipe } from '../../bench/seedRecipe.ts';
import { writeFolder } from '../support/reliabilityKit.ts';

const DIM = 32;
const embeddings = new FakeEmbeddings(DIM);
const space = { model: 'fake-32', dimension: DIM };
const K = 10;

/** A unit vector near `center` (noise of the given size), from a seeded generator. */
function near(center: number[], noise: number, next: () => number): number[] {
  const v = center.map((x) => x + noise * (next() - 0.5));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe.each(backends)('metadata filters on %s', (_name, open) => {
  let t: TestDatabase;
  let store: KnowledgeStore;
  const query = embeddings.embedSync('vacuum freezes old transaction ids');
  const away = query.map((x) => -x);

  beforeAll(async () => {
    t = await open();
    await migrate(t.db);
    await ensureEmbeddingSpace(t.db, space);
    store = new KnowledgeStore(t.db);
    // 1,500 chunks close to the query in English, and 60 in German far from it: the query's
    // nearest neighbours are all English, so a graph walk meets no German chunk early.
    const next = rng(11);
    const docs: NewDocument[] = [];
    for (let d = 0; d < 75; d++) {
      docs.push({ source: `en-${d}.md`, title: `English ${d}`, contentHash: `en${d}`, metadata: { language: 'en', category: d % 2 ? 'howto' : 'reference' }, chunks: Array.from({ length: 20 }, (_, ord) => ({ ord, heading: `part ${ord}`, content: `vacuum notes ${d} ${ord}`, embedding: near(query, 0.6, next) })) });
    }
    for (let d = 0; d < 3; d++) {
      docs.push({ source: `de-${d}.md`, title: `Deutsch ${d}`, contentHash: `de${d}`, metadata: { language: 'de', category: 'reference' }, chunks: Array.from({ length: 20 }, (_, ord) => ({ ord, heading: `Teil ${ord}`, content: `vacuum Notizen ${d} ${ord}`, embedding: near(away, 0.6, next) })) });
    }
    await store.documents.writeDocuments('kb', docs);
    await t.db.transaction((tx) => createVectorIndex(tx, DIM, vectorPrecision(t.db.kind)));
    await store.lexical.refreshStatistics();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('returns k filtered neighbours where a WHERE after the HNSW scan returns fewer', async () => {
    const type = vectorPrecision(t.db.kind);
    // The naive recipe: the HNSW scan (ef_search 40, no iterative scan), then the filter.
    const naive = await t.db.transaction(async (tx) => {
      for (const s of ['hnsw.iterative_scan = off', 'hnsw.ef_search = 40', 'enable_seqscan = off', 'enable_bitmapscan = off', 'enable_sort = off']) await tx.query(`SET LOCAL ${s}`);
      const sql = `SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id
                    WHERE d.metadata->>'language' = $2 AND vector_dims(c.embedding) = ${DIM}
                    ORDER BY c.embedding::${type}(${DIM}) <=> $1::${type}(${DIM}) LIMIT ${K}`;
      const plan = (await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [toVectorLiteral(query), 'de'])).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain(vectorIndexName(DIM, type));
      return (await tx.query<{ id: string }>(sql, [toVectorLiteral(query), 'de'])).rows;
    });
    expect(naive.length).toBeLessThan(K);
    // Selective (60 of 1,560 chunks): an exact scan of the matching chunks.
    const selective = await store.vectors.vector(query, DIM, ['kb'], K, { filter: { language: 'de' } });
    // And through the index, as a large filter goes: the iterative scan (and the exact scan behind it).
    const viaIndex = await store.vectors.vector(query, DIM, ['kb'], K, { filter: { language: 'de' }, exactScopeRows: 0 });
    for (const hits of [selective, viaIndex]) {
      expect(hits).toHaveLength(K);
      const rows = await store.documents.chunks(hits.map((h) => h.id));
      expect([...rows.values()].every((r) => r.source.startsWith('de-'))).toBe(true);
    }
    expect(viaIndex.map((h) => h.id).sort()).toEqual(selective.map((h) => h.id).sort());
  });

  it('filters both lists of hybrid retrieval, ANDing the pairs, with the values bound', async () => {
    const retriever = (filter?: Record<string, string>) => new HybridRetriever({ store, embeddings, dimension: DIM, collections: ['kb'], filter, k: 8 });
    const all = await retriever().retrieve('vacuum notes');
    expect(all.chunks.some((c) => c.chunk.source.startsWith('en-'))).toBe(true);
    const de = await retriever({ language: 'de' }).retrieve('vacuum notes');
    expect(de.chunks.length).toBeGreaterThan(0);
    expect(de.chunks.every((c) => c.chunk.source.startsWith('de-'))).toBe(true);
    expect(de.chunks.some((c) => c.bm25Rank !== undefined) && de.chunks.some((c) => c.vectorRank !== undefined)).toBe(true);
    const howto = await retriever({ language: 'en', category: 'howto' }).retrieve('vacuum notes');
    expect(howto.chunks.length).toBeGreaterThan(0);
    expect(howto.chunks.every((c) => Number(c.chunk.source.slice(3, -3)) % 2 === 1)).toBe(true);
    expect((await retriever({ language: 'de', category: 'howto' }).retrieve('vacuum notes')).chunks).toEqual([]);
    expect((await retriever({ language: "en' OR '1'='1" }).retrieve('vacuum notes')).chunks).toEqual([]);
    const seed = { lexical: seedRecipe.lexical(t.db, store), settings: seedRecipe.settings(5) };
    for (const mode of [{ mode: 'bm25' }, { mode: 'vector' }, seed] as const) {
      const r = await new HybridRetriever({ store, embeddings, dimension: DIM, collections: ['kb'], filter: { language: 'de' }, ...mode, k: 5 }).retrieve('vacuum notes');
      expect(r.chunks.length).toBeGreaterThan(0);
      expect(r.chunks.every((c) => c.chunk.source.startsWith('de-'))).toBe(true);
    }
  });

  it('stores front matter, HTML <meta> and --meta pairs, and a changed --meta updates documents whose files did not change', async () => {
    const folder = await writeFolder({
      'guide.md': '---\nlanguage: en\ncategory: howto\n---\n# Guide\n\nHow to vacuum a table.\n',
      'page.html': '<html><head><title>Page</title><meta name="language" content="de"></head><body><p>Vakuum einer Tabelle.</p></body></html>',
      'plain.md': '# Plain\n\nNo metadata at all.\n',
    });
    try {
      const deps = { db: t.db, store, embeddings, space };
      const metadata = async () =>
        Object.fromEntries((await t.db.query<{ source: string; metadata: Record<string, string> }>("SELECT source, metadata FROM documents WHERE collection = 'files' ORDER BY source")).rows.map((r) => [r.source, r.metadata]));
      await ingest(deps, { inputs: [folder], collection: 'files' });
      expect(await metadata()).toEqual({ 'guide.md': { language: 'en', category: 'howto' }, 'page.html': { language: 'de' }, 'plain.md': {} });
      const again = await ingest(deps, { inputs: [folder], collection: 'files', meta: { category: 'team-notes', product: 'kb' } });
      expect(again).toMatchObject({ changed: 3, embedded: 0 });
      expect(await metadata()).toEqual({
        'guide.md': { language: 'en', category: 'team-notes', product: 'kb' },
        'page.html': { language: 'de', category: 'team-notes', product: 'kb' },
        'plain.md': { category: 'team-notes', product: 'kb' },
      });
      expect(await ingest(deps, { inputs: [folder], collection: 'files', meta: { product: 'kb', category: 'team-notes' } })).toMatchObject({ changed: 0, unchanged: 3 });
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });
});
