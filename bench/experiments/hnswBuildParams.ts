/**
 * EXPERIMENT on a kept bench corpus (not part of `npm run bench`):
 * `node bin/tsx.js bench/experiments/hnswBuildParams.ts 100k 16:64,16:200,32:200 [40,100]`
 * (the last argument: the ef_search values to measure)
 *
 * Rebuilds the project's HNSW index (same name and expression, so VectorSearch.vector
 * uses it) with other m / ef_construction values, measures build time, size and recall@10
 * against exact search for the recall suite's queries, then restores the index the
 * project builds (createVectorIndex).
 */
import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { checkedDimension, createVectorIndex, vectorIndexName } from '../../src/store/vectorIndex.ts';
import { cacheDir } from '../lib/benchConfig.ts';
import { parseSize, sizeLabel } from '../lib/corpus.ts';
import { databaseUrl, SessionDatabase } from '../lib/databases.ts';
import { fmt, summarize } from '../lib/stats.ts';
import { overlap, recallQueries, VectorProbe, type Probe } from '../suites/recall.ts';

const size = parseSize(process.argv[2] ?? '100k');
const variants = (process.argv[3] ?? '16:64,16:200').split(',').map((v) => v.split(':').map(Number) as [number, number]);
const efSearches = (process.argv[4] ?? '40,100').split(',').map(Number);
const local = new LocalEmbeddings(await loadGloveTable(cacheDir));
const dim = checkedDimension(local.dimension);
const index = vectorIndexName(dim, 'halfvec');
const { vectors } = await recallQueries(local);
const session = await SessionDatabase.connect(databaseUrl(`bench_corpus_${sizeLabel(size)}`));
const probe = new VectorProbe(session, dim);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
try {
  await session.query("SET maintenance_work_mem = '1GB'");
  const exact: Probe[] = [];
  for (const v of vectors) exact.push(await probe.run({ enable_indexscan: 'off' }, v, ['default'], 10));
  console.log(`| m | ef_construction | build s | index MB | ${efSearches.map((ef) => `recall@10 dev, ef_search ${ef} | generated, ${ef} | p50 ms, ${ef}`).join(' | ')} |\n|---:|---:|---:|---:|${efSearches.map(() => '---:|---:|---:|').join('')}`);
  for (const [m, efc] of variants) {
    await session.query(`DROP INDEX IF EXISTS ${index}`);
    const t0 = performance.now();
    await session.query(`CREATE INDEX ${index} ON chunks USING hnsw ((embedding::halfvec(${dim})) halfvec_cosine_ops) WITH (m = ${Number(m)}, ef_construction = ${Number(efc)}) WHERE vector_dims(embedding) = ${dim}`);
    const buildS = (performance.now() - t0) / 1000;
    const mbytes = Number((await session.query<{ b: string }>(`SELECT pg_relation_size('${index}') AS b`)).rows[0]!.b) / 1048576;
    const cells: string[] = [];
    for (const ef of efSearches) {
      const recalls: number[] = [];
      const ms: number[] = [];
      for (const [i, v] of vectors.entries()) {
        const found = await probe.run({ 'hnsw.ef_search': String(ef) }, v, ['default'], 10);
        ms.push(found.ms);
        recalls.push(overlap(found, exact[i]!));
      }
      cells.push(fmt(mean(recalls.slice(0, 40)), 3), fmt(mean(recalls.slice(40)), 3), fmt(summarize(ms).p50));
    }
    console.log(`| ${m} | ${efc} | ${fmt(buildS, 1)} | ${fmt(mbytes, 0)} | ${cells.join(' | ')} |`);
  }
} finally {
  await session.query(`DROP INDEX IF EXISTS ${index}`);
  await createVectorIndex(session, dim, 'halfvec');
  await session.close();
}
