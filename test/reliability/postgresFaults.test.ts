import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { PgDatabase } from '../../src/db/pgDatabase.ts';
import { toKbError } from '../../src/errors.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { HybridRetriever } from '../../src/retrieval/hybridRetriever.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';
import { latch, PausingDatabase } from '../support/pausingDatabase.ts';
import { captureLogs, databaseName, kbBackends, settle, terminateKbBackends, waitUntil, watchCrashes, writeFolder } from '../support/reliabilityKit.ts';

/**
 * PostgreSQL connections die: a restart, a failover, an admin's pg_terminate_backend. The
 * process must survive each (no 'error' event without a listener), report a short
 * db/unavailable, use a fresh connection for the next query, and never leave half a
 * document behind.
 */
const crashes = watchCrashes();
const logs = captureLogs('debug');
const space = { model: 'fake-32', dimension: 32 };
const embeddings = new FakeEmbeddings(32);
let t: TestDatabase;
let name: string;
let db: PgDatabase;

/** What was logged since `from` (a count of lines), so a test sees only its own messages. */
const messages = (from = 0) => logs.parsed().slice(from).map((l) => String(l.msg));

beforeAll(async () => {
  t = await createServerDatabase();
  name = databaseName(t.url!);
  db = new PgDatabase({ url: t.url!, poolSize: 3, statementTimeoutMs: 10_000, logger: logs.logger });
  await migrate(db);
});

afterAll(async () => {
  await db?.close();
  await t?.drop();
  crashes.dispose();
});

