import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { PgDatabase } from '../../src/db/pgDatabase.ts';
import { PgliteDatabase } from '../../src/db/pgliteDatabase.ts';
import type { Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';

export const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const silentLogger = createLogger({ level: 'silent' });

export interface TestDatabase {
  db: Database;
  url?: string;
  drop(): Promise<void>;
}

/** A fresh database on the machine's PostgreSQL server, dropped afterwards. */
export async function createServerDatabase(): Promise<TestDatabase> {
  const name = `kb_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const db = new PgDatabase({ url, poolSize: 4, statementTimeoutMs: 10000, logger: silentLogger });
  return {
    db,
    url,
    async drop() {
      await db.close().catch(() => undefined);
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export async function createPgliteDatabase(): Promise<TestDatabase> {
  const db = await PgliteDatabase.open(undefined);
  return { db, drop: () => db.close() };
}

export const backends: Array<[string, () => Promise<TestDatabase>]> = [
  ['PGlite', createPgliteDatabase],
  ['PostgreSQL server', createServerDatabase],
];
