import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PgDatabase } from '../../src/db/pgDatabase.ts';
import { migrate } from '../../src/db/migrate.ts';
import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { embeddingText } from '../../src/ingest/ingest.ts';
import type { LoadedDocument } from '../../src/ingest/sourceFiles.ts';
import { ensureEmbeddingSpace } from '../../src/store/vectorIndex.ts';
import { createVectorIndex, vectorPrecision } from '../../src/store/vectorIndex.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { LexicalIndex } from '../../src/store/lexicalIndex.ts';
import type { NewDocument } from '../../src/store/documents.ts';
import { cacheDir, repoRoot } from './benchConfig.ts';
import { databaseExists, databaseUrl, openPg, recreateDatabase, relationSizes, type RelationSize } from './databases.ts';
import { loadManual } from './manual.ts';
import { ManualTextModel } from './markov.ts';
import { timed } from './stats.ts';

/** Bump when generation changes, so a kept corpus from an older generator is rebuilt. */
export const GENERATOR_VERSION = 'markov1-v1';
export const SCOPED_SHARE = 0.1;
const BATCH_DOCUMENTS = 64;

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`bad size ${s}: use e.g. 10k, 100k, 1m`);
  return Math.round(Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1));
}

export const sizeLabel = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));

/**
 * The schema and the write path the corpus was built with: a kept corpus is rebuilt when
 * the migrations or the store's write code change (read queries may change freely: they do
 * not alter what is stored).
 */
export async function sourceFingerprint(): Promise<string> {
  const h = createHash('sha256');
  const migrations = path.join(repoRoot, 'migrations');
  for (const f of (await fs.readdir(migrations)).sort()) h.update(f).update(await fs.readFile(path.join(migrations, f)));
  // The write path (documentWrites.ts), the postings and impacts it writes (postings.ts) and
  // how the vector index is built (vectorIndex.ts).
  for (const f of ['documentWrites.ts', 'postings.ts', 'vectorIndex.ts']) h.update(await fs.readFile(path.join(repoRoot, 'src', 'store', f)));
  return h.digest('hex').slice(0, 16);
}

export interface CorpusBuild {
  size: number;
  fingerprint: string;
  chunks: number;
  documents: number;
  scopedChunks: number;
  manualChunks: number;
  embeddingModel: string;
  dimension: number;
  /** Generating + embedding + DocumentStore.writeDocuments (pipelined), ms. */
  loadMs: number;
  /** Writing the terms' heads (LexicalIndex.refreshHeads); absent from builds that predate them. */
  headsMs?: number;
  indexMs: number;
  vacuumAnalyzeMs: number;
  sizes: RelationSize[];
  generator: string;
  maintenanceWorkMem: string;
}

export interface Corpus {
  name: string;
  url: string;
  build: CorpusBuild;
  reused: boolean;
}

async function readMeta(db: PgDatabase): Promise<CorpusBuild | undefined> {
  const r = await db.query<{ value: CorpusBuild }>("SELECT value FROM bench_meta WHERE key = 'build'").catch(() => undefined);
  return r?.rows[0]?.value;
}

/**
 * What follows loading a corpus: the terms' heads and the project's HNSW index (as an ingest
 * ends), VACUUM (ANALYZE), relation sizes,
 * and the build record that lets a later run reuse the corpus.
 */
