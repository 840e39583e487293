import { Embeddings, type EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Database, Queryable, QueryResult, Session } from '../../src/db/database.ts';

/** Where time goes: milliseconds and call counts per label. */
export class TimeLedger {
  readonly entries = new Map<string, { ms: number; calls: number }>();
  /** The slowest call of each SQL label, kept so it can be replayed under EXPLAIN. */
  readonly slowest = new Map<string, { sql: string; params?: unknown[]; ms: number }>();

  add(label: string, ms: number, call?: { sql: string; params?: unknown[] }): void {
    const e = this.entries.get(label) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    this.entries.set(label, e);
    if (call && ms > (this.slowest.get(label)?.ms ?? -1)) this.slowest.set(label, { ...call, ms });
  }

  sorted(): Array<{ label: string; ms: number; calls: number }> {
    return [...this.entries].map(([label, e]) => ({ label, ...e })).sort((a, b) => b.ms - a.ms);
  }
}

/**
 * A short, stable label for a SQL statement: its first words, whitespace collapsed. A
 * WITH query is labelled by its first CTE's name and its final SELECT, so two CTE queries
 * do not share a label.
 */
export function statementLabel(sql: string): string {
  let flat = sql.replace(/\s+/g, ' ').trim();
  if (/^WITH /i.test(flat)) {
    const first = /^WITH (\w+)/i.exec(flat)?.[1] ?? '';
    const last = flat.toUpperCase().lastIndexOf(') SELECT ');
    if (last > 0) flat = `WITH ${first} … ${flat.slice(last + 2)}`;
  }
  return /^(INSERT INTO \w+|UPDATE \w+|DELETE FROM \w+|CREATE INDEX( IF NOT EXISTS)? \w+|(WITH \w* … )?SELECT .{0,40})/i.exec(flat)?.[0] ?? flat.slice(0, 50);
}

/** Anything that books time: a TimeLedger, or a switch that forwards to the current one. */
export interface Booker {
  add(label: string, ms: number, call?: { sql: string; params?: unknown[] }): void;
}

function timedQueryable(inner: Queryable, ledger: Booker): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
      const t0 = performance.now();
      try {
        return await inner.query<R>(sql, params);
      } finally {
        ledger.add(`sql: ${statementLabel(sql)}`, performance.now() - t0, { sql, params });
      }
    },
  };
}

/** Wraps a Database so every statement's time is booked under its label. */
export function timedDatabase(inner: Database, ledger: Booker): Database {
  const q = timedQueryable(inner, ledger);
  return {
    kind: inner.kind,
    query: (sql, params) => q.query(sql, params),
    reader: () => timedQueryable(inner.reader(), ledger),
    script: (sql) => inner.script(sql),
    transaction: (fn) => inner.transaction((tx) => fn({ ...timedQueryable(tx, ledger), script: (sql: string) => tx.script(sql) } satisfies Session)),
    close: () => inner.close(),
  };
}

/** Wraps an embedding model so the time spent embedding is booked too. */
export class TimedEmbeddings extends Embeddings {
  constructor(
    private readonly inner: EmbeddingsInterface,
    private readonly ledger: Booker,
  ) {
    super({});
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const t0 = performance.now();
    try {
      return await this.inner.embedDocuments(texts);
    } finally {
      this.ledger.add('embed: embedDocuments', performance.now() - t0);
    }
  }

  async embedQuery(text: string): Promise<number[]> {
    const t0 = performance.now();
    try {
      return await this.inner.embedQuery(text);
    } finally {
      this.ledger.add('embed: embedQuery', performance.now() - t0);
    }
  }
}

/**
 * Wraps a Database so that write statements whose label is in `labels` run under
 * EXPLAIN (ANALYZE, BUFFERS): they still execute (ANALYZE runs them), and the plan of
 * the slowest execution per label is kept. Statements with RETURNING run normally,
 * since their rows are needed.
 */
export function explainingDatabase(inner: Database, labels: Set<string>, plans: Map<string, { ms: number; plan: string }>): Database {
  const wrap = (q: Queryable): Queryable => ({
    async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
      const label = `sql: ${statementLabel(sql)}`;
      if (!labels.has(label) || /\bRETURNING\b/i.test(sql) || /^\s*SELECT/i.test(sql)) return q.query<R>(sql, params);
      const r = await q.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      const plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
      const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? 0);
      if (ms >= (plans.get(label)?.ms ?? -1)) plans.set(label, { ms, plan });
      return { rows: [], rowCount: 0 };
    },
  });
  const q = wrap(inner);
  return {
    kind: inner.kind,
    query: (sql, params) => q.query(sql, params),
    script: (sql) => inner.script(sql),
    reader: () => wrap(inner.reader()),
    transaction: (fn) => inner.transaction((tx) => fn({ ...wrap(tx), script: (sql: string) => tx.script(sql) })),
    close: () => inner.close(),
  };
}
