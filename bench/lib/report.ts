import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ADMIN_URL } from './databases.ts';

/** One printed table: a title, column names and rows of already formatted cells. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  notes?: string[];
}

export interface SuiteResult {
  name: string;
  tables: Table[];
  /** Raw figures (milliseconds, counts, bytes) for the JSON file. */
  data: Record<string, unknown>;
  /** Long evidence printed after the tables (EXPLAIN output). */
  appendix?: Array<{ title: string; text: string }>;
}

export function renderTable(t: Table): string {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const out = [`### ${t.title}`, '', line(t.columns), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...t.rows.map(line)];
  if (t.notes?.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memory: string;
  node: string;
  postgres: string;
  pgvector: string;
  redis: string;
  loadAverage: number[];
  /** The code measured: HEAD and the files that differ from it (others edit the tree meanwhile). */
  gitHead: string;
  gitModified: string[];
  postgresSettings: Record<string, string>;
  at: string;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    const v = await client.query<{ v: string }>('SELECT version() AS v');
    const ext = await client.query<{ v: string }>("SELECT default_version AS v FROM pg_available_extensions WHERE name = 'vector'");
    const settings = await client.query<{ name: string; setting: string; unit: string | null }>(
      "SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'autovacuum', 'max_parallel_workers_per_gather', 'effective_cache_size', 'jit', 'random_page_cost')",
    );
    const status = run('git', ['-C', path.resolve(import.meta.dirname, '..', '..'), 'status', '--porcelain', '--untracked-files=no']);
    return {
      nproc: Number(run('nproc', [])),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memory: run('free', ['-h']),
      node: process.version,
      postgres: v.rows[0]?.v ?? 'unknown',
      pgvector: ext.rows[0]?.v ?? 'not installed',
      redis: run('redis-server', ['--version']),
      loadAverage: os.loadavg(),
      gitHead: run('git', ['-C', path.resolve(import.meta.dirname, '..', '..'), 'rev-parse', '--short', 'HEAD']),
      gitModified: status === 'unknown' ? [] : status.split('\n').filter(Boolean).map((l) => l.replace(/^\s*\S+\s+/, '')),
      postgresSettings: Object.fromEntries(settings.rows.map((r) => [r.name, r.unit ? `${r.setting} (${r.unit})` : r.setting])),
      at: new Date().toISOString(),
    };
  } finally {
    await client.end();
  }
}

export const resultsDir = path.resolve(import.meta.dirname, '..', 'results');

export async function writeResult(result: SuiteResult, machine: MachineInfo, extra: Record<string, unknown>): Promise<string> {
  await fs.mkdir(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${result.name}.json`);
  const body = { suite: result.name, machine, ...extra, loadAverageAfter: os.loadavg(), tables: result.tables, data: result.data, appendix: result.appendix };
  await fs.writeFile(file, JSON.stringify(body, null, 2) + '\n');
  return file;
}
