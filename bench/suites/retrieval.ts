import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { HybridRetriever, type RetrievalMode } from '../../src/retrieval/hybridRetriever.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { ensureCorpus, sizeLabel, type Corpus } from '../lib/corpus.ts';
import { dropDatabase, explainAnalyze, openPg } from '../lib/databases.ts';
import { TimedEmbeddings, TimeLedger, timedDatabase } from '../lib/instrument.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import type { SuiteResult, Table } from '../lib/report.ts';
import { fmt, mb, ratio, runLoad, summarize, type LatencySummary } from '../lib/stats.ts';

const MODES: RetrievalMode[] = ['hybrid', 'bm25', 'vector', 'seed'];
const CONCURRENCY = [1, 8];
/** Channels search the 'default' collection; 'scoped' (10% of rows) is for the recall suite. */
const SCOPE = ['default'];

interface Measured extends LatencySummary {
  size: number;
  mode: RetrievalMode;
  concurrency: number;
  qps: number;
  errors: number;
}

export async function runRetrievalSuite(o: { sizes: number[]; keep: boolean; queries: number; log?: (s: string) => void }): Promise<SuiteResult> {
  const log = o.log ?? ((s: string) => console.log(s));
  const questions = await inDomainQuestions();
  const local = new LocalEmbeddings(await loadGloveTable(cacheDir));
  const measured: Measured[] = [];
  const corpora: Corpus[] = [];
  const breakdowns: Record<string, Array<{ label: string; msPerQuery: number; calls: number }>> = {};
  const appendix: Array<{ title: string; text: string }> = [];
  const tables: Table[] = [];
  try {
    for (const size of o.sizes) {
      const corpus = await ensureCorpus(size, log);
      corpora.push(corpus);
      const db = openPg(corpus.url, 10);
      try {
        const store = new KnowledgeStore(db);
        const retriever = (mode: RetrievalMode) => new HybridRetriever({ store, embeddings: local, dimension: local.dimension, collections: SCOPE, mode, k: 6 });
        for (const mode of MODES) {
          // Warm-up: one pass (a few questions for seed, whose every query scans the table).
          const r = retriever(mode);
          for (const q of mode === 'seed' ? questions.slice(0, 3) : questions) await r.retrieve(q);
        }
        for (const concurrency of CONCURRENCY) {
          for (const mode of MODES) {
            const r = retriever(mode);
            const seed = mode === 'seed';
            const run = await runLoad((i) => r.retrieve(questions[i % questions.length]!), {
              total: o.queries,
              concurrency,
              budgetMs: seed ? 45_000 : 90_000,
              minCalls: seed ? 2 * concurrency + 8 : 40,
            });
            if (run.errors) log(`  ${mode} c=${concurrency}: ${run.errors} errors, first: ${run.firstError}`);
            const m = { size, mode, concurrency, ...summarize(run.latencies), qps: run.latencies.length / (run.wallMs / 1000), errors: run.errors };
            measured.push(m);
            log(`  ${sizeLabel(size)} ${mode} c=${concurrency}: p50 ${fmt(m.p50)} p95 ${fmt(m.p95)} p99 ${fmt(m.p99)} ms (n=${m.n})`);
          }
        }
        // Where a hybrid query spends its time, and the plans of its costliest statements.
        const ledger = new TimeLedger();
        const tdb = timedDatabase(db, ledger);
        const timedRetriever = new HybridRetriever({ store: new KnowledgeStore(tdb), embeddings: new TimedEmbeddings(local, ledger), dimension: local.dimension, collections: SCOPE, mode: 'hybrid', k: 6 });
        for (const q of questions) await timedRetriever.retrieve(q);
        breakdowns[sizeLabel(size)] = ledger.sorted().map((e) => ({ label: e.label, msPerQuery: e.ms / questions.length, calls: e.calls }));
        const seedLedger = new TimeLedger();
        await new KnowledgeStore(timedDatabase(db, seedLedger)).tsRank(questions[0]!, SCOPE, 40);
        for (const [label, call] of [...[...ledger.slowest].filter(([l]) => l.startsWith('sql:')).sort((a, b) => ledger.entries.get(b[0])!.ms - ledger.entries.get(a[0])!.ms).slice(0, 3), ...seedLedger.slowest]) {
          appendix.push({ title: `${sizeLabel(size)}: EXPLAIN (ANALYZE, BUFFERS) of ${label.replace(/^sql: /, '')} (slowest call, ${fmt(call.ms)} ms when timed)`, text: await explainAnalyze(db, call.sql, call.params ?? []) });
        }
        tables.push(latencyTable(size, corpus, measured.filter((m) => m.size === size)));
        tables.push({
          title: `${sizeLabel(size)}: where a hybrid query spends its time (mean per query over the ${questions.length} questions, concurrency 1)`,
          columns: ['step', 'ms per query', 'calls'],
          rows: breakdowns[sizeLabel(size)]!.map((e) => [e.label, fmt(e.msPerQuery), String(e.calls)]),
        });
      } finally {
        await db.close();
      }
    }
    tables.unshift(buildTable(corpora));
    const extrapolation = extrapolate(measured, corpora);
    if (extrapolation) tables.push(extrapolation);
    tables.push(goalsTable(measured));
    return { name: 'retrieval', tables, data: { measured, corpora: corpora.map((c) => ({ name: c.name, reused: c.reused, build: c.build })), breakdowns }, appendix };
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

function buildTable(corpora: Corpus[]): Table {
  const size = (c: Corpus, rel: string) => c.build.sizes.filter((s) => s.relation === rel).reduce((n, s) => n + s.bytes, 0);
  const hnsw = (c: Corpus) => c.build.sizes.filter((s) => s.relation.startsWith('chunks_embedding_hnsw')).reduce((n, s) => n + s.bytes, 0);
  return {
    title: 'Generated corpora: build time and sizes (KnowledgeStore.writeDocuments, then createVectorIndex, then VACUUM ANALYZE)',
    columns: ['corpus', 'chunks', 'pages', "'scoped' share", 'load s', 'chunks/s', 'HNSW build s', 'chunks heap+TOAST', 'chunk_terms heap', 'chunk_terms indexes', 'HNSW index'],
    rows: corpora.map((c) => [
      c.name + (c.reused ? ' (kept from an earlier run)' : ''),
      String(c.build.chunks),
      String(c.build.documents),
      `${fmt((100 * c.build.scopedChunks) / c.build.chunks, 1)}%`,
      fmt(c.build.loadMs / 1000, 0),
      fmt(c.build.chunks / (c.build.loadMs / 1000), 0),
      fmt(c.build.indexMs / 1000, 1),
      mb(size(c, 'chunks') + size(c, 'chunks (TOAST)')),
      mb(size(c, 'chunk_terms')),
      mb(size(c, 'chunk_terms_pkey') + size(c, 'chunk_terms_chunk_idx')),
      mb(hnsw(c)),
    ]),
    notes: [
      `load = generating the text, embedding it locally and writing it through the project's store (pipelined); the real manual (${corpora[0]?.build.manualChunks ?? '?'} chunks) is part of every corpus`,
      `HNSW built with maintenance_work_mem = ${corpora[0]?.build.maintenanceWorkMem ?? '?'} set on the bench database (the server default of 64MB cannot hold the graph beyond ~50k chunks)`,
    ],
  };
}

/** Power-law fit p95 = a·N^b through the two largest measured sizes, projected to 1M. */
function extrapolate(measured: Measured[], corpora: Corpus[]): Table | undefined {
  const sizes = [...new Set(measured.map((m) => m.size))].sort((a, b) => a - b);
  if (sizes.length < 2 || sizes.includes(1_000_000)) return undefined;
  const [n1, n2] = sizes.slice(-2) as [number, number];
  const target = 1_000_000;
  const rows = MODES.map((mode) => {
    const at = (n: number) => measured.find((m) => m.size === n && m.mode === mode && m.concurrency === 1)!;
    const b = Math.log(at(n2).p95 / at(n1).p95) / Math.log(n2 / n1);
    return [mode, fmt(at(n1).p95), fmt(at(n2).p95), fmt(b, 2), fmt(at(n2).p95 * (target / n2) ** b)];
  });
  const big = corpora.find((c) => c.build.size === n2)!;
  const loadPerChunk = big.build.loadMs / big.build.chunks;
  return {
    title: `EXTRAPOLATED to 1M chunks (not measured): p95 at concurrency 1, power law through ${sizeLabel(n1)} and ${sizeLabel(n2)}`,
    columns: ['mode', `p95 ms at ${sizeLabel(n1)}`, `p95 ms at ${sizeLabel(n2)}`, 'exponent', 'projected p95 ms at 1M'],
    rows,
    notes: [`projected 1M build: load ≈ ${fmt((loadPerChunk * target) / 60000, 0)} min (linear in chunks from ${sizeLabel(n2)}), plus the HNSW build (≥ ${fmt(((big.build.indexMs / big.build.chunks) * target) / 60000, 0)} min, growing faster than linearly)`],
  };
}

function goalsTable(measured: Measured[]): Table {
  const find = (size: number, mode: RetrievalMode) => measured.find((m) => m.size === size && m.mode === mode && m.concurrency === 1);
  const rows: string[][] = [];
  const h100 = find(100_000, 'hybrid');
  const s100 = find(100_000, 'seed');
  const h1m = find(1_000_000, 'hybrid');
  if (h100) rows.push(['hybrid p95 ≤ 15 ms at 100k (c=1)', `${fmt(h100.p95)} ms`, h100.p95 <= 15 ? 'met' : 'MISSED']);
  if (h1m) rows.push(['hybrid p95 ≤ 60 ms at 1M (c=1)', `${fmt(h1m.p95)} ms`, h1m.p95 <= 60 ? 'met' : 'MISSED']);
  else rows.push(['hybrid p95 ≤ 60 ms at 1M (c=1)', 'not measured (see extrapolation)', '–']);
  if (h100 && s100) rows.push(['hybrid ≥ 10× faster than seed at 100k (p95, c=1)', `${fmt(s100.p95 / h100.p95)}×`, s100.p95 / h100.p95 >= 10 ? 'met' : 'MISSED']);
  return { title: 'Retrieval goals', columns: ['goal', 'measured', 'verdict'], rows };
}
