import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database, Session } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { DocumentStore } from '../../src/store/documentStore.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { LexicalIndex } from '../../src/store/lexicalIndex.ts';
import type { NewDocument } from '../../src/store/documents.ts';
import { backends, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';

const space = { model: 'fake-32', dimension: 32 };
/** A modification time well outside the window in which a file counts as still changing. */
const OLD = new Date('2024-01-02T03:04:05Z');
/** Another such time, for an edit that keeps the file's size. */
const OLDER = new Date('2023-06-07T08:09:10Z');

async function writeFolder(files: Record<string, string>, mtime = OLD): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-ingest-'));
  for (const [name, content] of Object.entries(files)) {
    await fs.writeFile(path.join(dir, name), content);
    await fs.utimes(path.join(dir, name), mtime, mtime);
  }
  return dir;
}

/** n small Markdown pages, page-000.md … (more than one 64-document batch). */
const pages = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`page-${String(i).padStart(3, '0')}.md`, `# Page ${i}\n\nThe page numbered ${i} talks about tuple ${i} and vacuum.`]));

/** Wraps a database so the test can make one statement fail inside its transaction. */
function failingDatabase(inner: Database, shouldFail: (sql: string) => boolean, error = new Error('injected failure')): Database {
  const wrap = (q: Session): Session => ({
    query: (sql, params) => (shouldFail(sql) ? Promise.reject(error) : q.query(sql, params)),
    script: (sql) => (shouldFail(sql) ? Promise.reject(error) : q.script(sql)),
  });
  return { kind: inner.kind, query: (sql, params) => inner.query(sql, params), script: (sql) => inner.script(sql), reader: () => inner.reader(), transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))), close: () => inner.close() };
}

