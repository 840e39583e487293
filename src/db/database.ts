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

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** A database for read-only retrieval (a replica when one is configured). */
  reader(): Queryable;
  close(): Promise<void>;
}
