import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { ensureCorpus, SCOPED_SHARE, sizeLabel, type Corpus } from '../lib/corpus.ts';
import { dropDatabase, openPg, SessionDatabase } from '../lib/databases.ts';
import { TimeLedger, timedDatabase } from '../lib/instrument.ts';
import { loadManual } from '../lib/manual.ts';
import { ManualTextModel } from '../lib/markov.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import type { SuiteResult, Table } from '../lib/report.ts';
import { fmt, summarize } from '../lib/stats.ts';

const K = 10;
/** What the hybrid retriever asks the vector list for (defaultRetrievalSettings.candidates). */
const CANDIDATES = 40;
const DEV = 40;

type Settings = Record<string, string>;

export interface Probe {
  ids: string[];
  scores: number[];
  ms: number;
}

/** The project's own vector query (VectorSearch.vector) on one session with `settings` applied. */
export class VectorProbe {
  private sql?: { sql: string; params?: unknown[] };
  constructor(
    private readonly session: SessionDatabase,
    private readonly dim: number,
  ) {}

  private async withSettings<T>(settings: Settings, fn: () => Promise<T>): Promise<T> {
    for (const [key, v] of Object.entries(settings)) await this.session.query(`SET ${key} = ${v}`);
    try {
      return await fn();
    } finally {
      for (const key of Object.keys(settings)) await this.session.query(`RESET ${key}`);
    }
  }

  run(settings: Settings, vec: number[], scope: string[], k: number): Promise<Probe> {
    return this.withSettings(settings, async () => {
      const ledger = new TimeLedger();
      const store = new KnowledgeStore(timedDatabase(this.session, ledger));
      const t0 = performance.now();
      // The store sets ef_search and probes on each query; those given here go with the query.
      const search = { ...(settings['hnsw.ef_search'] ? { efSearch: Number(settings['hnsw.ef_search']) } : {}), ...(settings['ivfflat.probes'] ? { probes: Number(settings['ivfflat.probes']) } : {}) };
      const rows = await store.vectors.vector(vec, this.dim, scope, k, { search });
      const ms = performance.now() - t0;
      // The vector statement itself (the store may first look up the scope's size).
      this.sql = [...ledger.slowest.values()].find((c) => /embedding/.test(c.sql));
      return { ids: rows.map((r) => r.id), scores: rows.map((r) => r.score), ms };
    });
  }

