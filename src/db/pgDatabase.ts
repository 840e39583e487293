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

/** A statement in pg's callback form (see StatementWatchdog on why not its promise form). */
function sendQuery(client: pg.ClientBase, sql: string, params: unknown[] | undefined, done: (err: Error | undefined, r: pg.QueryResult) => void): void {
  // No parameters: the simple query protocol, which also takes several statements at once (a script).
  if (params === undefined) client.query(sql, done);
  else client.query(sql, params, done);
}

/**
 * The client-side bound on a statement. The server enforces statement_timeout only while it is
 * reachable; this bound (a second more) keeps a silent network partition from hanging a query,
 * and an answer, forever: the statement fails with "Query read timeout" (a connection error,
 * so its client is discarded). One sweep a second over the statements in flight.
 *
 * Statements go through pg's callback form: with its promise form (`client.query(sql, params)`
 * without a callback), and with its query_timeout option, most results outlived their
 * statements long enough for V8's young-generation collector to copy and promote them, which
 * cost a retrieval pauses of 5–10 ms every ~16 queries and a full collection every few hundred
 * (measured by bench/experiments/gcRetention.ts).
 */
class StatementWatchdog {
  private readonly inFlight = new Set<{ deadline: number; fail: (err: Error) => void }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly limitMs: number) {
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  /** Runs `sql` on `client`, failing it once the bound has passed. */
  query(client: pg.ClientBase, sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    return new Promise((resolve, reject) => {
      const entry = { deadline: performance.now() + this.limitMs, fail: reject };
      this.inFlight.add(entry);
      sendQuery(client, sql, params, (err, r) => {
        this.inFlight.delete(entry);
        if (err) reject(err);
        else resolve(r);
      });
    });
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.inFlight) {
      if (entry.deadline > now) continue;
      this.inFlight.delete(entry);
      entry.fail(new Error('Query read timeout'));
    }
  }
}

/** One client's statements and scripts, bounded by `watchdog` (maintenance passes one without a bound). */
const clientSession = (client: pg.ClientBase, watchdog: Pick<StatementWatchdog, 'query'>): Session => ({
  async query<R>(sql: string, params?: unknown[]) {
    const r = await watchdog.query(client, sql, params);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  },
  async script(sql: string) {
    await watchdog.query(client, sql);
  },
});

/** Statements without a bound (maintenance: an index build takes as long as it takes). */
const unbounded: Pick<StatementWatchdog, 'query'> = {
  query: (client, sql, params) => new Promise((resolve, reject) => sendQuery(client, sql, params, (err, r) => (err ? reject(err) : resolve(r)))),
};

/**
 * Transactions run at READ COMMITTED whatever the server's default: each statement sees what
 * committed before it started, which the postings' heads rely on (a write's delete of a head
 * sees the head a refresh just committed; postings.ts refreshHeads).
 */
const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';

/** Statements on a pool's clients, each bounded by the watchdog; a client whose connection failed or timed out is discarded. */
class PoolQueryable implements Queryable {
  constructor(
    private readonly pool: pg.Pool,
    private readonly watchdog: StatementWatchdog,
  ) {}

  async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    const r = await this.run(sql, params);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  }

  /** Several statements at once, no parameters (the simple query protocol). */
  async script(sql: string): Promise<void> {
    await this.run(sql);
  }

  private async run(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      wrap(err);
    }
    let broken = false;
    try {
      return await this.watchdog.query(client, sql, params);
    } catch (err) {
      broken = isConnectionError(err);
      return wrap(err);
    } finally {
      client.release(broken ? true : undefined);
    }
  }
}

export class PgDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly readPool?: pg.Pool;
  private readonly primary: PoolQueryable;
  private readonly replica: PoolQueryable;
  private readonly watchdog: StatementWatchdog;

  constructor(private readonly o: PgOptions) {
    this.watchdog = new StatementWatchdog(o.statementTimeoutMs + 1000);
    this.pool = makePool(o.url, o, 'primary');
    this.primary = new PoolQueryable(this.pool, this.watchdog);
    this.readPool = o.readUrl ? makePool(o.readUrl, o, 'replica') : undefined;
    this.replica = this.readPool ? new PoolQueryable(this.readPool, this.watchdog) : this.primary;
  }

  query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.primary.query<R>(sql, params);
  }

  async script(sql: string): Promise<void> {
    await this.primary.script(sql);
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
    const tx = clientSession(client, this.watchdog);
    let broken = false;
    try {
      await tx.script(BEGIN);
      const out = await fn(tx);
      await tx.script('COMMIT');
      return out;
    } catch (err) {
      broken = isConnectionError(err);
      // Bounded too: a rollback on a connection that has gone silent must not hang the caller,
      // and a client whose rollback failed is discarded rather than handed to the next caller.
      if (!broken)
        await tx.script('ROLLBACK').catch(() => {
          broken = true;
        });
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
    const q = clientSession(client, unbounded);
    try {
      if (opts.transaction === false) return await fn(q);
      await q.script(BEGIN);
      const out = await fn(q);
      await q.script('COMMIT');
      return out;
    } catch (err) {
      if (opts.transaction !== false) await q.script('ROLLBACK').catch(() => undefined);
      return wrap(err);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    // The sweep goes on until the pools have ended: pool.end() waits for statements in flight.
    try {
      await Promise.all([this.pool.end(), this.readPool?.end()]);
    } finally {
      this.watchdog.stop();
    }
  }
}
