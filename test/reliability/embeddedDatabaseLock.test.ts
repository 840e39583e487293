import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../../src/db/pgliteDatabase.ts';
import { CACHE_DIR, ROOT, waitUntil, writeFolder } from '../support/reliabilityKit.ts';

/**
 * Two processes on one embedded (PGlite) data folder: PGlite takes no lock, and two writers
 * corrupt it. The second `kb` process must stop at once with one line naming the first,
 * and the folder must open fine afterwards.
 */
let work: string;
let dataDir: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-lock-'));
  dataDir = path.join(work, 'data');
});

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

function kb(args: string[]) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'kb.js'), ...args], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KB_DATA_DIR: dataDir, KB_CACHE_DIR: CACHE_DIR },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** The pid of a process that has exited (so certainly not running now). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('one embedded data folder, two processes', () => {
  it('a second kb process exits at once naming the first; the folder opens fine afterwards', async () => {
    const docs = await writeFolder({ 'wal.md': '# WAL\n\nThe write-ahead log records every change before the data files.' });
    // `kb chat` holds the database open while it waits for questions on stdin.
    const first = kb(['chat']);
    await waitUntil(() => first.stdout().includes('Ask a question') || first.child.exitCode !== null, 'kb chat to open the database', 120_000, 50);
    expect(first.stderr()).toBe('');

    const second = kb(['ingest', docs]);
    expect(await second.exited).toBe(1);
    const lines = second.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^error: The embedded database in .*pgdata is in use by another kb process \\(pid ${first.child.pid}, "kb chat", since .+\\): stop it and run this again, or set DATABASE_URL to a PostgreSQL server both can share`),
    );

    first.child.stdin.end();
    expect(await first.exited).toBe(0);
    await expect(fs.stat(path.join(dataDir, 'pgdata.lock'))).rejects.toMatchObject({ code: 'ENOENT' });

    // Opened again: intact, with the sample notes the first process ingested and nothing from the second.
    const db = await PgliteDatabase.open(path.join(dataDir, 'pgdata'));
    try {
      const r = await db.query<{ n: number; wal: number }>("SELECT count(*)::int AS n, count(*) FILTER (WHERE source = 'wal.md')::int AS wal FROM documents");
      expect(r.rows[0]!.n).toBeGreaterThan(0);
      expect(r.rows[0]!.wal).toBe(0);
      expect((await db.query<{ ok: boolean }>("SELECT count(*) = (SELECT sum(chunk_count) FROM documents) AS ok FROM chunks")).rows[0]!.ok).toBe(true);
    } finally {
      await db.close();
      await fs.rm(docs, { recursive: true, force: true });
    }
  }, 300_000);

  it('refuses a folder whose lock names a running process, and leaves the lock alone', async () => {
    const dir = path.join(work, 'held');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const lock = JSON.stringify({ pid: holder.pid, host: os.hostname(), command: 'kb serve', since: '2026-01-01T00:00:00.000Z' });
    await fs.writeFile(`${dir}.lock`, lock);
    try {
      await expect(PgliteDatabase.open(dir)).rejects.toThrow(`is in use by another kb process (pid ${holder.pid}, "kb serve", since 2026-01-01T00:00:00.000Z)`);
      expect(await fs.readFile(`${dir}.lock`, 'utf8')).toBe(lock);
    } finally {
      holder.kill();
    }
  });

  it('takes over the lock of a process that no longer runs, and removes its own on close', async () => {
    const dir = path.join(work, 'stale');
    await fs.writeFile(`${dir}.lock`, JSON.stringify({ pid: await deadPid(), host: os.hostname(), command: 'kb serve', since: '2026-01-01T00:00:00.000Z' }));
    const db = await PgliteDatabase.open(dir);
    expect(JSON.parse(await fs.readFile(`${dir}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    // The same folder cannot be opened twice at once, in one process either.
    await expect(PgliteDatabase.open(dir)).rejects.toThrow(`(pid ${process.pid}`);
    await db.close();
    await expect(fs.stat(`${dir}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