describe('a PostgreSQL backend terminated under the pool', () => {
  it('survives an idle pooled connection being terminated, and the next query works', async () => {
    const from = logs.parsed().length;
    await db.query('SELECT 1');
    expect((await kbBackends(name)).some((b) => b.state === 'idle')).toBe(true);
    expect(await terminateKbBackends(name, 'idle')).toBeGreaterThan(0);
    await waitUntil(() => messages(from).includes('postgres idle client error'), 'the pool to report the dead idle client');
    const r = await db.query<{ one: number }>('SELECT 1 AS one');
    expect(r.rows[0]!.one).toBe(1);
    expect(crashes.errors).toEqual([]);
  });

  it('rejects a query whose backend is terminated mid-statement with db/unavailable, then recovers', async () => {
    const slow = db.reader().query('SELECT pg_sleep(5)');
    const settled = slow.then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitUntil(async () => (await kbBackends(name)).some((b) => b.state === 'active' && b.query.includes('pg_sleep')), 'the slow query to start');
    expect(await terminateKbBackends(name, 'active')).toBe(1);
    const err = await settled;
    expect(err).toMatchObject({ name: 'KbError', code: 'db/unavailable', userMessage: 'The knowledge base is unavailable, try again shortly.' });
    expect((await db.query<{ two: number }>('SELECT 2 AS two')).rows[0]!.two).toBe(2);
    expect(crashes.errors).toEqual([]);
  });

  it('survives a checked-out client dying inside an open transaction (its own error listener)', async () => {
    const from = logs.parsed().length;
    const gate = latch();
    const tx = db
      .transaction(async (q) => {
        await q.query('SELECT 1');
        await gate.wait();
        return q.query('SELECT 2');
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    await gate.reached;
    await waitUntil(async () => (await kbBackends(name)).some((b) => b.state === 'idle in transaction'), 'the transaction to be open');
    expect(await terminateKbBackends(name, 'idle in transaction')).toBe(1);
    // The checked-out client emits 'error' now, while nobody is querying it.
    await waitUntil(() => messages(from).includes('postgres client error'), 'the checked-out client to report its error');
    gate.open();
    expect(await tx).toMatchObject({ code: 'db/unavailable' });
    expect((await db.query<{ three: number }>('SELECT 3 AS three')).rows[0]!.three).toBe(3);
    expect(crashes.errors).toEqual([]);
  });
});

describe('statement_timeout', () => {
  let fast: PgDatabase;

  beforeAll(async () => {
    const folder = await writeFolder({
      'vacuum.md': '# Vacuum\n\n## Dead tuples\n\nVACUUM reclaims space held by dead tuples left behind by updates and deletes.',
      'brin.md': '# BRIN\n\n## Overview\n\nA BRIN index stores summaries of block ranges for very large ordered tables.',
    });
    await ingest({ db, store: new KnowledgeStore(db), embeddings, space }, { inputs: [folder], collection: 'docs' });
    fast = new PgDatabase({ url: t.url!, poolSize: 2, statementTimeoutMs: 300, logger: logs.logger });
  });

  afterAll(async () => {
    await fast?.close();
  });

  it('cancels a slow statement on the read pool after STATEMENT_TIMEOUT_MS', async () => {
    // 57014 "canceling statement due to statement timeout": the server's default is none, so
    // only the pool's 300 ms setting can have cancelled it (how soon is bench/soak.ts's concern).
    const r = await settle(fast.reader().query('SELECT pg_sleep(5)'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ code: '57014', message: expect.stringMatching(/statement timeout/) });
  });

  it('bounds retrieval blocked behind a lock, with a short user message and no SQL in it', async () => {
    const admin = new pg.Client({ connectionString: t.url!, application_name: 'kb-test-admin' });
    await admin.connect();
    try {
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE chunks, chunk_terms IN ACCESS EXCLUSIVE MODE');
      const retriever = new HybridRetriever({ store: new KnowledgeStore(fast), embeddings, dimension: 32, collections: ['docs'], k: 4 });
      const r = await settle(retriever.retrieve('what does vacuum reclaim'));
      expect(r.ok).toBe(false);
      if (r.ok) return;
      // Ended by the statement timeout, not by a lock timeout (55P03) nor left waiting.
      expect(r.error).toMatchObject({ code: '57014', message: expect.stringMatching(/statement timeout/) });
      const shown = toKbError(r.error).userMessage;
      expect(shown).not.toMatch(/select|chunk|pg_|statement/i);
      await admin.query('ROLLBACK');
      const ok = await retriever.retrieve('what does vacuum reclaim');
      expect(ok.chunks[0]!.chunk.source).toBe('vacuum.md');
    } finally {
      await admin.end();
    }
  });
});

describe('an ingest batch whose backend is terminated mid-transaction', () => {
  const collection = 'bulk';
  const files: Record<string, string> = {};
  for (let i = 0; i < 70; i++) {
    files[`topic-${String(i).padStart(2, '0')}.md`] = `# Topic ${i}\n\n## Notes\n\nNote number ${i} about checkpoints, autovacuum and index bloat; marker term${i}x.\n\n## More\n\nSecond section ${i} on replication slots.`;
  }

  async function consistency() {
    const q = async (sql: string) => Number((await db.query<{ n: string }>(sql, [collection])).rows[0]!.n);
    return {
      documents: await q('SELECT count(*) AS n FROM documents WHERE collection = $1'),
      distinctSources: await q('SELECT count(DISTINCT source) AS n FROM documents WHERE collection = $1'),
      withoutChunks: await q('SELECT count(*) AS n FROM documents d WHERE collection = $1 AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = d.id)'),
      wrongChunkCount: await q('SELECT count(*) AS n FROM documents d WHERE collection = $1 AND chunk_count <> (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)'),
      duplicateChunks: await q('SELECT count(*) - count(DISTINCT (document_id, ord)) AS n FROM chunks WHERE collection = $1'),
      statsDrift: await q(
        `SELECT count(*) AS n FROM (SELECT * FROM term_stats WHERE collection = $1) ts
           FULL JOIN (SELECT term, count(*) AS df FROM chunk_terms WHERE collection = $1 GROUP BY term) a ON a.term = ts.term
          WHERE ts.df IS DISTINCT FROM a.df`,
      ),
      totalsDrift: await q(
        `SELECT count(*) AS n FROM collection_stats cs WHERE cs.collection = $1
            AND (cs.chunk_count <> (SELECT count(*) FROM chunks WHERE collection = $1)
              OR cs.total_length <> (SELECT coalesce(sum(length), 0) FROM chunks WHERE collection = $1))`,
      ),
    };
  }

  it('rolls the whole batch back (no document without chunks, statistics exact), and a re-run completes without duplicates', async () => {
    const folder = await writeFolder(files);
    const paused = new PausingDatabase(db);
    const gate = latch();
    let chunkTermInserts = 0;
    // Stop the second batch after its documents and chunks are written, before its postings.
    paused.beforeStatement = async (_tx, _n, sql) => {
      if (sql.includes('INSERT INTO chunk_terms') && ++chunkTermInserts === 2) await gate.wait();
    };
    // One writer, so "the second batch" is the second to write (two concurrent writers are
    // covered by test/integration/ingest.test.ts).
    const run = ingest({ db: paused, store: new KnowledgeStore(paused), embeddings, space, writers: 1 }, { inputs: [folder], collection }).then(
      () => undefined,
      (err: unknown) => err,
    );
    await gate.reached;
    const open = await waitUntil(async () => (await kbBackends(name)).filter((b) => b.state === 'idle in transaction'), 'the batch transaction');
    expect(open).toHaveLength(1);
    // The half-written batch is visible to nobody else, even now.
    expect((await consistency()).documents).toBe(64);
    expect(await terminateKbBackends(name, 'idle in transaction')).toBe(1);
    gate.open();
    expect(await run).toMatchObject({ code: 'db/unavailable' });

    const after = await consistency();
    expect(after).toEqual({ documents: 64, distinctSources: 64, withoutChunks: 0, wrongChunkCount: 0, duplicateChunks: 0, statsDrift: 0, totalsDrift: 0 });

    const rerun = await ingest({ db, store: new KnowledgeStore(db), embeddings, space }, { inputs: [folder], collection });
    expect(rerun).toMatchObject({ added: 6, changed: 0, unchanged: 64 });
    expect(await consistency()).toEqual({ documents: 70, distinctSources: 70, withoutChunks: 0, wrongChunkCount: 0, duplicateChunks: 0, statsDrift: 0, totalsDrift: 0 });
    expect(crashes.errors).toEqual([]);
  });
});
