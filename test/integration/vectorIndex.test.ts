import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { ensureEmbeddingSpace } from '../../src/store/vectorIndex.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import type { NewDocument } from '../../src/store/documents.ts';
import { toVectorLiteral } from '../../src/store/vectorSearch.ts';
import { allVectorIndexNames, builtVectorIndex, createVectorIndex, upgradeVectorIndex, vectorIndexName, vectorPrecision } from '../../src/store/vectorIndex.ts';
import { backends, type TestDatabase } from '../support/databases.ts';

const DIM = 16;
const ROWS = 800;

/** Seeded pseudo-random unit vectors (mulberry32), so every run stores the same table. */
function randomVectors(n: number, seed: number): number[][] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: DIM }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

describe.each(backends)('vector index choice on %s', (_name, open) => {
  let t: TestDatabase;
  let store: KnowledgeStore;
  const precision = () => vectorPrecision(t.db.kind);
  const indexes = async () => (await t.db.query<{ name: string }>('SELECT indexname AS name FROM pg_indexes WHERE indexname = ANY($1::text[]) ORDER BY 1', [allVectorIndexNames(DIM)])).rows.map((r) => r.name);
  const oid = async (name: string) => (await t.db.query<{ oid: string | null }>('SELECT to_regclass($1)::oid::text AS oid', [name])).rows[0]!.oid;
  const queries = randomVectors(20, 7);
  const exactTop = (k: number) =>
    Promise.all(
      queries.map(async (q) =>
        (await t.db.query<{ id: string }>("SELECT id::text AS id FROM chunks WHERE collection = 'c' ORDER BY (embedding <=> $1::vector) + 0 LIMIT $2", [toVectorLiteral(q), k])).rows.map((r) => r.id).sort(),
      ),
    );
  const indexTop = (k: number, search: { probes?: number; efSearch?: number }) =>
    Promise.all(queries.map(async (q) => (await store.vectors.vector(q, DIM, ['c'], k, { exactScopeRows: 0, search })).map((h) => h.id).sort()));

  beforeAll(async () => {
    t = await open();
    await migrate(t.db);
    await ensureEmbeddingSpace(t.db, { model: 'random-16', dimension: DIM });
    store = new KnowledgeStore(t.db);
    const vectors = randomVectors(ROWS, 42);
    const docs: NewDocument[] = [];
    for (let d = 0; d < ROWS / 20; d++) {
      docs.push({ source: `doc-${d}.md`, title: `doc ${d}`, contentHash: String(d), chunks: vectors.slice(d * 20, d * 20 + 20).map((embedding, ord) => ({ ord, heading: `part ${ord}`, content: `chunk ${d}-${ord}`, embedding })) });
    }
    await store.documents.writeDocuments('c', docs);
    // A second collection, so the scope of 'c' alone is not the whole table.
    await store.documents.writeDocuments('other', [{ source: 'x.md', title: 'x', contentHash: 'x', chunks: [{ ord: 0, heading: 'x', content: 'x', embedding: randomVectors(1, 3)[0]! }] }]);
    // Statistics, as an ingest leaves them: without them the planner takes the table for a few rows and sorts it.
    await store.lexical.refreshStatistics();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('builds the configured kind with its parameters recorded on the index, and swaps kinds', async () => {
    await t.db.transaction((tx) => createVectorIndex(tx, DIM, precision(), { index: { kind: 'hnsw', m: 8, efConstruction: 32 } }));
    expect(await indexes()).toEqual([vectorIndexName(DIM, precision(), 'hnsw')]);
    expect(await builtVectorIndex(t.db, vectorIndexName(DIM, precision(), 'hnsw'))).toEqual({ kind: 'hnsw', m: 8, efConstruction: 32 });
    await t.db.transaction((tx) => createVectorIndex(tx, DIM, precision(), { index: { kind: 'ivfflat', lists: 16 } }));
    expect(await indexes()).toEqual([vectorIndexName(DIM, precision(), 'ivfflat')]);
    expect(await builtVectorIndex(t.db, vectorIndexName(DIM, precision(), 'ivfflat'))).toEqual({ kind: 'ivfflat', lists: 16 });
    expect(await store.vectors.vector(queries[0]!, DIM, ['c'], 10, { exactScopeRows: 0 })).toHaveLength(10);
  });

  it('rebuilds when a configured build parameter changes and leaves an index that matches alone', async () => {
    const name = vectorIndexName(DIM, precision(), 'ivfflat');
    await t.db.transaction((tx) => createVectorIndex(tx, DIM, precision(), { index: { kind: 'ivfflat', lists: 16 } }));
    const before = await oid(name);
    expect(await t.db.transaction((tx) => createVectorIndex(tx, DIM, precision(), { index: { kind: 'ivfflat', lists: 16 } }))).toBe(false);
    expect(await oid(name)).toBe(before);
    expect(await t.db.transaction((tx) => createVectorIndex(tx, DIM, precision(), { index: { kind: 'ivfflat', lists: 8 } }))).toBe(true);
    expect(await oid(name)).not.toBe(before);
    expect(await builtVectorIndex(t.db, name)).toEqual({ kind: 'ivfflat', lists: 8 });
    expect(await oid(`${name}_rebuild`)).toBeNull();
  });

  it('switches the index at start-up when VECTOR_INDEX changed, and only then', async () => {
    await t.db.transaction((tx) => createVectorIndex(tx, DIM, precision(), { index: { kind: 'hnsw' } }));
    expect(await t.db.transaction((tx) => upgradeVectorIndex(tx, DIM, precision(), { kind: 'hnsw' }))).toBe(false);
    expect(await t.db.transaction((tx) => upgradeVectorIndex(tx, DIM, precision(), { kind: 'ivfflat' }))).toBe(true);
    // Lists by size: 801 rows give one list.
    expect(await builtVectorIndex(t.db, vectorIndexName(DIM, precision(), 'ivfflat'))).toEqual({ kind: 'ivfflat', lists: 1 });
    expect(await indexes()).toEqual([vectorIndexName(DIM, precision(), 'ivfflat')]);
    expect(await t.db.transaction((tx) => upgradeVectorIndex(tx, DIM, precision(), { kind: 'ivfflat' }))).toBe(false);
  });

  it('walks the HNSW graph once for an unfiltered scope of most rows, and answers a walk shorter than k exactly', async () => {
    await t.db.transaction((tx) => createVectorIndex(tx, DIM, precision(), { index: { kind: 'hnsw' } }));
    // ef_search 5: one walk yields 5 candidates, so a query of 20 falls back to the exact scan
    // (the server may also plan a scan sorted by the half-precision key: 20 rows either way).
    const [got, exact] = await Promise.all([indexTop(20, { efSearch: 5 }), exactTop(20)]);
    expect(got.every((ids) => ids.length === 20)).toBe(true);
    const found = got.reduce((n, ids, i) => n + ids.filter((id) => exact[i]!.includes(id)).length, 0);
    expect(found / (20 * got.length)).toBeGreaterThan(0.95);
    const wide = await indexTop(10, { efSearch: 100 });
    expect(wide.every((ids) => ids.length === 10)).toBe(true);
  });

  it('applies ivfflat.probes to each query: all lists give the exact neighbours, one list misses some', async () => {
    await t.db.transaction((tx) => createVectorIndex(tx, DIM, precision(), { index: { kind: 'ivfflat', lists: 16 } }));
    const exact = await exactTop(10);
    const [all, one] = await Promise.all([indexTop(10, { probes: 16 }), indexTop(10, { probes: 1 })]);
    expect(all).toEqual(exact);
    const missed = one.reduce((n, ids, i) => n + ids.filter((id) => !exact[i]!.includes(id)).length, 0);
    expect(missed).toBeGreaterThan(0);
    // Still k rows each: iterative scans probe further lists when the first runs short.
    expect(one.every((ids) => ids.length === 10)).toBe(true);
  });
});
