import fs from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { lockDataDir, type DataDirLock } from './dataDirLock.ts';
import { vectorSessionSettings, type Database, type Queryable, type QueryResult, type Session } from './database.ts';

/** Embedded PostgreSQL (WASM) with pgvector, persisted in a local folder; or in memory for tests. */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;

  private constructor(
    private readonly db: PGlite,
    private readonly lock?: DataDirLock,
  ) {}

  /** Opens (or creates) the database in `dir`, which no other process may have open (dataDirLock.ts). */
  static async open(dir: string | undefined, o: { efSearch?: number; probes?: number } = {}): Promise<PgliteDatabase> {
    let lock: DataDirLock | undefined;
    if (dir) {
      await fs.mkdir(dir, { recursive: true });
      lock = await lockDataDir(dir);
    }
    try {
      // PGlite's default 128MB of shared buffers lives in the WASM heap of this process; the
      // embedded knowledge bases are small and the OS caches their files anyway.
      const db = await PGlite.create({ dataDir: dir, extensions: { vector }, startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] });
      for (const [name, value] of Object.entries(vectorSessionSettings(o.efSearch, o.probes))) await db.query('SELECT set_config($1, $2, false)', [name, value]);
      return new PgliteDatabase(db, lock);
    } catch (err) {
      await lock?.release();
      throw err;
    }
  }

  async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    const r = await this.db.query<R>(sql, params);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  }

  async script(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  reader(): Queryable {
    return this;
  }

  transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) =>
      fn({
        async query<R>(sql: string, params?: unknown[]) {
          const r = await t.query<R>(sql, params);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
        async script(sql: string) {
          await t.exec(sql);
        },
      }),
    );
  }

  async close(): Promise<void> {
    try {
      if (!this.db.closed) await this.db.close();
    } finally {
      await this.lock?.release();
    }
  }
}
