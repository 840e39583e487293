import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { HybridRetriever } from '../../src/retrieval/hybridRetriever.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { builtVectorIndex, createVectorIndex, vectorIndexName, vectorPrecision, type VectorIndexOptions, type VectorSearchOptions } from '../../src/store/vectorIndex.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { ensureCorpus, sizeLabel, type Corpus } from '../lib/corpus.ts';
import { dropDatabase, openPg, SessionDatabase } from '../lib/databases.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import type { SuiteResult, Table } from '../lib/report.ts';
import { fmt, mb, runLoad, summarize, timed } from '../lib/stats.ts';
import { overlap, recallQueries, VectorProbe, type Probe } from './recall.ts';

const K = 10;
const DEV = 40;
const SCOPE = ['default'];
/** What the project's connections run vector queries with (vectorSessionSettings). */
const ITERATIVE = { 'hnsw.iterative_scan': 'relaxed_order', 'ivfflat.iterative_scan': 'relaxed_order' };

interface Row {
  index: string;
  build: string;
  search: string;
  buildS: number;
  indexBytes: number;
  recallDev: number;
  recallGenerated: number;
  hybridP50: number;
  hybridP95: number;
  vectorP50: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);

/**
 * HNSW against IVFFlat on one corpus, side by side: each index is built by the project's
 * createVectorIndex (timed, in a transaction as ingest runs it), then searched at several
 * search-time settings (set per query by VectorSearch.vector): recall@10 against exact
 * search, the vector statement's p50, and HybridRetriever.retrieve p50/p95 end to end. The
 * guide's defaults are among the rows: HNSW m 16, ef_construction 64; IVFFlat lists 100,
 * probes 10. The corpus is left with the project's default index.
 */
