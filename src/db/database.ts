/**
 * The storage interface the core owns. Two implementations: server PostgreSQL through
 * `pg` (pgDatabase.ts) and embedded PGlite (pgliteDatabase.ts). Both run the same SQL.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

/** A connection that also runs scripts: several statements, no parameters, sent whole (a migration file). */
export interface Session extends Queryable {
  script(sql: string): Promise<void>;
}

export interface Database extends Session {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T>;
  /** A database for read-only retrieval (a replica when one is configured). */
  reader(): Queryable;
  /**
   * Runs maintenance (index builds, VACUUM, migrations, re-embedding) on a connection without
   * the query statement timeout, in one transaction unless `transaction: false` (VACUUM cannot
   * run in one). Backends with no timeout leave it out; use `runMaintenance`.
   */
  maintenance?<T>(fn: (q: Session) => Promise<T>, opts?: { transaction?: boolean }): Promise<T>;
  close(): Promise<void>;
}

/** `db.maintenance` where the backend has one, else a plain transaction (or the database itself). */
export function runMaintenance<T>(db: Database, fn: (q: Session) => Promise<T>, opts: { transaction?: boolean } = {}): Promise<T> {
  if (db.maintenance) return db.maintenance(fn, opts);
  return opts.transaction === false ? fn(db) : db.transaction(fn);
}

/**
 * Candidates the HNSW graph walk keeps (hnsw.ef_search): with the project's index (m = 16,
 * ef_construction by size, see hnswEfConstruction) 200 gives recall@10 0.960 against exact
 * search at 100k chunks on the dev questions (300: 0.970 at 42% more time per vector query;
 * 150 gave 0.937 in another run, under the 0.95 bar), and 0.997 on the manual alone (BENCHMARKS.md).
 * Filtered searches keep walking (HNSW) or probing (IVFFlat) until they have enough rows
 * (pgvector 0.8 iterative scans, relaxed order). VectorSearch.vector sets ef_search and
 * ivfflat.probes again on each query; these are the connections' defaults.
 */
export const DEFAULT_EF_SEARCH = 200;
/**
 * IVFFlat lists probed per query (ivfflat.probes). At 100k chunks (100 lists) 80 gives recall@10
 * 0.997 on the dev questions, the guide's 10 only 0.745 and 40 about 0.90 (BENCHMARKS.md,
 * vector index choice); a table of under 80,000 chunks has fewer lists, all of them probed.
 */
export const DEFAULT_IVFFLAT_PROBES = 80;

/** The session settings every connection runs vector queries with (the planner costs IVFFlat scans by the session's probes). */
export const vectorSessionSettings = (efSearch = DEFAULT_EF_SEARCH, probes = DEFAULT_IVFFLAT_PROBES): Record<string, string> => ({
  'hnsw.iterative_scan': 'relaxed_order',
  'ivfflat.iterative_scan': 'relaxed_order',
  'hnsw.ef_search': String(Math.trunc(efSearch)),
  'ivfflat.probes': String(Math.trunc(probes)),
});
