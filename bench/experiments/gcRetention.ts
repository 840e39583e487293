/**
 * EXPERIMENT (not part of `npm run bench`): `node bin/tsx.js bench/experiments/gcRetention.ts [statements]`
 *
 * What node-postgres' ways of running a statement leave for V8's young-generation collector.
 * Each variant runs in its own process and reads, statement after statement, five text values
 * of 38 kB each (what a BM25 query's packed postings weigh): pg's promise form
 * (`client.query(sql, params)`), the same with the pool's `query_timeout` set, its callback
 * form, and PgDatabase (src/db/pgDatabase.ts). Reports the scavenges during the loop, their
 * pauses (long when results survive: copied, then promoted) and the full collections that follow.
 */
import { execFileSync } from 'node:child_process';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import pg from 'pg';
import { PgDatabase } from '../../src/db/pgDatabase.ts';
import { ADMIN_URL, silentLogger } from '../lib/databases.ts';
import { fmt } from '../lib/stats.ts';

const VARIANTS = ['promise', 'promise + query_timeout', 'callback', 'PgDatabase'] as const;
type Variant = (typeof VARIANTS)[number];
const SQL = 'SELECT repeat(md5((i + $1::int)::text), 1200) AS v FROM generate_series(1, 5) i';

async function measure(variant: Variant, statements: number): Promise<string> {
  const pool = new pg.Pool({ connectionString: ADMIN_URL, max: 4, ...(variant === 'promise + query_timeout' ? { query_timeout: 60_000 } : {}) });
  const db = new PgDatabase({ url: ADMIN_URL, poolSize: 4, statementTimeoutMs: 60_000, logger: silentLogger });
  const run = async (i: number): Promise<unknown> => {
    if (variant === 'PgDatabase') return db.query(SQL, [i]);
    const client = await pool.connect();
    try {
      if (variant === 'callback') return await new Promise((resolve, reject) => client.query(SQL, [i], (err, r) => (err ? reject(err) : resolve(r))));
      return await client.query(SQL, [i]);
    } finally {
      client.release();
    }
  };
  for (let i = 0; i < 200; i++) await run(i);
  const pauses: number[] = [];
  let major = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) pauses.push(e.duration);
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < statements; i++) await run(i);
  await new Promise((r) => setTimeout(r, 100));
  observer.disconnect();
  await Promise.all([pool.end(), db.close()]);
  const total = pauses.reduce((a, b) => a + b, 0);
  return `| ${variant} | ${pauses.length} | ${fmt(total)} | ${fmt(Math.max(0, ...pauses))} | ${major} |`;
}

const [variant, count] = [process.argv[2], Number(process.argv[3] ?? 3000)];
if (VARIANTS.includes(variant as Variant)) {
  console.log(await measure(variant as Variant, count));
} else {
  const statements = Number(variant ?? 3000);
  console.log(`| ${statements} statements of 5 × 38 kB | scavenges | their pauses, ms | longest, ms | full collections |\n|---|---:|---:|---:|---:|`);
  for (const v of VARIANTS) process.stdout.write(execFileSync(process.execPath, ['bin/tsx.js', 'bench/experiments/gcRetention.ts', v, String(statements)], { encoding: 'utf8' }));
}
