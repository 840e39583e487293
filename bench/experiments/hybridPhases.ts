/**
 * EXPERIMENT on a kept bench corpus (not part of `npm run bench`):
 * `node bin/tsx.js bench/experiments/hybridPhases.ts 100k [rounds]`
 *
 * Hybrid queries at concurrency 1 as the retrieval suite runs them (40 dev questions, k=6), with
 * the time of each statement per query and the buffers each relation read from outside
 * shared_buffers during the measured rounds (pg_statio), to tell CPU from page-cache reads.
 */
import type { Database } from '../../src/db/database.ts';
import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { HybridRetriever } from '../../src/retrieval/hybridRetriever.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { parseSize, sizeLabel } from '../lib/corpus.ts';
import { databaseUrl, openPg } from '../lib/databases.ts';
import { TimeLedger, timedDatabase } from '../lib/instrument.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import { fmt, summarize } from '../lib/stats.ts';

const size = parseSize(process.argv[2] ?? '100k');
const rounds = Number(process.argv[3] ?? 5);
const db = openPg(databaseUrl(`bench_corpus_${sizeLabel(size)}`), 10);
const local = new LocalEmbeddings(await loadGloveTable(cacheDir));
const questions = await inDomainQuestions();
const ledger = new TimeLedger();
const retriever = (d: Database = db) => new HybridRetriever({ store: new KnowledgeStore(d), embeddings: local, dimension: local.dimension, collections: ['default'], mode: 'hybrid', k: 6 });
const statio = async () =>
  new Map(
    (
      await db.query<{ name: string; read: string; hit: string }>(
        `SELECT relname AS name, heap_blks_read + coalesce(idx_blks_read,0) + coalesce(toast_blks_read,0) + coalesce(tidx_blks_read,0) AS read,
                heap_blks_hit + coalesce(idx_blks_hit,0) + coalesce(toast_blks_hit,0) + coalesce(tidx_blks_hit,0) AS hit FROM pg_statio_user_tables
         UNION ALL SELECT indexrelname, idx_blks_read, idx_blks_hit FROM pg_statio_user_indexes`,
      )
    ).rows.map((r) => [r.name, { read: Number(r.read), hit: Number(r.hit) }]),
  );
try {
  const plain = retriever();
  for (const q of questions) await plain.retrieve(q);
  const before = await statio();
  const timed = retriever(timedDatabase(db, ledger));
  const total: number[] = [];
  for (let round = 0; round < rounds; round++)
    for (const q of questions) {
      const t0 = performance.now();
      await timed.retrieve(q);
      total.push(performance.now() - t0);
    }
  await new Promise((r) => setTimeout(r, 600)); // statistics are flushed by the backend at most every 500 ms
  const after = await statio();
  const n = rounds * questions.length;
  const s = summarize(total);
  console.log(`hybrid ${sizeLabel(size)} c=1: p50 ${fmt(s.p50)} p95 ${fmt(s.p95)} ms over ${n}`);
  for (const e of ledger.sorted()) console.log(`  ${fmt(e.ms / n)} ms/query  ${e.calls} calls  ${e.label}`);
  console.log('buffers per query (read from outside shared_buffers / hit):');
  for (const [name, a] of after) {
    const b = before.get(name) ?? { read: 0, hit: 0 };
    const read = (a.read - b.read) / n;
    const hit = (a.hit - b.hit) / n;
    if (read + hit >= 1) console.log(`  ${name}: read ${fmt(read)} hit ${fmt(hit)}`);
  }
} finally {
  await db.close();
}
