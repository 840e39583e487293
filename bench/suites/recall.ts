import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { KnowledgeStore, toVectorLiteral } from '../../src/store/knowledgeStore.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { ensureCorpus, SCOPED_SHARE, sizeLabel, type Corpus } from '../lib/corpus.ts';
import { dropDatabase, SessionDatabase } from '../lib/databases.ts';
import { loadManual } from '../lib/manual.ts';
import { ManualTextModel } from '../lib/markov.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import type { SuiteResult, Table } from '../lib/report.ts';
import { fmt, summarize } from '../lib/stats.ts';

const K = 10;
/** What the hybrid retriever asks the vector list for (defaultRetrievalSettings.candidates). */
const CANDIDATES = 40;

interface Probe {
  ids: string[];
  ms: number;
}

/** Runs the project's own vector query (KnowledgeStore.vector) on a session with `settings` applied. */
async function probe(session: SessionDatabase, store: KnowledgeStore, settings: Record<string, string>, vec: number[], dim: number, scope: string[], k: number): Promise<Probe> {
  for (const [key, v] of Object.entries(settings)) await session.query(`SET ${key} = ${v}`);
  try {
    const t0 = performance.now();
    const rows = await store.vector(vec, dim, scope, k);
    return { ids: rows.map((r) => r.id), ms: performance.now() - t0 };
  } finally {
    for (const key of Object.keys(settings)) await session.query(`RESET ${key}`);
  }
}

/** Which plan node the project's vector query uses under these settings. */
async function planOf(session: SessionDatabase, settings: Record<string, string>, vec: number[], dim: number, scope: string[], k: number): Promise<string> {
  for (const [key, v] of Object.entries(settings)) await session.query(`SET ${key} = ${v}`);
  try {
    const sql = `EXPLAIN SELECT id FROM chunks WHERE collection = ANY($2::text[]) ORDER BY embedding::vector(${dim}) <=> $1::vector(${dim}), id LIMIT $3`;
    const plan = (await session.query<{ 'QUERY PLAN': string }>(sql, [toVectorLiteral(vec), scope, k])).rows.map((r) => r['QUERY PLAN']).join('\n');
    if (/Index Scan using chunks_embedding_hnsw/.test(plan)) return 'HNSW index scan';
    if (/Bitmap Heap Scan|Index Scan using chunks_collection_idx/.test(plan)) return 'collection index + sort (exact)';
    if (/Seq Scan/.test(plan)) return 'seq scan + sort (exact)';
    return plan.split('\n')[0] ?? 'unknown';
  } finally {
    for (const key of Object.keys(settings)) await session.query(`RESET ${key}`);
  }
}

const overlap = (a: string[], exact: string[]) => (exact.length ? a.filter((id) => exact.includes(id)).length / exact.length : 1);