export async function runVectorIndexSuite(o: { sizes: number[]; keep: boolean; queries: number; efSearch: number[]; probes: number[]; log?: (s: string) => void }): Promise<SuiteResult> {
  const log = o.log ?? ((s: string) => console.log(s));
  const local = new LocalEmbeddings(await loadGloveTable(cacheDir));
  const { texts, vectors } = await recallQueries(local);
  const questions = await inDomainQuestions();
  const tables: Table[] = [];
  const data: Record<string, Row[]> = {};
  const corpora: Corpus[] = [];
  try {
    for (const size of o.sizes) {
      const corpus = await ensureCorpus(size, log);
      corpora.push(corpus);
      const db = openPg(corpus.url, 4, 4 * 3_600_000);
      const session = await SessionDatabase.connect(corpus.url);
      const probe = new VectorProbe(session, local.dimension);
      const precision = vectorPrecision(db.kind);
      const rows: Row[] = [];
      try {
        const exact: Probe[] = [];
        for (const v of vectors) exact.push(await probe.run({ enable_indexscan: 'off' }, v, SCOPE, K));
        const configs: Array<{ index: VectorIndexOptions; label: string; searches: Array<Partial<VectorSearchOptions>> }> = [
          // First the index the corpus was built with (the project's default), then the others.
          { index: { kind: 'hnsw' }, label: 'HNSW (project default)', searches: o.efSearch.map((efSearch) => ({ efSearch })) },
          { index: { kind: 'hnsw', m: 16, efConstruction: 64 }, label: 'HNSW (guide)', searches: o.efSearch.map((efSearch) => ({ efSearch })) },
          { index: { kind: 'ivfflat', lists: 100 }, label: 'IVFFlat (guide; = default lists at 100k)', searches: o.probes.map((probes) => ({ probes })) },
        ];
        for (const config of configs) {
          const built = await timed(() => db.transaction((tx) => createVectorIndex(tx, local.dimension, precision, { index: config.index })));
          const name = vectorIndexName(local.dimension, precision, config.index.kind);
          const params = await builtVectorIndex(db, name);
          const bytes = Number((await db.query<{ b: string }>('SELECT pg_relation_size(to_regclass($1))::bigint AS b', [name])).rows[0]!.b);
          const buildS = built.value ? built.ms / 1000 : corpus.build.indexMs / 1000;
          const buildLabel = params?.kind === 'hnsw' ? `m ${params.m}, ef_construction ${params.efConstruction}` : params?.kind === 'ivfflat' ? `lists ${params.lists}` : '?';
          log(`  ${sizeLabel(size)} ${config.label}: ${buildLabel}, ${built.value ? `built in ${fmt(buildS, 1)} s` : `kept (built with the corpus in ${fmt(buildS, 1)} s)`}, ${mb(bytes)}`);
          // Warm the new index up (its pages were just written; the old index's are gone).
          for (const v of vectors.slice(0, 50)) await probe.run(ITERATIVE, v, SCOPE, K);
          for (const search of config.searches) {
            const settings: Record<string, string> = { ...ITERATIVE, ...(search.efSearch ? { 'hnsw.ef_search': String(search.efSearch) } : {}), ...(search.probes ? { 'ivfflat.probes': String(search.probes) } : {}) };
            const got: Probe[] = [];
            for (const v of vectors) got.push(await probe.run(settings, v, SCOPE, K));
            const recalls = got.map((g, i) => overlap(g, exact[i]!));
            const store = new KnowledgeStore(db, { search: { efSearch: search.efSearch ?? 300, probes: search.probes ?? 10 } });
            const retriever = new HybridRetriever({ store, embeddings: local, dimension: local.dimension, collections: SCOPE, mode: 'hybrid', k: 6 });
            for (const q of questions) await retriever.retrieve(q);
            const run = await runLoad((i) => retriever.retrieve(questions[i % questions.length]!), { total: o.queries, concurrency: 1, budgetMs: 90_000, minCalls: 40 });
            const hybrid = summarize(run.latencies);
            const row: Row = {
              index: config.label,
              build: buildLabel,
              search: search.efSearch ? `ef_search ${search.efSearch}` : `probes ${search.probes}`,
              buildS,
              indexBytes: bytes,
              recallDev: mean(recalls.slice(0, DEV)),
              recallGenerated: mean(recalls.slice(DEV)),
              hybridP50: hybrid.p50,
              hybridP95: hybrid.p95,
              vectorP50: summarize(got.map((g) => g.ms)).p50,
            };
            rows.push(row);
            log(`    ${row.search}: recall@10 dev ${fmt(row.recallDev, 3)}, generated ${fmt(row.recallGenerated, 3)}; vector p50 ${fmt(row.vectorP50)} ms; hybrid p50 ${fmt(row.hybridP50)} p95 ${fmt(row.hybridP95)} ms (n=${hybrid.n})`);
          }
        }
      } finally {
        // A kept corpus is left as ensureCorpus built it.
        if (o.keep) await db.transaction((tx) => createVectorIndex(tx, local.dimension, precision));
        await session.close();
        await db.close();
      }
      data[sizeLabel(size)] = rows;
      tables.push({
        title: `Vector index choice at ${sizeLabel(size)} chunks (server PostgreSQL, ${precision} keys; ${DEV} dev questions and ${texts.length - DEV} generated sentences for recall, ${o.queries} hybrid queries at concurrency 1)`,
        columns: ['index', 'build parameters', 'search', 'build s', 'index size', 'recall@10 dev', 'recall@10 generated', 'vector p50 ms', 'hybrid p50 ms', 'hybrid p95 ms'],
        rows: rows.map((r) => [r.index, r.build, r.search, fmt(r.buildS, 1), mb(r.indexBytes), fmt(r.recallDev, 3), fmt(r.recallGenerated, 3), fmt(r.vectorP50), fmt(r.hybridP50), fmt(r.hybridP95)]),
        notes: [
          "scope 'default' (90% of the rows), k = 10 for recall; exact = the same query with enable_indexscan = off; recall counts ties (a returned row at least as close as the exact 10th counts as found)",
          'build = createVectorIndex in a transaction (maintenance_work_mem 1GB on the corpus database); the project default row reuses the index the corpus was built with and its build time',
          'hybrid = HybridRetriever.retrieve end to end (BM25 with feedback and the vector list of 40 candidates, fused), the dev questions in turn; iterative scans relaxed_order as the project runs them',
        ],
      });
    }
    return { name: 'vectorindex', tables, data: { rows: data, corpora: corpora.map((c) => ({ name: c.name, reused: c.reused, build: c.build })) } };
  } finally {
    if (!o.keep) for (const c of corpora) await dropDatabase(c.name);
  }
}
