import fs from 'node:fs/promises';
import path from 'node:path';
import { KbError } from '../errors.ts';
import { runMaintenance, type Database } from './database.ts';
import { projectDir } from '../projectDir.ts';

const migrationsDir = path.join(projectDir, 'migrations');
const LOCK_KEY = 724_111_001; // advisory lock id shared by every process running migrations

/**
 * Applies the numbered .sql files in migrations/ that have not run yet, all in one
 * transaction under an advisory lock, recording each in schema_migrations.
 */
export async function migrate(db: Database): Promise<string[]> {
  const files = (await fs.readdir(migrationsDir)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  try {
    return await runMaintenance(db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const done = new Set((await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
      const applied: string[] = [];
      for (const file of files) {
        if (done.has(file)) continue;
        const sql = await fs.readFile(path.join(migrationsDir, file), 'utf8');
        // Whole: PostgreSQL parses the file (dollar quotes, semicolons in strings and all).
        await tx.script(sql);
        await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        applied.push(file);
      }
      return applied;
    });
  } catch (err) {
    if (err instanceof KbError) throw err;
    const e = err as { code?: string; message?: string };
    if (/extension "vector"/.test(e.message ?? '') || e.code === '58P01') {
      throw new KbError('db/no_pgvector', undefined, { cause: err });
    }
    throw new KbError('db/migration_failed', `The database schema could not be updated: ${e.message ?? String(err)}`, { cause: err });
  }
}
