import pg from 'pg';
import type { Logger } from '../logger.ts';
import { KbError, isConnectionError } from '../errors.ts';
import { vectorSessionSettings, type Database, type Queryable, type QueryResult, type Session } from './database.ts';

export interface PgOptions {
  url: string;
  readUrl?: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs?: number;
  logger: Logger;
  /** hnsw.ef_search (default DEFAULT_EF_SEARCH). */
  efSearch?: number;
  /** ivfflat.probes (default DEFAULT_IVFFLAT_PROBES). */
  probes?: number;
}

const sessionOptions = (settings: Record<string, string>) =>
  Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');

function makePool(url: string, o: PgOptions, role: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: o.poolSize,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 4000,
    idleTimeoutMillis: 30000,
    statement_timeout: o.statementTimeoutMs,
    // The server enforces statement_timeout only while it is reachable; this client-side
    // bound keeps a silent network partition from hanging a query (and an answer) forever.
    query_timeout: o.statementTimeoutMs + 1000,
    application_name: 'kb-bot',
    options: sessionOptions(vectorSessionSettings(o.efSearch, o.probes)),
  });
  // An idle client that loses its connection emits 'error' on the pool; without a
  // listener that would crash the process.
  pool.on('error', (err) => o.logger.warn({ err, role }, 'postgres idle client error'));
  pool.on('connect', (client) => client.on('error', (err) => o.logger.warn({ err, role }, 'postgres client error')));
  return pool;
}

function wrap(err: unknown): never {
  if (isConnectionError(err)) throw new KbError('db/unavailable', undefined, { cause: err });
  throw err;
}

/** One client's statements and scripts (a script has no parameters: the simple query protocol). */
const clientSession = (client: pg.ClientBase): Session => ({
  async query<R>(sql: string, params?: unknown[]) {
    const r = await client.query(sql, params as unknown[]);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  },
  async script(sql: string) {
    await client.query(sql);
  },
});

/**
 * Transactions run at READ COMMITTED whatever the server's default: each statement sees what
 * committed before it started, which the postings' heads rely on (a write's delete of a head
 * sees the head a refresh just committed; postings.ts refreshHeads).
 */
const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';

class PoolQueryable implements Queryable {
  constructor(private readonly pool: pg.Pool) {}
  async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    try {
      const r = await this.pool.query(sql, params as unknown[]);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    } catch (err) {
      wrap(err);
    }
  }
}

export class PgDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly readPool?: pg.Pool;
  private readonly primary: PoolQueryable;
  private readonly replica: PoolQueryable;

  constructor(private readonly o: PgOptions) {
    this.pool = makePool(o.url, o, 'primary');
    this.primary = new PoolQueryable(this.pool);
    this.readPool = o.readUrl ? makePool(o.readUrl, o, 'replica') : undefined;
    this.replica = this.readPool ? new PoolQueryable(this.readPool) : this.primary;
  }

  query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.primary.query<R>(sql, params);
  }

  async script(sql: string): Promise<void> {
    try {
      // No parameters: the simple query protocol, which takes several statements at once.
      await this.pool.query(sql);
    } catch (err) {
      wrap(err);
    }
  }

  reader(): Queryable {
    return this.replica;
  }

  async transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      wrap(err);
    }
    const tx = clientSession(client);
    let broken = false;
    try {
      await client.query(BEGIN);
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      broken = isConnectionError(err);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      return wrap(err);
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  /**
   * Maintenance runs on its own connection with no statement timeout (server side, and no
   * client-side query timeout): an HNSW build or VACUUM of a large table takes minutes, and
   * cancelling it after the batches committed would leave the knowledge base without its index.
   */
  async maintenance<T>(fn: (q: Session) => Promise<T>, opts: { transaction?: boolean } = {}): Promise<T> {
    const client = new pg.Client({
      connectionString: this.o.url,
      connectionTimeoutMillis: this.o.connectTimeoutMs ?? 4000,
      application_name: 'kb-bot-maintenance',
      options: sessionOptions({ ...vectorSessionSettings(this.o.efSearch), statement_timeout: '0' }),
    });
    client.on('error', (err) => this.o.logger.warn({ err }, 'postgres maintenance connection error'));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      wrap(err);
    }
    const q = clientSession(client);
    try {
      if (opts.transaction === false) return await fn(q);
      await client.query(BEGIN);
      const out = await fn(q);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      if (opts.transaction !== false) await client.query('ROLLBACK').catch(() => undefined);
      return wrap(err);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.readPool?.end()]);
  }
}
