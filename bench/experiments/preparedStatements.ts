/**
 * EXPERIMENT on a kept bench corpus (not part of `npm run bench`):
 * `node bin/tsx.js bench/experiments/preparedStatements.ts 100k [rounds]`
 *
 * Captures the statements a hybrid query sends for the 40 dev questions, then times each
 * statement from the client, sent as an unnamed statement (parsed and planned every time)
 * and as a named prepared statement (parsed once per connection; PostgreSQL may switch to a
 * generic plan after five executions), alternating, on one connection each. Prints p50/p95
 * per statement kind and which plan the prepared statement ended on.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PgDatabase } from '../../src/db/pgDatabase.ts';
import { vectorSessionSettings, type Database, type Queryable } from '../../src/db/database.ts';
import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { HybridRetriever } from '../../src/retrieval/hybridRetriever.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { parseSize, sizeLabel } from '../lib/corpus.ts';
import { databaseUrl, silentLogger } from '../lib/databases.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import { fmt, summarize } from '../lib/stats.ts';

const size = parseSize(process.argv[2] ?? '100k');
const rounds = Number(process.argv[3] ?? 5);
const url = databaseUrl(`bench_corpus_${sizeLabel(size)}`);
const db = new PgDatabase({ url, poolSize: 1, statementTimeoutMs: 600_000, logger: silentLogger });
const calls: { sql: string; params: unknown[] }[] = [];
const recording: Queryable = { query: (sql, params) => (calls.push({ sql, params: params ?? [] }), db.query(sql, params)) };
const spy: Database = { ...recording, kind: 'postgres', reader: () => recording, transaction: (fn) => db.transaction(fn), close: () => db.close() } as Database;
const local = new LocalEmbeddings(await loadGloveTable(cacheDir));
const questions = await inDomainQuestions();
const retriever = new HybridRetriever({ store: new KnowledgeStore(spy), embeddings: local, dimension: local.dimension, collections: ['default'], mode: 'hybrid', k: 6 });
const options = Object.entries(vectorSessionSettings()).map(([k, v]) => `-c ${k}=${v}`).join(' ');
const unnamed = new pg.Client({ connectionString: url, options });
// PLAN_CACHE_MODE=force_custom_plan keeps custom plans for the prepared statements (parse saved, planning not).
const named = new pg.Client({ connectionString: url, options: process.env.PLAN_CACHE_MODE ? `${options} -c plan_cache_mode=${process.env.PLAN_CACHE_MODE}` : options });
try {
  for (const q of questions) await retriever.retrieve(q);
  await Promise.all([unnamed.connect(), named.connect()]);
  const kind = (sql: string) => sql.replace(/\s+/g, ' ').trim().slice(0, 40);
  const times = new Map<string, { unnamed: number[]; named: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const c of calls) {
      const t = times.get(kind(c.sql)) ?? { unnamed: [], named: [] };
      times.set(kind(c.sql), t);
      const name = 'x' + createHash('sha1').update(c.sql).digest('hex').slice(0, 20);
      // Which one runs first alternates: the second finds the first one's pages cached.
      const runs = [
        async () => {
          const s = performance.now();
          await unnamed.query(c.sql, c.params as unknown[]);
          if (round) t.unnamed.push(performance.now() - s);
        },
        async () => {
          const s = performance.now();
          await named.query({ name, text: c.sql, values: c.params as unknown[] });
          if (round) t.named.push(performance.now() - s);
        },
      ];
      if (round % 2) runs.reverse();
      for (const run of runs) await run();
    }
  }
  const plans = await named.query<{ name: string; generic_plans: string; custom_plans: string; statement: string }>('SELECT name, generic_plans, custom_plans, statement FROM pg_prepared_statements');
  console.log(`| statement (${sizeLabel(size)}) | n | unnamed p50 | unnamed p95 | prepared p50 | prepared p95 |\n|---|---:|---:|---:|---:|---:|`);
  for (const [label, t] of times) {
    const [u, n] = [summarize(t.unnamed), summarize(t.named)];
    console.log(`| \`${label}…\` | ${u.n} | ${fmt(u.p50)} | ${fmt(u.p95)} | ${fmt(n.p50)} | ${fmt(n.p95)} |`);
  }
  for (const p of plans.rows) console.log(`${kind(p.statement)}: generic plans ${p.generic_plans}, custom plans ${p.custom_plans}`);
} finally {
  await Promise.all([unnamed.end(), named.end(), db.close()]);
}
