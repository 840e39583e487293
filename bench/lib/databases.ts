import pg from 'pg';
import type { Database, Queryable, QueryResult, Session } from '../../src/db/database.ts';
import { PgDatabase } from '../../src/db/pgDatabase.ts';
import { createLogger } from '../../src/logger.ts';

export const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const silentLogger = createLogger({ level: 'silent' });

/** Benchmarks only ever create, reuse and drop databases named bench_*. */
function checkedName(name: string): string {
  if (!/^bench_[a-z0-9_]{1,50}$/.test(name)) throw new Error(`refusing to touch database ${name}: bench databases are named bench_[a-z0-9_]+`);
  return name;
}

export const databaseUrl = (name: string) => `postgres://postgres@127.0.0.1:5432/${checkedName(name)}`;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Drops (if present) and creates an empty database; `settings` are stored on the database. */
export async function recreateDatabase(name: string, settings: Record<string, string> = {}): Promise<string> {
  const n = checkedName(name);
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${n}`);
    for (const [k, v] of Object.entries(settings)) {
      if (!/^[a-z_.]+$/.test(k)) throw new Error(`bad setting name ${k}`);
      await c.query(`ALTER DATABASE ${n} SET ${k} = ${pg.escapeLiteral(v)}`);
    }
  });
  return databaseUrl(n);
}

export async function databaseExists(name: string): Promise<boolean> {
  const n = checkedName(name);
  return admin(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [n])).rowCount === 1);
}

export async function dropDatabase(name: string): Promise<void> {
  const n = checkedName(name);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`));
}

export function openPg(url: string, poolSize = 10, statementTimeoutMs = 600_000): PgDatabase {
  return new PgDatabase({ url, poolSize, statementTimeoutMs, logger: silentLogger });
}

/**
 * A Database over one dedicated connection, so session settings (hnsw.ef_search,
 * enable_indexscan, hnsw.iterative_scan) apply to the project's own queries.
 */
export class SessionDatabase implements Database {
  readonly kind = 'postgres' as const;
  private constructor(readonly client: pg.Client) {}

  static async connect(url: string): Promise<SessionDatabase> {
    const client = new pg.Client({ connectionString: url, application_name: 'kb-bench' });
    await client.connect();
    return new SessionDatabase(client);
  }

  async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    const r = await this.client.query(sql, params as unknown[]);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  }

  async script(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  reader(): Queryable {
    return this;
  }

  async transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      const out = await fn(this);
      await this.client.query('COMMIT');
      return out;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

export interface RelationSize {
  relation: string;
  bytes: number;
}

/** Heap and index sizes of the knowledge-base relations (pg_relation_size each). */
export async function relationSizes(db: Queryable): Promise<RelationSize[]> {
  const r = await db.query<{ relation: string; bytes: string }>(
    `SELECT c.relname AS relation, pg_relation_size(c.oid)::bigint AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')
        AND c.relname IN ('chunks', 'chunk_terms', 'term_stats', 'documents', 'chunks_pkey', 'chunk_terms_pkey', 'chunk_terms_impact_idx', 'chunk_terms_chunk_idx', 'chunks_collection_idx', 'chunks_document_idx', 'term_stats_pkey')
         OR (n.nspname = 'public' AND c.relname LIKE 'chunks_embedding_%')
      ORDER BY bytes DESC`,
  );
  const toast = await db.query<{ bytes: string }>("SELECT coalesce(pg_relation_size(reltoastrelid), 0)::bigint AS bytes FROM pg_class WHERE relname = 'chunks' AND relkind = 'r'");
  const rows = r.rows.map((x) => ({ relation: x.relation, bytes: Number(x.bytes) }));
  if (toast.rows[0]) rows.push({ relation: 'chunks (TOAST)', bytes: Number(toast.rows[0].bytes) });
  const heads = await db.query<{ bytes: string | null }>("SELECT pg_total_relation_size(to_regclass('term_heads'))::bigint AS bytes");
  if (heads.rows[0]?.bytes != null) rows.push({ relation: 'term_heads (with TOAST)', bytes: Number(heads.rows[0].bytes) });
  return rows;
}

/** EXPLAIN (ANALYZE, BUFFERS) text of one statement. */
export async function explainAnalyze(db: Queryable, sql: string, params: unknown[]): Promise<string> {
  const r = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
  return r.rows.map((x) => x['QUERY PLAN']).join('\n');
}
