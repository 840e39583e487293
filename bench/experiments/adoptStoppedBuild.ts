/**
 * EXPERIMENT (not part of `npm run bench`): finishes a corpus whose build was stopped
 * part-way, so it can be measured as a corpus of the size it reached:
 * `node bin/tsx.js bench/experiments/adoptStoppedBuild.ts bench_corpus_1m 438k <load seconds>`
 *
 * Does what ensureCorpus does after loading (the project's createVectorIndex, then VACUUM
 * (ANALYZE), then the bench_meta record), and renames the database to bench_corpus_<label>,
 * which `npm run bench -- --sizes <label> --keep` then reuses. The load time is given on the
 * command line (it is whatever the stopped run took). Also finishes a corpus whose load
 * completed but whose index build failed (label = its own size).
 */
import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import pg from 'pg';
import { cacheDir } from '../lib/benchConfig.ts';
import { finishCorpus, GENERATOR_VERSION, SCOPED_SHARE, sourceFingerprint } from '../lib/corpus.ts';
import { ADMIN_URL, databaseUrl, openPg } from '../lib/databases.ts';

const [from, label, loadSeconds] = process.argv.slice(2);
if (!from || !label || !loadSeconds) throw new Error('usage: adoptStoppedBuild.ts <database> <label> <load seconds>');
const to = `bench_corpus_${label}`;
const embeddings = new LocalEmbeddings(await loadGloveTable(cacheDir));
const db = openPg(databaseUrl(from), 2, 3_600_000);
const maintenanceWorkMem = '3GB';
try {
  await db.query(`ALTER DATABASE ${from} SET maintenance_work_mem = '${maintenanceWorkMem}'`);
  await db.close();
} catch (err) {
  await db.close();
  throw err;
}
const fresh = openPg(databaseUrl(from), 2, 3_600_000);
try {
  const counts = (await fresh.query<{ chunks: string; documents: string; scoped: string; manual: string }>(
    "SELECT (SELECT count(*) FROM chunks) AS chunks, (SELECT count(*) FROM documents) AS documents, (SELECT count(*) FROM chunks WHERE collection = 'scoped') AS scoped, (SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.source NOT LIKE 'generated/%') AS manual",
  )).rows[0]!;
  console.log(`${from}: ${counts.chunks} chunks; building the HNSW index, then VACUUM (ANALYZE)`);
  const build = await finishCorpus(fresh, {
    size: Number(counts.chunks),
    fingerprint: await sourceFingerprint(),
    chunks: Number(counts.chunks),
    documents: Number(counts.documents),
    scopedChunks: Number(counts.scoped),
    manualChunks: Number(counts.manual),
    embeddingModel: embeddings.modelName,
    dimension: embeddings.dimension,
    loadMs: Number(loadSeconds) * 1000,
    generator: GENERATOR_VERSION,
    maintenanceWorkMem,
  });
  console.log(`  index ${(build.indexMs / 1000).toFixed(0)} s, vacuum ${(build.vacuumAnalyzeMs / 1000).toFixed(0)} s; scoped share ${(Number(counts.scoped) / Number(counts.chunks)).toFixed(3)} (target ${SCOPED_SHARE})`);
} finally {
  await fresh.close();
}
if (from !== to) {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${from} RENAME TO ${to}`);
  await admin.end();
  console.log(`renamed ${from} to ${to}`);
}
