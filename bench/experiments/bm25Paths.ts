/**
 * EXPERIMENT on a kept bench corpus (not part of `npm run bench`):
 * `node bin/tsx.js bench/experiments/bm25Paths.ts 100k [rounds]`
 *
 * The two ways LexicalIndex.bm25 reads postings, on the 40 dev questions with feedback (as the
 * hybrid retriever runs it): the terms' heads scored in the client (bm25Heads.ts, what an
 * unfiltered search does) and the one-statement SQL over the covering index (bm25Statement.ts,
 * what a filtered search does; forced here by asking for one posting more per term than a head
 * holds, 2,001). Alternates the
 * two question by question on one pool and prints p50/p95 of each, and how many questions rank
 * the same 40 chunks.
 */
import { PgDatabase } from '../../src/db/pgDatabase.ts';
import { defaultRetrievalSettings } from '../../src/retrieval/hybridRetriever.ts';
import { LexicalIndex } from '../../src/store/lexicalIndex.ts';
import { HEAD_POSTINGS } from '../../src/store/postings.ts';
import { parseSize, sizeLabel } from '../lib/corpus.ts';
import { databaseUrl, silentLogger } from '../lib/databases.ts';
import { inDomainQuestions } from '../lib/questions.ts';
import { fmt, summarize } from '../lib/stats.ts';

const size = parseSize(process.argv[2] ?? '100k');
const rounds = Number(process.argv[3] ?? 5);
const db = new PgDatabase({ url: databaseUrl(`bench_corpus_${sizeLabel(size)}`), poolSize: 4, statementTimeoutMs: 600_000, logger: silentLogger });
const lexical = new LexicalIndex(db);
const questions = await inDomainQuestions();
const { feedbackTerms, feedbackDocs, feedbackWeight, candidates } = defaultRetrievalSettings;
const feedback = { terms: feedbackTerms, chunks: feedbackDocs, weight: feedbackWeight };
// One posting more per term than a head holds sends the search to the SQL path.
const paths = { heads: { postingsPerTerm: HEAD_POSTINGS }, sql: { postingsPerTerm: HEAD_POSTINGS + 1 } };
const times: Record<keyof typeof paths, number[]> = { heads: [], sql: [] };
let same = 0;
try {
  for (let round = 0; round <= rounds; round++) {
    for (const q of questions) {
      const ids: Record<string, string> = {};
      for (const [name, extra] of Object.entries(paths) as [keyof typeof paths, object][]) {
        const t0 = performance.now();
        const r = await lexical.bm25WithTerms(q, ['default'], candidates, { feedback, ...extra });
        // Round 0 warms up.
        if (round) times[name].push(performance.now() - t0);
        ids[name] = r.hits.map((h) => h.id).join();
      }
      if (!round && ids.heads === ids.sql) same++;
    }
  }
  console.log(`| BM25 with feedback, ${sizeLabel(size)}, ${questions.length} questions × ${rounds} | p50 ms | p95 ms |\n|---|---:|---:|`);
  for (const [name, t] of Object.entries(times)) {
    const s = summarize(t);
    console.log(`| ${name === 'heads' ? 'heads, scored in the client (bm25Heads.ts)' : 'one statement over the covering index (bm25Statement.ts)'} | ${fmt(s.p50)} | ${fmt(s.p95)} |`);
  }
  console.log(`\nsame 40 chunks in the same order: ${same} of ${questions.length} questions`);
} finally {
  await db.close();
}
