import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/db/migrate.ts';
import { FeedbackStore } from '../../../src/store/feedbackStore.ts';
import { createServerDatabase, type TestDatabase } from '../../support/databases.ts';
import { CACHE_DIR, ROOT } from '../../support/reliabilityKit.ts';

let database: TestDatabase;
let dataDir: string;

function kb(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'kb.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KB_DATA_DIR: dataDir, KB_CACHE_DIR: CACHE_DIR, DATABASE_URL: database.url! },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  database = await createServerDatabase();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-feedback-'));
  await migrate(database.db);
  const store = new FeedbackStore(database.db);
  const partial = { n: 1, title: 'Partial Indexes', location: 'indexes-partial.html' };
  const vacuum = { n: 1, title: 'Routine Vacuuming', location: 'routine-vacuuming.html' };
  const vote = (v: 'up' | 'down', question: string, citations: (typeof partial)[]) => store.record({ platform: 'slack', vote: v, answerId: `rec-${question}`, question, answer: 'a', citations, user: 'U1', channel: 'C1' });
  await vote('down', 'How do I create a partial index?', [partial]);
  await vote('down', 'partial index on a boolean?', [partial]);
  await vote('up', 'What does VACUUM do?', [vacuum]);
  await database.db.query("UPDATE feedback SET created_at = now() - interval '2 days' WHERE question = 'What does VACUUM do?'");
});

afterAll(async () => {
  await database?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('kb feedback', () => {
  it('lists recent 👎, then counts votes per day and per cited source', async () => {
    const r = await kb(['feedback']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => /partial index/i.test(l) && /slack/.test(l))).toHaveLength(2);
    const today = new Date().toISOString().slice(0, 10);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    expect(r.stdout).toContain(`last 30 days, per day:\n  ${today}  👍    0  👎    2\n  ${twoDaysAgo}  👍    1  👎    0\n`);
    expect(r.stdout).toContain('per cited source:\n  👍    0  👎    2  Partial Indexes (indexes-partial.html)\n  👍    1  👎    0  Routine Vacuuming (routine-vacuuming.html)');
  });

  it('refuses a --days that is not a whole number', async () => {
    const r = await kb(['feedback', '--days', 'soon']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: --days must be a whole number from 1 to 3650');
  });
});
