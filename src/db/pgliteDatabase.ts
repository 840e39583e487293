import fs from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Database, Queryable, QueryResult } from './database.ts';

/** Embedded PostgreSQL (WASM) with pgvector, persisted in a local folder; or in memory for tests. */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;

  private constructor(private readonly db: PGlite) {}

  static async open(dir: string | undefined): Promise<PgliteDatabase> {
    if (dir) await fs.mkdir(dir, { recursive: true });
    const db = await PGlite.create({ dataDir: dir, extensions: { vector } });
    await db.exec('SET hnsw.iterative_scan = relaxed_order; SET hnsw.ef_search = 100;');
    return new PgliteDatabase(db);
  }

  async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    const r = await this.db.query<R>(sql, params);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  }

  reader(): Queryable {
    return this;
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) =>
      fn({
        async query<R>(sql: string, params?: unknown[]) {
          const r = await t.query<R>(sql, params);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
      }),
    );
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
