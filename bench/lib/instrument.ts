import { Embeddings, type EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Database, Queryable, QueryResult } from '../../src/db/database.ts';

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

/** A short, stable label for a SQL statement: its first words, whitespace collapsed. */
export function statementLabel(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  const target = /^(INSERT INTO \w+|UPDATE \w+|DELETE FROM \w+|CREATE INDEX( IF NOT EXISTS)? \w+|SELECT .{0,40})/i.exec(flat)?.[0] ?? flat.slice(0, 50);
  return target;
}

function timedQueryable(inner: Queryable, ledger: TimeLedger): Queryable {
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
export function timedDatabase(inner: Database, ledger: TimeLedger): Database {
  const q = timedQueryable(inner, ledger);
  return {
    kind: inner.kind,
    query: (sql, params) => q.query(sql, params),
    reader: () => timedQueryable(inner.reader(), ledger),
    transaction: (fn) => inner.transaction((tx) => fn(timedQueryable(tx, ledger))),
    close: () => inner.close(),
  };
}

/** Wraps an embedding model so the time spent embedding is booked too. */
export class TimedEmbeddings extends Embeddings {
  constructor(
    private readonly inner: EmbeddingsInterface,
    private readonly ledger: TimeLedger,
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
