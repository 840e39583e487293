import type { PgDatabase } from '../../src/db/pgDatabase.ts';
import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { HybridRetriever } from '../../src/retrieval/hybridRetriever.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { seedRecipe, tsRank, type BenchMode } from '../seedRecipe.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { ensureCorpus, sizeLabel, type Corpus } from '../lib/corpus.ts';
import { dropDatabase, explainAnalyze, openPg } from '../lib/databases.ts';
import { TimedEmbeddings, TimeLedger, timedDatabase } from '../lib/instrument.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import type { SuiteResult, Table } from '../lib/report.ts';
import { fmt, ratio, runLoad, summarize } from '../lib/stats.ts';
import { buildTable, extrapolate, goalsTable, type Measured } from './retrievalReport.ts';

/** Channels search the 'default' collection; 'scoped' (10% of rows) is for the recall suite. */
const SCOPE = ['default'];

interface Context {
  db: PgDatabase;
  local: LocalEmbeddings;
  questions: string[];
  queries: number;
  log: (s: string) => void;
}

const K = 6;
const retrieverFor = (c: Context, store: KnowledgeStore, mode: BenchMode) =>
  new HybridRetriever({ store, embeddings: c.local, dimension: c.local.dimension, collections: SCOPE, k: K, ...(mode === 'seed' ? { lexical: seedRecipe.lexical(c.db, store), settings: seedRecipe.settings(K) } : { mode }) });

async function measureMode(c: Context, size: number, mode: BenchMode, concurrency: number, total = c.queries): Promise<Measured> {
  const r = retrieverFor(c, new KnowledgeStore(c.db), mode);
  const seed = mode === 'seed';
  const run = await runLoad((i) => r.retrieve(c.questions[i % c.questions.length]!), { total, concurrency, budgetMs: seed ? 45_000 : 90_000, minCalls: seed ? 2 * concurrency + 3 : Math.min(total, 40) });
  if (run.errors) c.log(`  ${mode} c=${concurrency}: ${run.errors} errors, first: ${run.firstError}`);
  const m = { size, mode, concurrency, ...summarize(run.latencies), qps: run.latencies.length / (run.wallMs / 1000), errors: run.errors };
  c.log(`  ${sizeLabel(size)} ${mode} c=${concurrency}: p50 ${fmt(m.p50)} p95 ${fmt(m.p95)} p99 ${fmt(m.p99)} ms (n=${m.n})`);
  return m;
}

/**
 * The seed recipe scans the whole chunks table. PostgreSQL reads such a scan through a small
 * ring of buffers, so shared_buffers keep the other modes' pages, but the scan passes the
 * whole table through the OS page cache and, on a corpus larger than that cache, evicts
 * their index pages. So seed is warmed up first and measured after every other mode.
 */
async function warmUp(c: Context, modes: BenchMode[]): Promise<void> {
  const store = new KnowledgeStore(c.db);
  for (const mode of [...modes.filter((m) => m === 'seed'), ...modes.filter((m) => m !== 'seed')]) {
    const r = retrieverFor(c, store, mode);
    for (const q of mode === 'seed' ? c.questions.slice(0, 3) : c.questions) await r.retrieve(q);
  }
}

