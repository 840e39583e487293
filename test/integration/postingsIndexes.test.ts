import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database, Session } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { backends, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';

const space = { model: 'fake-32', dimension: 32 };
const OLD = new Date('2024-01-02T03:04:05Z');

/** n small pages: more than one 64-page batch from 65 on. */
async function folderOf(n: number, prefix = 'page'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-postings-'));
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `${prefix}-${String(i).padStart(3, '0')}.md`);
    await fs.writeFile(file, `# ${prefix} ${i}\n\nThe page numbered ${i} talks about tuple ${i} and vacuum.`);
    await fs.utimes(file, OLD, OLD);
  }
  return dir;
}

/** The postings' index definitions, by name. */
async function postingsIndexes(db: Database): Promise<Record<string, string>> {
  const r = await db.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'chunk_terms' ORDER BY indexname");
  return Object.fromEntries(r.rows.map((x) => [x.indexname, x.indexdef]));
}

/**
 * Runs `observe` once, inside the transaction of the chunk insert number `at` (counting from
 * 1), before that insert; `fail` makes that insert fail instead of running.
 */
function watchingDatabase(inner: Database, at: number, observe: (tx: Session) => Promise<void>, fail = false): Database {
  let inserts = 0;
  const wrap = (q: Session): Session => ({
    query: async (sql, params) => {
      if (/INSERT INTO chunks\b/.test(sql) && ++inserts === at) {
        await observe(q);
        if (fail) throw new Error('injected failure');
      }
      return q.query(sql, params);
    },
    script: (sql) => q.script(sql),
  });
  return {
    kind: inner.kind,
    query: (sql, params) => inner.query(sql, params),
    script: (sql) => inner.script(sql),
    reader: () => inner.reader(),
    transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))),
    // Index drops and builds go through the production path (no statement timeout), unwatched.
    maintenance: inner.maintenance && ((fn, opts) => inner.maintenance!(fn, opts)),
    close: () => inner.close(),
  };
}

describe.each(backends)('postings indexes on %s', (_name, open) => {
  let t: TestDatabase | undefined;
  const folders: string[] = [];
  afterEach(async () => {
    await t?.drop();
    t = undefined;
    for (const f of folders.splice(0)) await fs.rm(f, { recursive: true, force: true });
  });
  const fresh = async () => {
    t = await open();
    await migrate(t.db);
    return t.db;
  };
  const run = (db: Database, folder: string, collection: string, embeddings = new FakeEmbeddings(32)) =>
    ingest({ db, store: new KnowledgeStore(db), embeddings, space, writers: 1 }, { inputs: [folder], collection });
  const absentDuring = (names: string[]) => async (tx: Session) => {
    const r = await tx.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'chunk_terms'");
    names.push(...r.rows.map((x) => x.indexname));
  };

  it('a first large ingest writes postings without their indexes, then builds the same indexes the migrations define', async () => {
    const db = await fresh();
    const defined = await postingsIndexes(db);
    expect(Object.keys(defined).sort()).toEqual(['chunk_terms_chunk_idx', 'chunk_terms_impact_idx']);
    const folder = await folderOf(150);
    folders.push(folder);
    const during: string[] = [];
    expect(await run(watchingDatabase(db, 2, absentDuring(during)), folder, 'docs')).toMatchObject({ added: 150 });
    expect(during).toEqual([]);
    expect(await postingsIndexes(db)).toEqual(defined);
    // BM25 reads them again: the term's postings come from the covering index.
    const plan = await db.query<{ 'QUERY PLAN': string }>("EXPLAIN SELECT chunk_id FROM chunk_terms WHERE term = 'vacuum' AND collection = 'docs' ORDER BY impact DESC LIMIT 5");
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/chunk_terms_impact_idx/);
  });

  it('a knowledge base that holds postings keeps its indexes while another large ingest writes', async () => {
    const db = await fresh();
    const first = await folderOf(3, 'first');
    const second = await folderOf(150, 'second');
    folders.push(first, second);
    await run(db, first, 'one');
    const during: string[] = [];
    await run(watchingDatabase(db, 2, absentDuring(during)), second, 'two');
    expect(during.sort()).toEqual(['chunk_terms_chunk_idx', 'chunk_terms_impact_idx']);
  });

  it('a first ingest that fails part-way still builds the indexes for the batches it committed', async () => {
    const db = await fresh();
    const defined = await postingsIndexes(db);
    const folder = await folderOf(150);
    folders.push(folder);
    await expect(run(watchingDatabase(db, 2, async () => undefined, true), folder, 'docs')).rejects.toThrow('injected failure');
    expect(await postingsIndexes(db)).toEqual(defined);
    expect(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM documents')).rows[0]!.n)).toBe(64);
  });

  it('two first ingests ending together build the indexes once, both succeeding', async () => {
    const db = await fresh();
    const defined = await postingsIndexes(db);
    const one = await folderOf(130, 'one');
    const two = await folderOf(130, 'two');
    folders.push(one, two);
    const [a, b] = await Promise.all([run(db, one, 'one'), run(db, two, 'two')]);
    expect([a.added, b.added]).toEqual([130, 130]);
    expect(await postingsIndexes(db)).toEqual(defined);
  });

  it('an ingest after one killed before the build (indexes missing) builds them, even with nothing to write', async () => {
    const db = await fresh();
    const defined = await postingsIndexes(db);
    const folder = await folderOf(5);
    folders.push(folder);
    await run(db, folder, 'docs');
    await db.query('SELECT kb_postings_indexes(false)');
    expect(await postingsIndexes(db)).toEqual({});
    expect(await run(db, folder, 'docs')).toMatchObject({ added: 0, unchanged: 5 });
    expect(await postingsIndexes(db)).toEqual(defined);
  });
});
