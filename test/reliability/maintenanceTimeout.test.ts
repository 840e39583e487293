import fs from 'node:fs/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { PgDatabase } from '../../src/db/pgDatabase.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { reembed } from '../../src/ingest/reembed.ts';
import { builtEfConstruction, vectorIndexName } from '../../src/store/vectorIndex.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { createServerDatabase, silentLogger, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';
import { adminQuery, databaseName, sleep, waitUntil, writeFolder } from '../support/reliabilityKit.ts';

/**
 * Maintenance (the HNSW build, VACUUM, migrations, `kb reembed`) is not cut short by the
 * statement timeout that bounds questions. Each test makes the statement wait on a lock held
 * by another session for several times the timeout, then lets it go: with the query timeout
 * it would have been cancelled while it waited.
 */
const TIMEOUT_MS = 200;
const space = { model: 'fake-32', dimension: 32 };
const INDEX = vectorIndexName(space.dimension, 'halfvec');
let t: TestDatabase;
let db: PgDatabase;
let store: KnowledgeStore;
let folder: string;

// A database of its own for each test: the vector index and the migrations are the whole database's.
beforeEach(async () => {
  t = await createServerDatabase();
  db = new PgDatabase({ url: t.url!, poolSize: 4, statementTimeoutMs: TIMEOUT_MS, logger: silentLogger });
  await migrate(t.db);
  store = new KnowledgeStore(db);
  folder = await writeFolder({ 'a.md': '# Alpha\n\nalpha words about vacuum', 'b.md': '# Beta\n\nbeta words about indexes' });
});

afterEach(async () => {
  await db?.close();
  await t?.drop();
  if (folder) await fs.rm(folder, { recursive: true, force: true });
});

/**
 * Runs `operation` while another session holds a lock (taken by `lockSql` in an open
 * transaction); once a statement matching `waiting` has waited on it for three times the
 * statement timeout, releases the lock and returns the operation's outcome.
 */
async function whileLocked<T>(lockSql: string, waiting: string, operation: () => Promise<T>): Promise<T> {
  const blocker = new pg.Client({ connectionString: t.url });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query(lockSql);
    let settled = false;
    const running = operation().finally(() => (settled = true));
    running.catch(() => undefined);
    // Asked from another session: inside the blocker's transaction pg_stat_activity is a snapshot.
    const blocked = async () =>
      (await adminQuery<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query ILIKE $2", [databaseName(t.url!), waiting])).length > 0;
    await waitUntil(async () => settled || (await blocked()), `a statement like ${waiting} to wait on the lock`);
    await sleep(3 * TIMEOUT_MS);
    // Still waiting: the statement timeout did not cancel it.
    expect(settled).toBe(false);
    await blocker.query('COMMIT');
    return await running;
  } finally {
    await blocker.end();
  }
}

const ingestFolder = () => ingest({ db, store, embeddings: new FakeEmbeddings(32), space }, { inputs: [folder], collection: 'docs' });

describe('maintenance statements and the query statement timeout', () => {
  it('builds the HNSW index after an ingest even when the build outlasts the statement timeout', async () => {
    const summary = await whileLocked('LOCK TABLE chunks IN ROW EXCLUSIVE MODE', 'CREATE INDEX%hnsw%', ingestFolder);
    expect(summary).toMatchObject({ added: 2 });
    expect(await builtEfConstruction(db, INDEX)).toBe(64);
  });

  it('runs VACUUM (ANALYZE) past the statement timeout', async () => {
    await whileLocked('LOCK TABLE term_stats IN SHARE UPDATE EXCLUSIVE MODE', 'VACUUM%', () => store.lexical.refreshStatistics());
    const r = await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_user_tables WHERE relname = 'term_stats' AND last_vacuum IS NOT NULL");
    expect(Number(r.rows[0]!.n)).toBe(1);
  });

  it('applies migrations while another process holds the migration lock past the statement timeout', async () => {
    expect(await whileLocked('SELECT pg_advisory_xact_lock(724111001)', '%pg_advisory_xact_lock%', () => migrate(db))).toEqual([]);
  });

  it('re-embeds every chunk past the statement timeout', async () => {
    await ingestFolder();
    const n = await whileLocked('SELECT pg_advisory_xact_lock(724111002)', '%pg_advisory_xact_lock%', () => reembed({ db, embeddings: new FakeEmbeddings(32), space }));
    expect(n).toBe(2);
    expect(await builtEfConstruction(db, INDEX)).toBe(64);
  });

  it('an unchanged ingest builds the vector index it finds missing', async () => {
    await ingestFolder();
    await db.query(`DROP INDEX ${INDEX}`);
    const summary = await ingestFolder();
    expect(summary).toMatchObject({ added: 0, changed: 0, unchanged: 2 });
    expect(await builtEfConstruction(db, INDEX)).toBe(64);
  });
});
