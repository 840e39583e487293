import type { Database, Queryable, QueryResult, Session } from '../../src/db/database.ts';

/**
 * A Database that delegates to a real one but lets a test stop a transaction between two
 * of its statements (the transaction stays open on the server), do something to the
 * server, and let it go on. Used to kill a backend in the middle of an ingest batch.
 */
export class PausingDatabase implements Database {
  readonly kind;
  private transactions = 0;
  /** Called before every statement inside a transaction; may wait. */
  beforeStatement?: (transaction: number, statement: number, sql: string) => Promise<void>;

  constructor(private readonly inner: Database) {
    this.kind = inner.kind;
  }

  query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.inner.query<R>(sql, params);
  }

  script(sql: string): Promise<void> {
    return this.inner.script(sql);
  }

  reader(): Queryable {
    return this.inner.reader();
  }

  transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    const n = ++this.transactions;
    let statements = 0;
    return this.inner.transaction((tx) =>
      fn({
        query: async <R>(sql: string, params?: unknown[]) => {
          await this.beforeStatement?.(n, ++statements, sql);
          return tx.query<R>(sql, params);
        },
        script: async (sql: string) => {
          await this.beforeStatement?.(n, ++statements, sql);
          return tx.script(sql);
        },
      }),
    );
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A latch: `wait()` blocks until `open()`; `reached` resolves when someone first waits. */
export function latch(): { wait(): Promise<void>; open(): void; reached: Promise<void> } {
  let open!: () => void;
  let signal!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (signal = r));
  return {
    reached,
    open,
    wait() {
      signal();
      return gate;
    },
  };
}
