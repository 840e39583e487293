import type { PgDatabase } from '../../src/db/pgDatabase.ts';
import { explainAnalyze } from './databases.ts';
import { timed } from './stats.ts';

/**
 * PROPOSED schema change, tried on a bench corpus only (never on migrations): postings
 * stored in term order. chunk_terms rows are written chunk by chunk, so the rows of one
 * term sit in as many heap pages as it has postings, and BM25 reads one page per
 * posting. A covering index keyed by (term, collection) that INCLUDEs the other columns
 * lets the same query run as an index-only scan over contiguous index pages.
 */
export const PROPOSED_INDEX = 'bench_proposed_chunk_terms_postings';

export async function createPostingsIndex(db: PgDatabase): Promise<{ ms: number; bytes: number; ddl: string }> {
  const cols = await db.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'chunk_terms' AND column_name NOT IN ('term', 'collection') ORDER BY ordinal_position",
  );
  const include = cols.rows.map((c) => c.column_name);
  if (include.some((c) => !/^[a-z_]+$/.test(c))) throw new Error(`unexpected column names in chunk_terms: ${include.join(', ')}`);
  const ddl = `CREATE INDEX ${PROPOSED_INDEX} ON chunk_terms (term, collection) INCLUDE (${include.join(', ')})`;
  const t = await timed(() => db.query(ddl));
  // Index-only scans need the visibility map set; autovacuum does this after inserts too.
  await db.query('VACUUM (ANALYZE) chunk_terms');
  const size = await db.query<{ b: string }>(`SELECT pg_relation_size('${PROPOSED_INDEX}') AS b`);
  return { ms: t.ms, bytes: Number(size.rows[0]?.b ?? 0), ddl };
}

export async function dropPostingsIndex(db: PgDatabase): Promise<void> {
  await db.query(`DROP INDEX IF EXISTS ${PROPOSED_INDEX}`);
}

export async function explainWithPostingsIndex(db: PgDatabase, call: { sql: string; params?: unknown[] }): Promise<string> {
  return explainAnalyze(db, call.sql, call.params ?? []);
}