export async function runRecallSuite(o: { sizes: number[]; keep: boolean; efSearch: number[]; log?: (s: string) => void }): Promise<SuiteResult> {
  const log = o.log ?? ((s: string) => console.log(s));
  const local = new LocalEmbeddings(await loadGloveTable(cacheDir));
  const dim = local.dimension;
  // Queries: the 40 dev questions, plus 160 sentences generated from the manual's bigram model.
  const model = new ManualTextModel((await loadManual()).docs, 7);
  const texts = [...(await inDomainQuestions()), ...Array.from({ length: 160 }, () => model.sentence(20))];
  const vectors = texts.map((t) => local.embedSync(t));
  const tables: Table[] = [];
  const data: Record<string, unknown> = {};
  const corpora: Corpus[] = [];
  try {
    for (const size of o.sizes) {
      const corpus = await ensureCorpus(size, log);
      corpora.push(corpus);
      const session = await SessionDatabase.connect(corpus.url);
      const store = new KnowledgeStore(session);
      try {
        const exactSettings = { enable_indexscan: 'off' };
        const rows: string[][] = [];
        const sizeData: Record<string, unknown> = {};
        // Unfiltered-ish: the channel scope 'default' (90% of rows), as retrieval runs it.
        for (const k of [K, CANDIDATES]) {
          const exact: Probe[] = [];
          for (const v of vectors) exact.push(await probe(session, store, exactSettings, v, dim, ['default'], k));
          for (const ef of o.efSearch) {
            const got: Probe[] = [];
            for (const v of vectors) got.push(await probe(session, store, { 'hnsw.ef_search': String(ef) }, v, dim, ['default'], k));
            const recall = got.reduce((s, g, i) => s + overlap(g.ids, exact[i]!.ids), 0) / got.length;
            const returned = got.map((g) => g.ids.length);
            const plan = await planOf(session, { 'hnsw.ef_search': String(ef) }, vectors[0]!, dim, ['default'], k);
            rows.push([`'default' (${fmt(100 - 100 * SCOPED_SHARE, 0)}% of rows)`, String(k), String(ef), 'off', plan, fmt(recall, 3), fmt(returned.reduce((a, b) => a + b, 0) / returned.length, 1), String(Math.min(...returned)), `${fmt((100 * returned.filter((n) => n >= k).length) / returned.length, 0)}%`, fmt(summarize(got.map((g) => g.ms)).p50), fmt(summarize(exact.map((g) => g.ms)).p50)]);
            sizeData[`default_k${k}_ef${ef}`] = { recall, returned, latency: summarize(got.map((g) => g.ms)), exactLatency: summarize(exact.map((g) => g.ms)) };
          }
        }
        // Filtered: the 'scoped' collection keeps 10% of rows; does search still return k?
        for (const k of [K, CANDIDATES]) {
          const exact: Probe[] = [];
          for (const v of vectors) exact.push(await probe(session, store, exactSettings, v, dim, ['scoped'], k));
          for (const iterative of ['off', 'relaxed_order', 'strict_order']) {
            let unforcedPlan = '';
            for (const force of [false, true]) {
              const settings: Record<string, string> = { 'hnsw.ef_search': String(o.efSearch[0]), 'hnsw.iterative_scan': iterative };
              // Forcing: with bitmap and plain-index scans on the collection index off, only HNSW remains.
              if (force) Object.assign(settings, { enable_bitmapscan: 'off', enable_seqscan: 'off' });
              const plan = await planOf(session, settings, vectors[0]!, dim, ['scoped'], k);
              if (!force) unforcedPlan = plan;
              // Forcing only adds a row when the planner chose something else and HNSW is what remains.
              if (force && (plan !== 'HNSW index scan' || unforcedPlan === plan)) continue;
              const got: Probe[] = [];
              for (const v of vectors) got.push(await probe(session, store, settings, v, dim, ['scoped'], k));
              const recall = got.reduce((s, g, i) => s + overlap(g.ids, exact[i]!.ids), 0) / got.length;
              const returned = got.map((g) => g.ids.length);
              rows.push([`'scoped' (${fmt(100 * SCOPED_SHARE, 0)}% of rows)${force ? ', HNSW forced' : ''}`, String(k), String(o.efSearch[0]), iterative, plan, fmt(recall, 3), fmt(returned.reduce((a, b) => a + b, 0) / returned.length, 1), String(Math.min(...returned)), `${fmt((100 * returned.filter((n) => n >= k).length) / returned.length, 0)}%`, fmt(summarize(got.map((g) => g.ms)).p50), fmt(summarize(exact.map((g) => g.ms)).p50)]);
              sizeData[`scoped_k${k}_${iterative}${force ? '_forced' : ''}`] = { recall, returned, plan, latency: summarize(got.map((g) => g.ms)) };
            }
          }
        }
        data[sizeLabel(size)] = sizeData;
        tables.push({
          title: `HNSW recall against exact search at ${sizeLabel(size)} chunks (${texts.length} queries: 40 dev questions + 160 generated sentences; KnowledgeStore.vector)`,
          columns: ['scope', 'k', 'ef_search', 'iterative scan', 'plan', `recall@k`, 'mean returned', 'min returned', 'queries returning k', 'p50 ms', 'exact p50 ms'],
          rows,
          notes: [
            'exact = the same query with enable_indexscan = off (sequential scan and sort over the scope)',
            `ef_search ${o.efSearch[0]} is pgvector's default and what the project runs with; the retriever asks for ${CANDIDATES} vector candidates`,
            '"HNSW forced" rows turn off the other plans so the index, and its iterative scan, is what answers',
          ],
        });
      } finally {
        await session.close();
      }
    }
    return { name: 'recall', tables, data };
  } finally {
    if (!o.keep) for (const c of corpora) await dropDatabase(c.name);
  }
}
