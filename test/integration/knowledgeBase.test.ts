import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { ingest, type IngestRequest } from '../../src/ingest/ingest.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { ensureEmbeddingSpace, readEmbeddingSpace } from '../../src/store/vectorIndex.ts';
import { reembed } from '../../src/ingest/reembed.ts';
import { HybridRetriever } from '../../src/retrieval/hybridRetriever.ts';
import { KbError } from '../../src/errors.ts';
import { backends, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';
import { testAssistant } from '../support/testAssistant.ts';

const docs: Record<string, string> = {
  'brin.md': '# BRIN indexes\n\n## Overview\n\nA BRIN index stores summaries of block ranges. BRIN suits very large tables whose rows are physically ordered, such as append-only event logs with timestamps.\n\n## Downsides\n\nBRIN is lossy: every matching block range must be rechecked, so it is slow for random data.',
  'vacuum.md': '# Vacuum\n\n## Dead tuples\n\nVACUUM reclaims space held by dead tuples left behind by updates and deletes. Autovacuum runs it automatically.\n\n```sql\nVACUUM (VERBOSE) orders;\n```',
  'replication.md': '# Replication\n\n## Streaming\n\nA standby replays the write-ahead log streamed from the primary. Promote a standby with pg_promote().',
  'guide/partial.md': '# Partial indexes\n\n## Creating one\n\nA partial index covers only rows matching a WHERE predicate, which keeps the index small.\n\n```sql\nCREATE INDEX orders_open ON orders (id) WHERE NOT shipped;\n```',
};
/** vacuum.md after an edit: the one document that says "wraparound". */
const FREEZING = '# Vacuum\n\n## Freezing\n\nFreezing marks old tuples so transaction id wraparound cannot hide them.';

async function writeFolder(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-docs-'));
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}

describe.each(backends)('knowledge base on %s', (_name, open) => {
  let t: TestDatabase;
  let store: KnowledgeStore;
  const folders: string[] = [];
  const embeddings = new FakeEmbeddings(32);
  const space = { model: 'fake-32', dimension: 32 };
  const deps = () => ({ db: t.db, store, embeddings, space });
  const retriever = (collections: string[], mode: 'hybrid' | 'bm25' | 'vector' = 'hybrid') =>
    new HybridRetriever({ store, embeddings, dimension: 32, collections, mode, k: 6 });

  let collections = 0;
  /**
   * A folder of `files` ingested into a collection of its own: each test edits only its own
   * fixture, so none depends on what another one did.
   */
  async function knowledgeBase(files: Record<string, string | Buffer> = docs, request: Partial<IngestRequest> = {}) {
    const folder = await writeFolder(files);
    folders.push(folder);
    const collection = `docs-${++collections}`;
    const summary = await ingest(deps(), { inputs: [folder], collection, ...request });
    return { folder, collection, summary, retrieve: (question: string) => retriever([collection]).retrieve(question), ingest: (more: Partial<IngestRequest> = {}) => ingest(deps(), { inputs: [folder], collection, ...more }) };
  }

  beforeAll(async () => {
    t = await open();
    await migrate(t.db);
    store = new KnowledgeStore(t.db);
  });
  afterAll(async () => {
    await t?.drop();
    for (const folder of folders) await fs.rm(folder, { recursive: true, force: true });
  });

  it('ingests a folder with sources relative to it and links to base-url#anchor', async () => {
    const kb = await knowledgeBase(docs, { baseUrl: 'https://example.test/kb/' });
    expect(kb.summary).toMatchObject({ added: 4, changed: 0, unchanged: 0, removed: 0 });
    expect(kb.summary.embedded).toBe(kb.summary.chunks);
    const r = await kb.retrieve('how do I create a partial index');
    expect(r.chunks[0]!.chunk.source).toBe('guide/partial.md');
    expect(r.chunks[0]!.chunk.url).toBe('https://example.test/kb/guide/partial.md');
    expect(r.chunks[0]!.chunk.anchor).toBe('creating-one');
  });

  it('skips unchanged documents without computing any embedding', async () => {
    const kb = await knowledgeBase();
    const before = embeddings.texts;
    expect(await kb.ingest()).toMatchObject({ added: 0, changed: 0, unchanged: 4, embedded: 0 });
    expect(embeddings.texts).toBe(before);
  });

  it('replaces a changed document whole and keeps BM25 statistics exact', async () => {
    const kb = await knowledgeBase();
    await fs.writeFile(path.join(kb.folder, 'vacuum.md'), FREEZING);
    expect(await kb.ingest()).toMatchObject({ changed: 1, unchanged: 3 });
    const hits = await store.lexical.bm25('autovacuum reclaims space', [kb.collection], 5);
    const rows = await store.documents.chunks(hits.map((h) => h.id));
    expect([...rows.values()].some((c) => c.source === 'vacuum.md')).toBe(false);
    const drift = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM term_stats ts FULL JOIN (SELECT collection, term, count(*) AS df FROM chunk_terms GROUP BY 1, 2) a
         ON a.collection = ts.collection AND a.term = ts.term WHERE ts.df IS DISTINCT FROM a.df`,
    );
    expect(Number(drift.rows[0]!.n)).toBe(0);
    const totals = await t.db.query<{ ok: boolean }>('SELECT cs.chunk_count = (SELECT count(*) FROM chunks WHERE collection = cs.collection) AS ok FROM collection_stats cs');
    expect(totals.rows.every((r) => r.ok)).toBe(true);
  });

  it('ranks by true BM25: a rare term outweighs a common one', async () => {
    // "index" is in three documents, "wraparound" only in vacuum.md.
    const kb = await knowledgeBase({ ...docs, 'vacuum.md': FREEZING });
    const hits = await store.lexical.bm25('index wraparound', [kb.collection], 3);
    const top = (await store.documents.chunks([hits[0]!.id])).get(hits[0]!.id)!;
    expect(top.source).toBe('vacuum.md');
  });

  it('prunes documents whose files are gone', async () => {
    const kb = await knowledgeBase();
    await fs.rm(path.join(kb.folder, 'replication.md'));
    const s = await kb.ingest({ prune: true });
    expect(s.removed).toBe(1);
    expect((await store.documents.documentStates(kb.collection)).has('replication.md')).toBe(false);
    expect((await store.documents.documentStates(kb.collection)).size).toBe(3);
  });

  it('refuses a binary or invalid UTF-8 file with one clear error and writes nothing', async () => {
    const kb = await knowledgeBase();
    const bad = await writeFolder({ 'good.md': '# Good\n\nfresh words here', 'bad.txt': Buffer.from([0x66, 0x6f, 0xff, 0xfe, 0x41]) });
    folders.push(bad);
    const before = await store.documents.stats();
    await expect(ingest(deps(), { inputs: [bad], collection: kb.collection })).rejects.toThrow(/bad\.txt: not valid UTF-8 text/);
    await fs.writeFile(path.join(bad, 'bad.txt'), Buffer.from([0x41, 0x00, 0x42]));
    await expect(ingest(deps(), { inputs: [bad], collection: kb.collection })).rejects.toThrow(/bad\.txt: looks like a binary file/);
    expect(await store.documents.stats()).toEqual(before);
  });

  it('keeps collections apart: a scope never sees another collection', async () => {
    const kb = await knowledgeBase();
    const secret = await knowledgeBase({ 'canary.md': '# Canary\n\nzebracanary token lives only in collection secret' });
    const r = await kb.retrieve('zebracanary token');
    expect(r.chunks.length).toBeGreaterThan(0);
    expect(r.chunks.every((c) => c.chunk.collection === kb.collection)).toBe(true);
    const own = await secret.retrieve('zebracanary token');
    expect(own.chunks[0]!.chunk.source).toBe('canary.md');
  });

  it('treats a hostile collection name as data, not SQL', async () => {
    await knowledgeBase();
    const r = await retriever(["a' OR '1'='1"]).retrieve('partial index');
    expect(r.chunks).toEqual([]);
    expect((await store.documents.stats()).documents).toBeGreaterThan(0);
  });

  it('refuses to mix embedding models silently', async () => {
    await knowledgeBase();
    await expect(ensureEmbeddingSpace(t.db, { model: 'other-model', dimension: 64 })).rejects.toMatchObject({ code: 'store/model_mismatch' });
  });

  it('switches embedding model only through an explicit re-embed, all at once', async () => {
    // The embedding model belongs to the whole database: this test re-embeds one of its own.
    const own = await open();
    try {
      await migrate(own.db);
      const ownStore = new KnowledgeStore(own.db);
      const folder = await writeFolder(docs);
      folders.push(folder);
      await ingest({ db: own.db, store: ownStore, embeddings, space }, { inputs: [folder], collection: 'docs' });
      const small = new FakeEmbeddings(16);
      const n = await reembed({ db: own.db, embeddings: small, space: { model: 'fake-16', dimension: 16 } });
      expect(n).toBe((await ownStore.documents.stats()).chunks);
      expect(await readEmbeddingSpace(own.db)).toEqual({ model: 'fake-16', dimension: 16 });
      const r = await new HybridRetriever({ store: ownStore, embeddings: small, dimension: 16, collections: ['docs'], mode: 'vector', k: 3 }).retrieve('partial index predicate');
      expect(r.chunks[0]!.chunk.source).toBe('guide/partial.md');
    } finally {
      await own.drop();
    }
  });

  it('answers with citations, and says "I don\'t know" with none on weak evidence', async () => {
    const kb = await knowledgeBase();
    const { assistant } = testAssistant({ db: t.db, retrieverFor: (c) => retriever(c), defaultScope: [kb.collection] });
    const ask = (question: string) => assistant.answer({ question, user: 'test:u1' });
    const a = await ask('What are the downsides of a BRIN index?');
    expect(a.refused).toBe(false);
    expect(a.citations[0]!.source).toBe('brin.md');
    expect(a.text).toMatch(/\[1\]/);
    const off = await ask('What is a good recipe for lasagna?');
    expect(off.refused).toBe(true);
    expect(off.citations).toEqual([]);
    expect(off.text).toMatch(/I don't know/);
    await expect(ask('   ')).rejects.toBeInstanceOf(KbError);
    await expect(ask('x'.repeat(100_000))).rejects.toMatchObject({ code: 'input/question_too_long' });
  });
});