/** Per-statement time of a hybrid query over the questions, and EXPLAIN of the costliest ones (and of seed's ts_rank query). */
async function breakdown(c: Context, size: number): Promise<{ table: Table; ledger: TimeLedger; appendix: Array<{ title: string; text: string }> }> {
  const ledger = new TimeLedger();
  const r = new HybridRetriever({ store: new KnowledgeStore(timedDatabase(c.db, ledger)), embeddings: new TimedEmbeddings(c.local, ledger), dimension: c.local.dimension, collections: SCOPE, mode: 'hybrid', k: 6 });
  for (const q of c.questions) await r.retrieve(q);
  const seedLedger = new TimeLedger();
  await tsRank(timedDatabase(c.db, seedLedger), c.questions[0]!, SCOPE, 40);
  const costliest = [...ledger.slowest].sort((a, b) => ledger.entries.get(b[0])!.ms - ledger.entries.get(a[0])!.ms).slice(0, 3);
  const appendix: Array<{ title: string; text: string }> = [];
  for (const [label, call] of [...costliest, ...seedLedger.slowest]) {
    appendix.push({ title: `${sizeLabel(size)}: EXPLAIN (ANALYZE, BUFFERS) of ${label.replace(/^sql: /, '')} (slowest call, ${fmt(call.ms)} ms when timed)`, text: await explainAnalyze(c.db, call.sql, call.params ?? []) });
  }
  const table: Table = {
    title: `${sizeLabel(size)}: where a hybrid query spends its time (mean per query over the ${c.questions.length} questions, concurrency 1)`,
    columns: ['step', 'ms per query', 'calls'],
    rows: ledger.sorted().map((e) => [e.label, fmt(e.ms / c.questions.length), String(e.calls)]),
  };
  return { table, ledger, appendix };
}

export async function runRetrievalSuite(o: { sizes: number[]; keep: boolean; queries: number; concurrency: number[]; modes: BenchMode[]; earlier?: { file: string; measured: Measured[] }; log?: (s: string) => void }): Promise<SuiteResult> {
  const log = o.log ?? ((s: string) => console.log(s));
  const questions = await inDomainQuestions();
  const local = new LocalEmbeddings(await loadGloveTable(cacheDir));
  const measured: Measured[] = [];
  const corpora: Corpus[] = [];
  const appendix: Array<{ title: string; text: string }> = [];
  const perSize: Table[] = [];
  const data: Record<string, unknown> = {};
  try {
    for (const size of o.sizes) {
      const corpus = await ensureCorpus(size, log);
      corpora.push(corpus);
      const db = openPg(corpus.url, 10);
      const c: Context = { db, local, questions, queries: o.queries, log };
      try {
        await warmUp(c, o.modes);
        const runs = o.concurrency.flatMap((concurrency) => o.modes.map((mode) => ({ mode, concurrency })));
        for (const { mode, concurrency } of [...runs.filter((r) => r.mode !== 'seed'), ...runs.filter((r) => r.mode === 'seed')]) measured.push(await measureMode(c, size, mode, concurrency));
        const b = await breakdown(c, size);
        perSize.push(latencyTable(size, corpus, measured.filter((m) => m.size === size)), b.table);
        appendix.push(...b.appendix);
        data[sizeLabel(size)] = { breakdown: b.ledger.sorted() };
      } finally {
        await db.close();
      }
    }
    const tables = [buildTable(corpora), ...perSize];
    const extrapolation = extrapolate(measured, corpora, o.earlier);
    if (extrapolation) tables.push(extrapolation);
    tables.push(goalsTable(measured));
    return { name: 'retrieval', tables, data: { measured, corpora: corpora.map((c) => ({ name: c.name, reused: c.reused, build: c.build })), ...data }, appendix };
  } finally {
    if (!o.keep) for (const c of corpora) await dropDatabase(c.name);
  }
}

function latencyTable(size: number, corpus: Corpus, rows: Measured[]): Table {
  const seedP95 = (c: number) => rows.find((r) => r.mode === 'seed' && r.concurrency === c)?.p95 ?? NaN;
  return {
    title: `Retrieval latency at ${sizeLabel(size)} chunks (${corpus.build.chunks} in corpus, server PostgreSQL; HybridRetriever.retrieve end to end, k=6, scope 'default')`,
    columns: ['mode', 'concurrency', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'queries/s', 'p95 vs seed'],
    rows: rows.map((r) => [r.mode, String(r.concurrency), String(r.n), fmt(r.p50), fmt(r.p95), fmt(r.p99), fmt(r.qps, 1), r.mode === 'seed' ? 'baseline' : `${ratio(seedP95(r.concurrency), r.p95)} faster`]),
    notes: ['seed = the common recipe: plainto_tsquery/ts_rank over to_tsvector(content) computed at query time, fused with the same vector search by RRF', 'seed runs are capped at 45 s of wall time each, so they have fewer samples'],
  };
}