describe.each(backends)('ingest on %s', (_name, open) => {
  let t: TestDatabase;
  let store: KnowledgeStore;
  let folder: string;
  let embeddings: FakeEmbeddings;
  const deps = () => ({ db: t.db, store, embeddings, space });
  const documentsOf = async (collection: string) =>
    (await t.db.query<{ source: string; chunk_count: number; n: string }>(
      'SELECT d.source, d.chunk_count, (SELECT count(*) FROM chunks c WHERE c.document_id = d.id) AS n FROM documents d WHERE d.collection = $1 ORDER BY d.source',
      [collection],
    )).rows;

  /** Everything BM25 and vector search read for a collection, without row ids. */
  const indexState = async (collection: string) => ({
    documents: (await t.db.query("SELECT source, title, content_hash, chunk_count FROM documents WHERE collection = $1 ORDER BY source", [collection])).rows,
    chunks: (await t.db.query('SELECT d.source, c.ord, c.heading, c.anchor, c.content, c.length, c.embedding::text AS embedding FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection = $1 ORDER BY d.source, c.ord', [collection])).rows,
    postings: (await t.db.query('SELECT d.source, c.ord, p.term, p.tf, p.tf_head, p.length FROM chunk_terms p JOIN chunks c ON c.id = p.chunk_id JOIN documents d ON d.id = c.document_id WHERE p.collection = $1 ORDER BY 1, 2, 3', [collection])).rows,
    terms: (await t.db.query('SELECT term, df FROM term_stats WHERE collection = $1 ORDER BY term', [collection])).rows,
    totals: (await t.db.query('SELECT chunk_count, total_length FROM collection_stats WHERE collection = $1', [collection])).rows,
    // Each term's head (migrations/011, 14 bytes a posting): its chunks as source#ord, a set (ties may order differently).
    heads: (
      await t.db.query<{ term: string; chunks: string[] }>(
        `SELECT ts.term, ARRAY(SELECT d.source || '#' || c.ord FROM generate_series(0, octet_length(h.postings) / 14 - 1) i
                                 JOIN chunks c ON c.id = ('x' || encode(substring(h.postings FROM 14 * i + 1 FOR 8), 'hex'))::bit(64)::bigint
                                 JOIN documents d ON d.id = c.document_id ORDER BY 1) AS chunks
           FROM term_stats ts LEFT JOIN term_heads h USING (term, collection) WHERE ts.collection = $1 ORDER BY ts.term`,
        [collection],
      )
    ).rows,
  });

  beforeAll(async () => {
    t = await open();
    await migrate(t.db);
    store = new KnowledgeStore(t.db);
  });
  afterAll(async () => {
    await t?.drop();
  });
  beforeEach(() => {
    embeddings = new FakeEmbeddings(32);
  });
  afterEach(async () => {
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  it('skips a file whose size and mtime are unchanged without reading it; --rehash reads it', async () => {
    folder = await writeFolder({ 'a.md': '# Alpha\n\nalpha words here', 'b.md': '# Beta\n\nbeta words here' });
    expect(await ingest(deps(), { inputs: [folder], collection: 'stat' })).toMatchObject({ added: 2 });
    // Same size, same mtime, different content: only reading the file could tell.
    await fs.writeFile(path.join(folder, 'a.md'), '# Alpha\n\ngamma words here');
    await fs.utimes(path.join(folder, 'a.md'), OLD, OLD);
    const skipped = await ingest(deps(), { inputs: [folder], collection: 'stat' });
    expect(skipped).toMatchObject({ added: 0, changed: 0, unchanged: 2, embedded: 0 });
    const rehashed = await ingest(deps(), { inputs: [folder], collection: 'stat', rehash: true });
    expect(rehashed).toMatchObject({ changed: 1, unchanged: 1 });
    expect(rehashed.embedded).toBeGreaterThan(0);
  });

  it('reads a touched but identical file without embedding it, then skips it unread', async () => {
    folder = await writeFolder({ 'a.md': '# Alpha\n\nalpha words here' });
    await ingest(deps(), { inputs: [folder], collection: 'touch' });
    const touched = new Date('2024-05-06T07:08:09Z');
    await fs.utimes(path.join(folder, 'a.md'), touched, touched);
    const before = embeddings.texts;
    expect(await ingest(deps(), { inputs: [folder], collection: 'touch' })).toMatchObject({ changed: 0, unchanged: 1, embedded: 0 });
    expect(embeddings.texts).toBe(before);
    expect((await store.documents.documentStates('touch')).get('a.md')!.sourceStat).toMatchObject({ size: 25, mtimeMs: touched.getTime() });
    // The new mtime was recorded: a same-size edit that keeps it goes unnoticed (unread).
    await fs.writeFile(path.join(folder, 'a.md'), '# Alpha\n\nomega words here');
    await fs.utimes(path.join(folder, 'a.md'), touched, touched);
    expect(await ingest(deps(), { inputs: [folder], collection: 'touch' })).toMatchObject({ changed: 0, unchanged: 1 });
  });

  it('re-chunks unchanged files when the chunk overlap changes, and only then', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `Vacuum sentence ${i} about dead tuples.`).join(' ');
    folder = await writeFolder({ 'long.md': `# Long\n\n${long}\n` });
    const chunkTexts = async () => (await t.db.query<{ content: string }>("SELECT c.content FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection = 'overlap' ORDER BY c.ord")).rows.map((r) => r.content);
    await ingest(deps(), { inputs: [folder], collection: 'overlap' });
    const plain = await chunkTexts();
    expect(plain.length).toBeGreaterThan(1);
    const overlapping = { ...deps(), chunking: { maxChars: 1400, overlapChars: 200 } };
    expect(await ingest(overlapping, { inputs: [folder], collection: 'overlap' })).toMatchObject({ changed: 1, unchanged: 0 });
    const withOverlap = await chunkTexts();
    // The second chunk opens with the first chunk's last sentences, at most 200 characters.
    const carried = withOverlap[1]!.split('\n\n')[0]!;
    expect(carried).toMatch(/^Vacuum sentence \d+ about dead tuples\./);
    expect(carried.length).toBeLessThanOrEqual(200);
    expect(withOverlap[0]!.endsWith(carried)).toBe(true);
    expect(plain[1]!.startsWith(carried)).toBe(false);
    expect(await ingest(overlapping, { inputs: [folder], collection: 'overlap' })).toMatchObject({ changed: 0, unchanged: 1, embedded: 0 });
  });

  it('does not trust the mtime of a file modified just before it was read', async () => {
    folder = await writeFolder({ 'fresh.md': '# Fresh\n\nfresh words here' }, new Date());
    await ingest(deps(), { inputs: [folder], collection: 'racy' });
    expect((await store.documents.documentStates('racy')).get('fresh.md')!.sourceStat).toBeUndefined();
    // So a same-size edit within the same timestamp tick is still caught next time.
    await fs.writeFile(path.join(folder, 'fresh.md'), '# Fresh\n\nfrash words here');
    expect(await ingest(deps(), { inputs: [folder], collection: 'racy' })).toMatchObject({ changed: 1 });
  });

  it('keeps the unchanged chunks of an edited page: only new text is embedded, and the index equals a fresh ingest', async () => {
    const section = (h: string, body: string) => `## ${h}\n\n${body}\n`;
    const v1 = ['# Handbook', section('Naïve locks', 'Readers take a shared lock — déjà vu for writers.'), section('Vacuum', 'Vacuum reclaims dead tuples.'), section('Stale', 'This section goes away.'), section('Indexes', 'A btree index orders keys.')].join('\n');
    const v2 = ['# Handbook', section('Naïve locks', 'Readers take a shared lock — déjà vu for writers.'), section('Freezing', 'Freezing protects against wraparound of transaction ids.'), section('Vacuum', 'Vacuum reclaims dead tuples and updates the visibility map.'), section('Indexes', 'A btree index orders keys.')].join('\n');
    folder = await writeFolder({ 'guide.md': v1, 'other.md': '# Other\n\nOther words about tuples.' });
    await ingest(deps(), { inputs: [folder], collection: 'edit' });
    const idsBefore = await t.db.query<{ heading: string; id: string }>("SELECT c.heading, c.id::text AS id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection = 'edit' AND d.source = 'guide.md'");
    const before = new Map(idsBefore.rows.map((r) => [r.heading, r.id]));

    await fs.writeFile(path.join(folder, 'guide.md'), v2);
    await fs.utimes(path.join(folder, 'guide.md'), OLD, OLD);
    const texts = embeddings.texts;
    const s = await ingest(deps(), { inputs: [folder], collection: 'edit' });
    // Two sections kept (one with non-ASCII text: the SQL and Node digests agree), one new, one edited.
    expect(s).toMatchObject({ changed: 1, unchanged: 1, chunks: 4, embedded: 2, reused: 2 });
    expect(embeddings.texts - texts).toBe(2);
    const after = await t.db.query<{ heading: string; id: string; ord: number }>("SELECT c.heading, c.id::text AS id, c.ord FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection = 'edit' AND d.source = 'guide.md' ORDER BY c.ord");
    expect(after.rows.map((r) => r.heading)).toEqual(['Naïve locks', 'Freezing', 'Vacuum', 'Indexes']);
    expect(after.rows.find((r) => r.heading === 'Naïve locks')!.id).toBe(before.get('Naïve locks'));
    expect(after.rows.find((r) => r.heading === 'Indexes')!.id).toBe(before.get('Indexes'));
    expect(after.rows.find((r) => r.heading === 'Vacuum')!.id).not.toBe(before.get('Vacuum'));

    // Everything BM25 reads is what a first ingest of the edited folder writes, heads included.
    await ingest(deps(), { inputs: [folder], collection: 'fresh' });
    const edited = await indexState('edit');
    expect(edited.heads.length).toBeGreaterThan(10);
    expect(edited.heads.every((h) => h.chunks.length > 0)).toBe(true);
    expect(edited).toEqual(await indexState('fresh'));
    expect((await store.lexical.bm25('wraparound', ['edit'], 5)).length).toBe(1);
    expect(await store.lexical.bm25('goes away', ['edit'], 5)).toEqual([]);
  });

  it('refreshes planner statistics after rewriting a fifth of the chunks, not after edits that keep most of them', async () => {
    const page = (i: number, extra: string) => `# Page ${i}\n\n` + Array.from({ length: 10 }, (_, j) => `## Part ${j}\n\npart ${j} of page ${i} about vacuum\n`).join('\n') + extra;
    const files = (extra: (i: number) => string) => Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`p${i}.md`, page(i, extra(i))]));
    folder = await writeFolder(files(() => ''));
    let refreshes = 0;
    const counting = {
      documents: store.documents,
      lexical: new (class extends LexicalIndex {
        override async refreshStatistics() {
          refreshes++;
          await super.refreshStatistics();
        }
      })(t.db),
    };
    const run = () => ingest({ ...deps(), store: counting }, { inputs: [folder], collection: 'analyze' });
    await run();
    expect(refreshes).toBe(1);
    // Every page edited, but only one new section each: 5 of 50 chunks written.
    for (const [name, text] of Object.entries(files((i) => `\n## Added\n\nnew words ${i}\n`))) await fs.writeFile(path.join(folder, name), text);
    expect(await run()).toMatchObject({ changed: 5, embedded: 5, reused: 50 });
    expect(refreshes).toBe(1);
    // Every section rewritten.
    for (const [name, text] of Object.entries(files((i) => `\n## Added\n\nnew words ${i}\n`))) await fs.writeFile(path.join(folder, name), text.replaceAll('about vacuum', 'about analyze'));
    expect(await run()).toMatchObject({ changed: 5, reused: 5 });
    expect(refreshes).toBe(2);
  });

  it('embeds every chunk of an edited page whose title changed', async () => {
    folder = await writeFolder({ 'p.md': '# Old title\n\n## One\n\nfirst part\n\n## Two\n\nsecond part\n' });
    await ingest(deps(), { inputs: [folder], collection: 'retitle' });
    await fs.writeFile(path.join(folder, 'p.md'), '# New title\n\n## One\n\nfirst part\n\n## Two\n\nsecond part\n');
    await fs.utimes(path.join(folder, 'p.md'), OLDER, OLDER);
    expect(await ingest(deps(), { inputs: [folder], collection: 'retitle' })).toMatchObject({ changed: 1, chunks: 2, embedded: 2, reused: 0 });
  });

  it('refuses, with nothing written, an edit whose kept chunk another ingest removed meanwhile', async () => {
    folder = await writeFolder({ 'a.md': '# A\n\n## One\n\nfirst part\n\n## Two\n\nsecond part\n' });
    await ingest(deps(), { inputs: [folder], collection: 'race' });
    const stored = await store.documents.storedChunks('race', ['a.md']);
    const [kept, gone] = stored.get('a.md')!.chunks;
    // Another ingest replaced the chunk this edit meant to keep.
    await t.db.query('DELETE FROM chunk_terms WHERE chunk_id = $1', [gone!.id]);
    await t.db.query('DELETE FROM chunks WHERE id = $1', [gone!.id]);
    const edit: NewDocument = {
      source: 'a.md',
      title: 'A',
      contentHash: 'edited',
      chunks: [
        { ord: 0, heading: 'One', content: 'first part', storedId: kept!.id },
        { ord: 1, heading: 'Two', content: 'second part', storedId: gone!.id },
        { ord: 2, heading: 'Three', content: 'third part', embedding: embeddings.embedSync('third part') },
      ],
    };
    await expect(store.documents.writeDocuments('race', [edit])).rejects.toMatchObject({ code: 'store/concurrent_change' });
    expect((await documentsOf('race')).map((d) => [d.source, d.chunk_count, Number(d.n)])).toEqual([['a.md', 2, 1]]);
    expect(await store.lexical.bm25('third', ['race'], 5)).toEqual([]);
  });

  it('with one writer, embeds the next batch while the previous one is written, one write at a time, in order', async () => {
    folder = await writeFolder(pages(150));
    const events: string[] = [];
    let embedCalls = 0;
    const embedStarted: Array<() => void> = [];
    const started = [0, 1, 2].map((i) => new Promise<void>((resolve) => (embedStarted[i] = resolve)));
    const tracked = new (class extends FakeEmbeddings {
      override async embedDocuments(texts: string[]) {
        events.push(`embed ${embedCalls}`);
        embedStarted[embedCalls++]?.();
        return super.embedDocuments(texts);
      }
    })(32);
    let writes = 0;
    let inFlight = 0;
    const pipelinedDocuments = new (class extends DocumentStore {
      override async writeDocuments(collection: string, docs: NewDocument[], removeSources?: string[]) {
        const n = writes++;
        events.push(`write ${n} (${docs.length} docs from ${docs[0]?.source})`);
        expect(++inFlight).toBe(1);
        // Batch n is not committed before batch n+1 has started embedding: without
        // pipelining this would time out.
        if (n < 2) await Promise.race([started[n + 1], new Promise((_, reject) => setTimeout(() => reject(new Error(`batch ${n + 1} was not embedded while batch ${n} was written`)), 5000))]);
        await super.writeDocuments(collection, docs, removeSources);
        inFlight--;
        events.push(`committed ${n}`);
      }
    })(t.db);
    const progress: Array<[number, number]> = [];
    const s = await ingest({ db: t.db, store: { documents: pipelinedDocuments, lexical: store.lexical }, embeddings: tracked, space, writers: 1 }, { inputs: [folder], collection: 'pipe', onProgress: (done, total) => progress.push([done, total]) });
    expect(s).toMatchObject({ added: 150, embedded: 150, chunks: 150 });
    expect(events).toEqual([
      'embed 0',
      'write 0 (64 docs from page-000.md)',
      'embed 1',
      'committed 0',
      'write 1 (64 docs from page-064.md)',
      'embed 2',
      'committed 1',
      'write 2 (22 docs from page-128.md)',
      'committed 2',
    ]);
    expect(progress).toEqual([[0, 150], [64, 150], [128, 150], [150, 150]]);
    expect((await documentsOf('pipe')).every((d) => Number(d.n) === d.chunk_count)).toBe(true);
  });

  it('with two writers, writes two batches at a time, each whole, with the same result as one writer', async () => {
    folder = await writeFolder(pages(300));
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    let secondStarted!: () => void;
    const second = new Promise<void>((resolve) => (secondStarted = resolve));
    const concurrentDocuments = new (class extends DocumentStore {
      override async writeDocuments(collection: string, docs: NewDocument[], removeSources?: string[]) {
        const n = calls++;
        most = Math.max(most, ++inFlight);
        if (n === 1) secondStarted();
        try {
          // The first write does not finish before the second has started: with one writer
          // this would time out.
          if (n === 0) await Promise.race([second, new Promise((_, reject) => setTimeout(() => reject(new Error('the second batch was not written while the first was')), 5000))]);
          await super.writeDocuments(collection, docs, removeSources);
        } finally {
          inFlight--;
        }
      }
    })(t.db);
    const progress: number[] = [];
    const s = await ingest({ db: t.db, store: { documents: concurrentDocuments, lexical: store.lexical }, embeddings, space, writers: 2 }, { inputs: [folder], collection: 'two', onProgress: (done) => progress.push(done) });
    expect(s).toMatchObject({ added: 300, embedded: 300, chunks: 300 });
    expect(most).toBe(2);
    expect(progress.at(-1)).toBe(300);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    await ingest({ ...deps(), writers: 1 }, { inputs: [folder], collection: 'one' });
    expect(await indexState('two')).toEqual(await indexState('one'));
  });

  it('with embedAhead, keeps that many embedding requests in flight and writes the same as one ahead', async () => {
    folder = await writeFolder(pages(300));
    let inFlight = 0;
    let most = 0;
    const slow = new (class extends FakeEmbeddings {
      override async embedDocuments(texts: string[]) {
        most = Math.max(most, ++inFlight);
        try {
          // A remote embedder's latency: the requests can only overlap if they are sent together.
          await new Promise((resolve) => setTimeout(resolve, 40));
          return await super.embedDocuments(texts);
        } finally {
          inFlight--;
        }
      }
    })(32);
    const progress: number[] = [];
    const s = await ingest({ ...deps(), embeddings: slow, embedAhead: 3 }, { inputs: [folder], collection: 'ahead', onProgress: (done) => progress.push(done) });
    expect(s).toMatchObject({ added: 300, embedded: 300, chunks: 300 });
    expect(most).toBe(3);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    most = 0;
    await ingest({ ...deps(), embeddings: slow }, { inputs: [folder], collection: 'one-ahead' });
    expect(most).toBe(1);
    expect(await indexState('ahead')).toEqual(await indexState('one-ahead'));
  });

  it('with embedAhead, a failed embedding stops the run with every written batch whole', async () => {
    folder = await writeFolder(pages(300));
    let calls = 0;
    const failing = new (class extends FakeEmbeddings {
      override async embedDocuments(texts: string[]) {
        if (calls++ === 2) throw new Error('embedding service failed');
        return super.embedDocuments(texts);
      }
    })(32);
    await expect(ingest({ ...deps(), embeddings: failing, embedAhead: 3 }, { inputs: [folder], collection: 'ahead-fail' })).rejects.toThrow('embedding service failed');
    const stored = await documentsOf('ahead-fail');
    expect(stored.length % 64).toBe(0);
    expect(stored.length).toBeLessThanOrEqual(128);
    expect(stored.every((d) => Number(d.n) === d.chunk_count && d.chunk_count > 0)).toBe(true);
    expect(await ingest(deps(), { inputs: [folder], collection: 'ahead-fail' })).toMatchObject({ added: 300 - stored.length, unchanged: stored.length });
  });

  it('writes a batch again when PostgreSQL aborted it to break a deadlock', async () => {
    folder = await writeFolder(pages(10));
    let chunkInserts = 0;
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const db = failingDatabase(t.db, (sql) => /INSERT INTO chunks\b/.test(sql) && ++chunkInserts === 1, deadlock);
    expect(await ingest({ db, store: new KnowledgeStore(db), embeddings, space }, { inputs: [folder], collection: 'deadlock' })).toMatchObject({ added: 10 });
    expect(chunkInserts).toBe(2);
    const stored = await documentsOf('deadlock');
    expect(stored).toHaveLength(10);
    expect(stored.every((d) => Number(d.n) === d.chunk_count)).toBe(true);
  });

  it('keeps each batch atomic when a write fails while the next batch is embedded', async () => {
    folder = await writeFolder(pages(150));
    let chunkInserts = 0;
    // The second batch's chunk insert fails after its documents were inserted in the same transaction.
    const db = failingDatabase(t.db, (sql) => /INSERT INTO chunks\b/.test(sql) && ++chunkInserts === 2);
    await expect(ingest({ db, store: new KnowledgeStore(db), embeddings, space, writers: 1 }, { inputs: [folder], collection: 'atomic' })).rejects.toThrow('injected failure');
    const stored = await documentsOf('atomic');
    expect(stored.map((d) => d.source)).toEqual(Object.keys(pages(64)));
    expect(stored.every((d) => Number(d.n) === d.chunk_count && d.chunk_count > 0)).toBe(true);
    // Running again finishes the job: the committed batch is unchanged, the rest is added.
    expect(await ingest(deps(), { inputs: [folder], collection: 'atomic' })).toMatchObject({ added: 86, unchanged: 64 });
  });

  it('with two writers, a failed batch leaves every other batch whole, and running again completes the folder', async () => {
    folder = await writeFolder(pages(300));
    let chunkInserts = 0;
    const db = failingDatabase(t.db, (sql) => /INSERT INTO chunks\b/.test(sql) && ++chunkInserts === 2);
    await expect(ingest({ db, store: new KnowledgeStore(db), embeddings, space, writers: 2 }, { inputs: [folder], collection: 'atomic2' })).rejects.toThrow('injected failure');
    const stored = await documentsOf('atomic2');
    // Whole batches only: batches hold 64 pages, the last one 44.
    expect([0, 44]).toContain(stored.length % 64);
    expect(stored.length).toBeLessThan(300);
    expect(stored.every((d) => Number(d.n) === d.chunk_count && d.chunk_count > 0)).toBe(true);
    expect(await ingest(deps(), { inputs: [folder], collection: 'atomic2' })).toMatchObject({ added: 300 - stored.length, unchanged: stored.length });
  });

  it('reports an embedding failure of the next batch after the current batch is committed', async () => {
    folder = await writeFolder(pages(150));
    const failing = new (class extends FakeEmbeddings {
      override async embedDocuments(texts: string[]) {
        if (this.calls === 1) throw new Error('embedding service down');
        return super.embedDocuments(texts);
      }
    })(32);
    await expect(ingest({ db: t.db, store, embeddings: failing, space }, { inputs: [folder], collection: 'embedfail' })).rejects.toThrow('embedding service down');
    const stored = await documentsOf('embedfail');
    expect(stored).toHaveLength(64);
    expect(stored.every((d) => Number(d.n) === d.chunk_count)).toBe(true);
  });
});