  /** Whether the last vector statement turned the iterative scan off itself (VectorSearch: one walk over a scope of most rows). */
  get setsOneWalk(): boolean {
    return /set_config\('hnsw\.iterative_scan', 'off'/.test(this.sql?.sql ?? '');
  }

  /** Which plan the last query shape gets under these settings (EXPLAIN of the exact SQL the store sent). */
  async plan(settings: Settings, vec: number[], scope: string[], k: number): Promise<string> {
    await this.run(settings, vec, scope, k);
    const call = this.sql!;
    const text = await this.withSettings(settings, async () => (await this.session.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${call.sql}`, call.params)).rows.map((r) => r['QUERY PLAN']).join('\n'));
    if (/Index Scan using chunks_embedding_hnsw/.test(text)) return 'HNSW index scan';
    if (/Index Scan using chunks_embedding_ivfflat/.test(text)) return 'IVFFlat index scan';
    if (/Bitmap Heap Scan|Index Scan using chunks_collection_idx/.test(text)) return 'collection index + sort (exact)';
    if (/Seq Scan/.test(text)) return 'seq scan + sort (exact)';
    return text.split('\n')[0] ?? 'unknown';
  }
}

/**
 * Share of the exact top-k found, counting ties: a returned row whose cosine is at least
 * the exact k-th best is as good as any row of the exact list.
 */
export const overlap = (got: Probe, exact: Probe) => {
  if (!exact.ids.length) return 1;
  const kth = exact.scores[exact.scores.length - 1]!;
  return Math.min(1, got.ids.filter((id, i) => exact.ids.includes(id) || got.scores[i]! >= kth - 1e-6).length / exact.ids.length);
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);

interface Row {
  scope: string;
  k: number;
  efSearch: number;
  iterative: string;
  plan: string;
  recallDev: number;
  recallGenerated: number;
  returned: number[];
  p50: number;
  exactP50: number;
}

/** The 40 dev questions, then 160 sentences generated from the manual's bigram model. */
export async function recallQueries(local: LocalEmbeddings): Promise<{ texts: string[]; vectors: number[][] }> {
  const model = new ManualTextModel((await loadManual()).docs, 7);
  const texts = [...(await inDomainQuestions()).slice(0, DEV), ...Array.from({ length: 160 }, () => model.sentence(20))];
  return { texts, vectors: texts.map((t) => local.embedSync(t)) };
}

export async function runRecallSuite(o: { sizes: number[]; keep: boolean; efSearch: number[]; log?: (s: string) => void }): Promise<SuiteResult> {
  const log = o.log ?? ((s: string) => console.log(s));
  const local = new LocalEmbeddings(await loadGloveTable(cacheDir));
  const { texts, vectors } = await recallQueries(local);
  const tables: Table[] = [];
  const data: Record<string, Row[]> = {};
  const settingsBySize: Record<string, { efSearch: number; iterative: string }> = {};
  const corpora: Corpus[] = [];
  try {
    for (const size of o.sizes) {
      const corpus = await ensureCorpus(size, log);
      corpora.push(corpus);
      // What the project's own connections run with (PgDatabase sets these per connection).
      const projectDb = openPg(corpus.url, 1);
      const show = async (name: string) => Object.values((await projectDb.query<Record<string, string>>(`SHOW ${name}`)).rows[0] ?? {})[0] ?? '?';
      const project = { efSearch: Number(await show('hnsw.ef_search')), iterative: await show('hnsw.iterative_scan') };
      await projectDb.close();
      const session = await SessionDatabase.connect(corpus.url);
      const probe = new VectorProbe(session, local.dimension);
      const rows: Row[] = [];
      const measure = async (scope: string, k: number, settings: Settings, exact: Probe[], label: { iterative: string; forced?: boolean }) => {
        const got: Probe[] = [];
        for (const v of vectors) got.push(await probe.run(settings, v, [scope], k));
        const recalls = got.map((g, i) => overlap(g, exact[i]!));
        rows.push({
          scope: `'${scope}'${label.forced ? ', HNSW forced' : ''}`,
          k,
          efSearch: Number(settings['hnsw.ef_search']),
          iterative: probe.setsOneWalk ? 'off (the statement sets it)' : label.iterative,
          plan: await probe.plan(settings, vectors[0]!, [scope], k),
          recallDev: mean(recalls.slice(0, DEV)),
          recallGenerated: mean(recalls.slice(DEV)),
          returned: got.map((g) => g.ids.length),
          p50: summarize(got.map((g) => g.ms)).p50,
          exactP50: summarize(exact.map((g) => g.ms)).p50,
        });
      };
      try {
        for (const k of [K, CANDIDATES]) {
          const exactOf = async (scope: string) => {
            const out: Probe[] = [];
            for (const v of vectors) out.push(await probe.run({ enable_indexscan: 'off' }, v, [scope], k));
            return out;
          };
          // The channel scope 'default' (90% of rows), as retrieval runs it, at several ef_search.
          const exactDefault = await exactOf('default');
          for (const ef of o.efSearch) {
            await measure('default', k, { 'hnsw.ef_search': String(ef), 'hnsw.iterative_scan': project.iterative }, exactDefault, { iterative: project.iterative });
            if (ef === project.efSearch) rows[rows.length - 1]!.scope += ' ◀ project';
          }
          // Filtered: 'scoped' keeps 10% of rows. Does search still return k? (pgvector 0.8 iterative scans)
          const exactScoped = await exactOf('scoped');
          const filtered: Array<[string, number]> = [['off', o.efSearch[0]!], ...o.efSearch.map((ef): [string, number] => ['relaxed_order', ef]), ['strict_order', o.efSearch[0]!]];
          for (const [iterative, ef] of filtered) {
            const settings: Settings = { 'hnsw.ef_search': String(ef), 'hnsw.iterative_scan': iterative };
            await measure('scoped', k, settings, exactScoped, { iterative });
            if (ef === project.efSearch && iterative === project.iterative) rows[rows.length - 1]!.scope += ' ◀ project';
            // If the planner chose an exact plan, force the index so its filtering is what is measured.
            if (rows[rows.length - 1]!.plan !== 'HNSW index scan') await measure('scoped', k, { ...settings, enable_seqscan: 'off', enable_bitmapscan: 'off', enable_sort: 'off' }, exactScoped, { iterative, forced: true });
          }
        }
      } finally {
        await session.close();
      }
      data[sizeLabel(size)] = rows;
      settingsBySize[sizeLabel(size)] = project;
      tables.push({
        title: `HNSW recall against exact search at ${sizeLabel(size)} chunks (VectorSearch.vector; ${DEV} dev questions and ${texts.length - DEV} generated sentences as queries)`,
        columns: ['scope', 'k', 'ef_search', 'iterative scan', 'plan', 'recall@k dev', 'recall@k generated', 'mean returned', 'min returned', 'queries returning k', 'p50 ms', 'exact p50 ms'],
        rows: rows.map((r) => [
          r.scope,
          String(r.k),
          String(r.efSearch),
          r.iterative,
          r.plan,
          fmt(r.recallDev, 3),
          fmt(r.recallGenerated, 3),
          fmt(mean(r.returned), 1),
          String(Math.min(...r.returned)),
          `${fmt((100 * r.returned.filter((n) => n >= r.k).length) / r.returned.length, 0)}%`,
          fmt(r.p50),
          fmt(r.exactP50),
        ]),
        notes: [
          `'default' holds ${fmt(100 - 100 * SCOPED_SHARE, 0)}% of the rows and 'scoped' ${fmt(100 * SCOPED_SHARE, 0)}%; exact = the same query with enable_indexscan = off`,
          'recall counts ties: a returned row at least as close as the exact k-th row counts as found',
          `◀ project: the settings the project's connections use (PgDatabase: hnsw.ef_search = ${project.efSearch}, hnsw.iterative_scan = ${project.iterative}, which VectorSearch turns off in the statement for an unfiltered scope of at least half the rows); pgvector's defaults are 40 and off; the hybrid retriever asks for ${CANDIDATES} vector candidates`,
          'goal: recall@10 ≥ 0.95 at the chosen ef_search; filtered queries return k',
        ],
      });
    }
    return { name: 'recall', tables, data: { rows: data, projectSettings: settingsBySize } };
  } finally {
    if (!o.keep) for (const c of corpora) await dropDatabase(c.name);
  }
}
