/**
 * PROTOTYPE of a proposed BM25 change, run on a kept bench corpus (not part of
 * `npm run bench`): `node bin/tsx.js bench/experiments/bm25ImpactPrototype.ts 100k [topPerTerm]`
 * (after `npm run bench -- --only retrieval --sizes 100k --keep`).
 *
 * Today's BM25 sums every posting of every query term; common terms have postings in a
 * third of all chunks, so the work grows with the corpus. This prototype keeps postings in
 * an index ordered by each posting's term-frequency part of BM25 (which does not depend on
 * the query), takes the best `topPerTerm` postings of each query term as candidates, and
 * scores only those candidates exactly (every query term, through the primary key). It reports latency next to the exact KnowledgeStore.bm25 and
 * the overlap of the two top-40 lists.
 */
import { defaultBm25, KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { parseSize, sizeLabel } from '../lib/corpus.ts';
import { databaseUrl, openPg } from '../lib/databases.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import { fmt, summarize } from '../lib/stats.ts';

const size = parseSize(process.argv[2] ?? '100k');
const topPerTerm = Number(process.argv[3] ?? 400);
const db = openPg(databaseUrl(`bench_corpus_${sizeLabel(size)}`));
const { k1, b, headingBoost: h } = defaultBm25;
const INDEX = 'bench_proposed_chunk_terms_impact';

try {
  const avgdl = Number((await db.query<{ a: number }>("SELECT total_length / chunk_count AS a FROM collection_stats WHERE collection = 'default'")).rows[0]!.a);
  // The per-posting BM25 factor with avgdl frozen at build time: ordering only needs to be roughly right.
  const impact = `((tf + ${h} * tf_head) / (tf + ${h} * tf_head + ${k1} * (${1 - b} + ${b} * length / ${avgdl.toFixed(3)})))`;
  const t0 = performance.now();
  await db.query(`CREATE INDEX IF NOT EXISTS ${INDEX} ON chunk_terms (term, collection, ${impact} DESC) INCLUDE (chunk_id)`);
  await db.query('VACUUM (ANALYZE) chunk_terms');
  const buildMs = performance.now() - t0;
  const bytes = Number((await db.query<{ b: string }>(`SELECT pg_relation_size('${INDEX}') AS b`)).rows[0]!.b);
  const q = (expr: string) => expr.replace(/\b(tf_head|tf|length)\b/g, 'ct.$1');
  // Candidates: the best $4 postings of each query term, read in index order (an equality
  // on collection: PostgreSQL 15 cannot keep index order under "= ANY(array)"). Then every
  // candidate is scored exactly, with all query terms, through the primary key.
  const sql = `WITH asked AS (SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', $1))),
       cs AS (SELECT sum(chunk_count)::float8 AS n FROM collection_stats WHERE collection = ANY($2::text[])),
       idf AS (SELECT a.term, ln(1 + (cs.n - sum(ts.df) + 0.5) / (sum(ts.df) + 0.5)) AS idf
                 FROM asked a JOIN term_stats ts ON ts.term = a.term AND ts.collection = ANY($2::text[]) CROSS JOIN cs GROUP BY a.term, cs.n),
       cand AS (SELECT DISTINCT p.chunk_id FROM idf CROSS JOIN LATERAL (
                  SELECT ct.chunk_id FROM chunk_terms ct WHERE ct.term = idf.term AND ct.collection = ($2::text[])[1]
                   ORDER BY ${q(impact)} DESC LIMIT $4) p)
  SELECT ct.chunk_id, sum(idf.idf * ${q(impact)} * ${k1 + 1})::float8 AS score
    FROM cand CROSS JOIN idf JOIN chunk_terms ct ON ct.term = idf.term AND ct.chunk_id = cand.chunk_id
   GROUP BY ct.chunk_id ORDER BY score DESC, ct.chunk_id LIMIT $3`;
  const store = new KnowledgeStore(db);
  const questions = await inDomainQuestions();
  const exactMs: number[] = [];
  const protoMs: number[] = [];
  const overlaps: number[] = [];
  for (const pass of [0, 1]) {
    for (const q of questions) {
      let t = performance.now();
      const exact = await store.bm25(q, ['default'], 40);
      const e = performance.now() - t;
      t = performance.now();
      const proto = (await db.query<{ chunk_id: string }>(sql, [q, ['default'], 40, topPerTerm])).rows.map((r) => String(r.chunk_id));
      const p = performance.now() - t;
      if (pass === 0) continue; // warm-up pass
      exactMs.push(e);
      protoMs.push(p);
      const top = new Set(exact.slice(0, 10).map((x) => x.id));
      overlaps.push(exact.length ? proto.slice(0, 10).filter((id) => top.has(id)).length / Math.min(10, exact.length) : 1);
    }
  }
  const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, [questions[0], ['default'], 40, topPerTerm])).rows.map((r) => r['QUERY PLAN']).join('\n');
  const e = summarize(exactMs);
  const p = summarize(protoMs);
  console.log(`corpus ${sizeLabel(size)}: impact index ${(bytes / 1048576).toFixed(0)} MB, built in ${(buildMs / 1000).toFixed(1)} s; ${topPerTerm} postings per term`);
  console.log(`| BM25 | p50 ms | p95 ms |\n|---|---:|---:|\n| exact (KnowledgeStore.bm25, today) | ${fmt(e.p50)} | ${fmt(e.p95)} |\n| top-${topPerTerm}-per-term prototype | ${fmt(p.p50)} | ${fmt(p.p95)} |`);
  console.log(`top-10 overlap with exact BM25: mean ${fmt(overlaps.reduce((a, x) => a + x, 0) / overlaps.length, 3)} over ${overlaps.length} questions`);
  console.log(plan);
} finally {
  await db.query(`DROP INDEX IF EXISTS ${INDEX}`).catch(() => undefined);
  await db.close();
}