export async function finishCorpus(db: PgDatabase, loaded: Omit<CorpusBuild, 'headsMs' | 'indexMs' | 'vacuumAnalyzeMs' | 'sizes'>): Promise<CorpusBuild> {
  const heads = await timed(() => new LexicalIndex(db).refreshHeads());
  const index = await timed(() => createVectorIndex(db, loaded.dimension, vectorPrecision(db.kind)));
  const vacuum = await timed(() => db.query('VACUUM (ANALYZE)'));
  const build: CorpusBuild = { ...loaded, headsMs: heads.ms, indexMs: index.ms, vacuumAnalyzeMs: vacuum.ms, sizes: await relationSizes(db) };
  await db.query('CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)');
  await db.query("INSERT INTO bench_meta (key, value) VALUES ('build', $1::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [JSON.stringify(build)]);
  return build;
}

/**
 * A corpus of `size` chunks on server PostgreSQL: the real manual (collection 'default')
 * plus generated pages, SCOPED_SHARE of all chunks in collection 'scoped' (for filtered
 * search). Written through DocumentStore.writeDocuments, so postings and BM25 statistics
 * are the project's own; the HNSW index is the project's createVectorIndex. A corpus kept
 * from an earlier run (--keep) is reused when generator and embedding model match.
 */
export async function ensureCorpus(size: number, log: (s: string) => void): Promise<Corpus> {
  const name = `bench_corpus_${sizeLabel(size)}`;
  const embeddings = new LocalEmbeddings(await loadGloveTable(cacheDir));
  const fingerprint = await sourceFingerprint();
  if (await databaseExists(name)) {
    const db = openPg(databaseUrl(name));
    try {
      const meta = await readMeta(db);
      if (meta && meta.generator === GENERATOR_VERSION && meta.fingerprint === fingerprint && meta.embeddingModel === embeddings.modelName && meta.dimension === embeddings.dimension) {
        log(`reusing ${name} (built earlier: ${meta.chunks} chunks)`);
        // Sizes as they are now (the build record may predate a relation this report lists).
        return { name, url: databaseUrl(name), build: { ...meta, sizes: await relationSizes(db) }, reused: true };
      }
    } finally {
      await db.close();
    }
  }
  // Enough for the HNSW graph to be built in memory (1M chunks need more than 1GB).
  const maintenanceWorkMem = size > 300_000 ? '3GB' : '1GB';
  const url = await recreateDatabase(name, { maintenance_work_mem: maintenanceWorkMem });
  // No 10-minute statement limit here: the HNSW build of a 1M corpus takes longer.
  const db = openPg(url, 10, 4 * 3_600_000);
  try {
    await migrate(db);
    const space = { model: embeddings.modelName, dimension: embeddings.dimension };
    await ensureEmbeddingSpace(db, space);
    const store = new KnowledgeStore(db);
    const manual = await loadManual();
    const model = new ManualTextModel(manual.docs, 20240615 + size);
    const scopedProbability = Math.min(1, (SCOPED_SHARE * size) / Math.max(1, size - manual.chunks));
    const counts = { chunks: 0, documents: 0, scoped: 0 };

    const embed = (docs: LoadedDocument[]): NewDocument[] =>
      docs.map((d) => ({ source: d.source, title: d.title, contentHash: d.contentHash, chunks: d.chunks.map((c) => ({ ...c, embedding: embeddings.embedSync(embeddingText(d.title, c.heading, c.content)) })) }));
    const generate = (): { scoped: LoadedDocument[]; plain: LoadedDocument[] } => {
      const out = { scoped: [] as LoadedDocument[], plain: [] as LoadedDocument[] };
      for (let i = 0; i < BATCH_DOCUMENTS && counts.chunks < size; i++) {
        const n = Math.min(model.chunkCount(), size - counts.chunks);
        const source = `generated/page-${counts.documents}.html`;
        const title = model.phrase();
        let heading = title;
        const chunks = Array.from({ length: n }, (_, ord) => {
          if (ord > 0 && model.random() < 0.5) heading = model.phrase();
          return { ord, heading, anchor: `s${ord}`, content: model.chunkText() };
        });
        const doc = { source, title, contentHash: createHash('sha256').update(source).digest('hex'), chunks };
        const scoped = model.random() < scopedProbability;
        (scoped ? out.scoped : out.plain).push(doc);
        counts.chunks += n;
        counts.documents++;
        if (scoped) counts.scoped += n;
      }
      return out;
    };

    const load = await timed(async () => {
      for (let i = 0; i < manual.docs.length; i += BATCH_DOCUMENTS) {
        const batch = manual.docs.slice(i, i + BATCH_DOCUMENTS);
        await store.documents.writeDocuments('default', embed(batch));
        counts.chunks += batch.reduce((n, d) => n + d.chunks.length, 0);
        counts.documents += batch.length;
      }
      // Pipelined: the next batch is generated and embedded while PostgreSQL writes this one.
      let pending: Promise<void> = Promise.resolve();
      let lastLog = performance.now();
      // This server runs with autovacuum off; without statistics the store's write
      // statements switch to full scans of chunk_terms (see BENCHMARKS.md). ANALYZE each
      // time the table has grown by half, roughly what autovacuum's auto-analyze would do.
      let analyzedAt = 0;
      while (counts.chunks < size) {
        if (counts.chunks >= analyzedAt * 1.5 + 1000) {
          await pending;
          await db.query('ANALYZE chunks, chunk_terms, term_stats, documents');
          analyzedAt = counts.chunks;
        }
        const g = generate();
        const docs = { scoped: embed(g.scoped), plain: embed(g.plain) };
        await pending;
        pending = (async () => {
          if (docs.plain.length) await store.documents.writeDocuments('default', docs.plain);
          if (docs.scoped.length) await store.documents.writeDocuments('scoped', docs.scoped);
        })();
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          log(`  ${name}: ${counts.chunks} / ${size} chunks`);
        }
      }
      await pending;
    });
    log(`  ${name}: ${counts.chunks} chunks loaded in ${(load.ms / 1000).toFixed(0)} s; building the HNSW index`);
    const build = await finishCorpus(db, {
      size,
      fingerprint,
      chunks: counts.chunks,
      documents: counts.documents,
      scopedChunks: counts.scoped,
      manualChunks: manual.chunks,
      embeddingModel: embeddings.modelName,
      dimension: embeddings.dimension,
      loadMs: load.ms,
      generator: GENERATOR_VERSION,
      maintenanceWorkMem,
    });
    return { name, url, build, reused: false };
  } finally {
    await db.close();
  }
}
