import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { page, TestSite } from '../support/webSite.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
let dataDir: string;
let work: string;

function kb(args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'kb.js'), ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KB_DATA_DIR: dataDir, KB_CACHE_DIR: path.join(root, '.kb-data'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
  });
}

describe('kb CLI', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-cli-'));
    dataDir = path.join(work, 'data');
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('answers with numbered citations on first use, with no servers or keys', async () => {
    const r = await kb(['ask', 'How do I create a partial index?']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[1\]/);
    expect(r.stdout).toMatch(/Sources:\n {2}\[1\] .+\n {6}indexes\.md#partial-indexes/);
  });

  it('prints exactly one JSON object for ask --json', async () => {
    const r = await kb(['ask', '--json', 'What does VACUUM do?']);
    const a = JSON.parse(r.stdout);
    expect(a).toMatchObject({ refused: false });
    expect(a.citations.length).toBeGreaterThan(0);
  });

  it('gives one clear line and a non-zero exit for an empty or huge question', async () => {
    const empty = await kb(['ask', '   ']);
    expect(empty.code).toBe(1);
    expect(empty.stderr.trim().split('\n')).toEqual(['error: Please ask a question, e.g. "How do I create a partial index?"']);
    const huge = await kb(['ask', 'why '.repeat(25_000)]);
    expect(huge.code).toBe(1);
    expect(huge.stderr.trim()).toMatch(/^error: That question is 99,999 characters long; please keep it under 2,000\.$/);
  });

  it('refuses a --collection name outside [A-Za-z0-9_.-] in one line, as configuration does', async () => {
    for (const args of [['ask', '--collection', "docs'; DROP TABLE chunks; --", 'What does VACUUM do?'], ['chat', '--collection', 'ok,../etc'], ['eval', '--questions', 'q.jsonl', '--collection', 'a b']]) {
      const r = await kb(args, {}, '');
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: --collection "[^"]+" is not a collection name: use letters, digits, "\.", "_" or "-" \(at most 64 characters\)\n$/);
    }
  });

  it('writes no control characters from a document to the terminal in kb ask and kb chat', async () => {
    const folder = path.join(work, 'hostile');
    await fs.mkdir(folder, { recursive: true });
    const hostile = '# Checkpoint tuning \x1b]0;owned\x07\n\n## Spreading checkpoint writes\n\nRaise checkpoint_completion_target to spread checkpoint writes over the interval. \x1b[2J \x1b[31m \x9b6n \u202e \x08 Raise max_wal_size so checkpoints happen less often.\n';
    await fs.writeFile(path.join(folder, 'checkpoints.md'), hostile);
    expect((await kb(['ingest', folder, '--collection', 'hostile'])).code).toBe(0);
    const question = 'How do I spread checkpoint writes over the interval?';
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;
    const ask = await kb(['ask', '--collection', 'hostile', '--explain', question]);
    expect(ask.code).toBe(0);
    expect(ask.stdout).toContain('checkpoint_completion_target to spread checkpoint writes over the interval.');
    expect(ask.stdout).not.toMatch(controls);
    const chat = await kb(['chat', '--collection', 'hostile'], {}, `${question}\n`);
    expect(chat.code).toBe(0);
    expect(chat.stdout).toContain('checkpoint_completion_target to spread checkpoint writes');
    expect(chat.stdout).not.toMatch(controls);
  });

  it('refuses an unreadable file and writes nothing', async () => {
    const bad = path.join(work, 'broken.txt');
    await fs.writeFile(bad, Buffer.from([0xc3, 0x28, 0x00]));
    const r = await kb(['ingest', bad, '--collection', 'fresh']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: broken.txt: looks like a binary file, not text');
    const stats = await kb(['eval', '--questions', await questionsFile([{ question: 'anything?', sources: [] }]), '--collection', 'fresh', '--json']);
    expect(JSON.parse(stats.stdout).refusal_rate).toBe(1);
  });

  it('skips files whose size and mtime are unchanged unless --rehash is given', async () => {
    const folder = path.join(work, 'notes');
    const file = path.join(folder, 'wal.md');
    const old = new Date('2024-01-02T03:04:05Z');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(file, '# WAL\n\nThe write-ahead log records every change.');
    await fs.utimes(file, old, old);
    const first = await kb(['ingest', folder, '--collection', 'notes']);
    expect(first.stdout).toMatch(/^ingested notes: 1 added, 0 changed, 0 unchanged, 0 removed; \d+ chunks \(\d+ embedded\) in [\d.]+s$/m);
    // Same size and mtime: the edit is invisible without reading the file.
    await fs.writeFile(file, '# WAL\n\nThe write-ahead log records every update.');
    await fs.utimes(file, old, old);
    expect((await kb(['ingest', folder, '--collection', 'notes'])).stdout).toMatch(/: 0 added, 0 changed, 1 unchanged, 0 removed; 0 chunks \(0 embedded\)/);
    const rehashed = await kb(['ingest', folder, '--collection', 'notes', '--rehash']);
    expect(rehashed.code).toBe(0);
    expect(rehashed.stdout).toMatch(/0 added, 1 changed, 0 unchanged/);
  });

  it('ingests a web site from a URL: skipped pages on stderr, one summary line, a re-run answered 304 and embedding nothing', async () => {
    const site = await new TestSite({
      '/robots.txt': { status: 404 },
      '/docs/': { html: page('Runbooks', [['start', 'Start', 'Runbooks for the on-call DBA.']], '<p><a href="vacuum.html">vacuum</a> <a href="wal.html">wal</a> <a href="gone.html">gone</a></p>') },
      '/docs/vacuum.html': { html: page('Vacuum', [['freeze', 'Freezing', 'VACUUM FREEZE marks old rows frozen so transaction ids can wrap around safely.']]) },
      '/docs/wal.html': { html: page('WAL', [['archive', 'Archiving', 'archive_command copies each finished WAL segment to the archive.']]) },
    }).start();
    try {
      const url = site.url('/docs/');
      const env = { WEB_DELAY_MS: '0' };
      const first = await kb(['ingest', url, '--collection', 'web', '--allow-private'], env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toBe(`skipped ${site.url('/docs/gone.html')}: answered 404\n`);
      expect(first.stdout).toMatch(/^ingested web: 3 added, 0 changed, 0 unchanged, 0 removed; 3 chunks \(3 embedded\) in [\d.]+s; 1 skipped; 4 pages requested \(0 not modified\)\n$/);
      const again = await kb(['ingest', url, '--collection', 'web', '--allow-private'], env);
      expect(again.stdout).toMatch(/^ingested web: 0 added, 0 changed, 3 unchanged, 0 removed; 0 chunks \(0 embedded\) in [\d.]+s; 1 skipped; 4 pages requested \(3 not modified\)\n$/);

      const refused = await kb(['ingest', url, '--collection', 'web'], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`error: ${url}: 127.0.0.1 is a loopback address: refused (add --allow-private to ingest from a private network)\n`);
      const requests = site.requests.length;
      for (const [args, message] of [
        [['ingest', 'ftp://files.example.com/docs/'], 'error: URL ftp://files.example.com/docs/: only http and https URLs can be ingested'],
        [['ingest', url, '--max-pages', '0'], 'error: --max-pages must be a whole number from 1 to 100000'],
        [['ingest', work, '--sitemap', site.url('/sitemap.xml')], 'error: --sitemap applies to a web site: kb ingest https://docs.example.com/guide/ --sitemap …'],
      ] as const) {
        const r = await kb([...args]);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).toBe(`${message}\n`);
      }
      expect(site.requests.length).toBe(requests);
    } finally {
      await site.close();
    }
  }, 180_000);

  it('reports an unreachable DATABASE_URL in one line, with the cause and without the password', async () => {
    // A silent host ends at the connect timeout instead: test/reliability/postgresOutage.test.ts.
    const r = await kb(['ask', 'what is mvcc?'], { DATABASE_URL: 'postgres://kb:secretpw@127.0.0.1:1/kb' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^error: Cannot reach PostgreSQL at 127\.0\.0\.1:1\/kb \(DATABASE_URL\): .*ECONNREFUSED/);
    expect(r.stderr).not.toContain('secretpw');
  });

  it('prints the eval report as one JSON object with every field', async () => {
    const file = await questionsFile([
      { question: 'How do I create a partial index?', sources: ['indexes.md'] },
      { question: 'Who painted the Mona Lisa?', sources: [] },
    ]);
    const r = await kb(['eval', '--questions', file, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report).sort()).toEqual(['answered_rate', 'hit_at_1', 'hit_at_10', 'hit_at_5', 'latency_ms', 'mode', 'mrr_at_10', 'questions', 'refusal_rate'].sort());
    expect(report).toMatchObject({ mode: 'hybrid', questions: 2, hit_at_5: 1, answered_rate: 1, refusal_rate: 1 });
  });

  it('answers through the same path as kb ask and scores the answers against their facts', async () => {
    const question = 'How do I create a partial index?';
    const file = await questionsFile([
      { question, sources: ['indexes.md'], facts: ['CREATE INDEX[^;]*WHERE'] },
      { question: 'What is the default BRIN range size?', sources: ['indexes.md'], facts: ['no such fact anywhere'] },
      { question: 'Who painted the Mona Lisa?', sources: [] },
    ]);
    const asked = await kb(['ask', '--json', question]);
    const r = await kb(['eval', '--questions', file, '--answers', '--json', '--verbose']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['fact_rate', 'answer_chars', 'answer_latency_ms', 'hit_at_5', 'refusal_rate']));
    expect(report.fact_rate).toBe(0.5);
    expect(report.refusal_rate).toBe(1);
    expect(Object.keys(report.answer_chars).sort()).toEqual(['p50', 'p95']);
    expect(report.answer_latency_ms.p95).toBeGreaterThanOrEqual(report.answer_latency_ms.p50);
    // --verbose prints the answer a user reads: the same text kb ask gives.
    const text: string = JSON.parse(asked.stdout).text;
    expect(r.stderr).toContain(`[FACT] ${question}`);
    expect(r.stderr).toContain(text.split('\n').map((l) => `    ${l}`).join('\n'));
  });

  it('rejects a fact that is not a regular expression, naming the line', async () => {
    const file = await questionsFile([{ question: 'q?', sources: [], facts: ['(unclosed'] }]);
    const r = await kb(['eval', '--questions', file, '--answers']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: .*:1: a fact is not a valid regular expression/);
  });
});

async function questionsFile(lines: object[]): Promise<string> {
  const f = path.join(work, `q-${Math.random().toString(36).slice(2)}.jsonl`);
  await fs.writeFile(f, lines.map((l) => JSON.stringify(l)).join('\n'));
  return f;
}
