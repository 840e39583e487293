/**
 * EXPERIMENT on a kept bench corpus (not part of `npm run bench`):
 * `node bin/tsx.js bench/experiments/statementTimes.ts 100k [hybrid|bm25|vector]`
 *
 * Runs the 40 dev questions through HybridRetriever once to capture every statement it
 * sends, then EXPLAIN (ANALYZE, TIMING OFF, SUMMARY) of each, twice (the second pass is
 * reported): server-side planning and execution time per statement, without the client,
 * the network or the other statements of the query competing for the two cores.
 */
import { PgDatabase } from '../../src/db/pgDatabase.ts';
import type { Database, Queryable } from '../../src/db/database.ts';
import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { HybridRetriever, type RetrievalMode } from '../../src/retrieval/hybridRetriever.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { parseSize, sizeLabel } from '../lib/corpus.ts';
import { databaseUrl, silentLogger } from '../lib/databases.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import { fmt } from '../lib/stats.ts';

const size = parseSize(process.argv[2] ?? '100k');
const mode = (process.argv[3] ?? 'hybrid') as RetrievalMode;
const db = new PgDatabase({ url: databaseUrl(`bench_corpus_${sizeLabel(size)}`), poolSize: 1, statementTimeoutMs: 600_000, logger: silentLogger });
const calls: { sql: string; params: unknown[] }[] = [];
const recording: Queryable = { query: (sql, params) => (calls.push({ sql, params: params ?? [] }), db.query(sql, params)) };
const spy: Database = { ...recording, kind: 'postgres', reader: () => recording, transaction: (fn) => db.transaction(fn), close: () => db.close() } as Database;
const local = new LocalEmbeddings(await loadGloveTable(cacheDir));
const questions = await inDomainQuestions();
const retriever = new HybridRetriever({ store: new KnowledgeStore(spy), embeddings: local, dimension: local.dimension, collections: ['default'], mode, k: 6 });
try {
  for (const q of questions) await retriever.retrieve(q);
  const totals = new Map<string, { plan: number; exec: number; n: number }>();
  for (let pass = 0; pass < 2; pass++) {
    for (const c of calls) {
      const r = await db.query<{ 'QUERY PLAN': Array<{ 'Planning Time': number; 'Execution Time': number }> }>(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY, FORMAT JSON) ${c.sql}`, c.params);
      if (!pass) continue;
      const plan = r.rows[0]!['QUERY PLAN'][0]!;
      const label = c.sql.replace(/\s+/g, ' ').trim().slice(0, 60);
      const t = totals.get(label) ?? { plan: 0, exec: 0, n: 0 };
      totals.set(label, { plan: t.plan + plan['Planning Time'], exec: t.exec + plan['Execution Time'], n: t.n + 1 });
    }
  }
  console.log(`| statement (${sizeLabel(size)}, ${mode}) | calls | planning ms (mean) | execution ms (mean) |\n|---|---:|---:|---:|`);
  for (const [label, t] of totals) console.log(`| \`${label}…\` | ${t.n} | ${fmt(t.plan / t.n)} | ${fmt(t.exec / t.n)} |`);
} finally {
  await db.close();
}
