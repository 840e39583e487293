import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import type { Database, Session } from '../../src/db/database.ts';

/** A database whose server has no pgvector: CREATE EXTENSION fails as PostgreSQL does. */
function serverWithoutPgvector(): Database & { committed: boolean } {
  const tx: Session = {
    async query() {
      return { rows: [], rowCount: 0 };
    },
    async script(sql: string) {
      if (/CREATE EXTENSION/i.test(sql)) {
        throw Object.assign(new Error('extension "vector" is not available'), { code: '0A000' });
      }
    },
  };
  return {
    kind: 'postgres',
    committed: false,
    query: tx.query,
    script: tx.script,
    reader: () => tx,
    async transaction(fn) {
      const out = await fn(tx);
      this.committed = true;
      return out;
    },
    close: async () => undefined,
  };
}

describe('migrations', () => {
  it('explain a server without pgvector in one line and commit nothing', async () => {
    const db = serverWithoutPgvector();
    await expect(migrate(db)).rejects.toMatchObject({ code: 'db/no_pgvector', message: expect.stringMatching(/run scripts\/install-pgvector\.sh/) });
    expect(db.committed).toBe(false);
  });
});
