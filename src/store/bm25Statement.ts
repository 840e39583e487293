import { filteredChunks, listed } from './chunkRows.ts';
import type { MetadataFilter } from './metadata.ts';
import { idfSql, saturation, weightedTf, type Bm25Params, type Bm25Sql } from './postings.ts';
import { SqlParams, type Placeholder } from './sqlParams.ts';

/** Pseudo-relevance feedback: `terms` terms from the `chunks` best first-pass chunks, at `weight`. */
export interface Feedback {
  chunks: number;
  terms: number;
  weight: number;
}

export interface QueryTerm {
  term: string;
  idf: number;
  df: number;
}

/** How a BM25 search reads the index and what it brings back (see LexicalIndex.bm25). */
export interface Bm25Search {
  /** Postings read per query term and collection, best impact first. */
  postingsPerTerm: number;
  feedback?: Feedback;
  filter?: MetadataFilter;
}

/** First-pass chunks that pseudo-relevance feedback re-scores (see LexicalIndex.bm25). */
export const FEEDBACK_POOL = 200;

/**
 * Each term of `terms` (a relation of distinct query lexemes) with its document frequency
 * and IDF over the collections in parameter `collections`; 0 for unknown terms.
 */
export const queryTermStats = (terms: string, collections: Placeholder) => `SELECT q.term, coalesce(sum(ts.df), 0)::int AS df, ${idfSql('n.n', 'coalesce(sum(ts.df), 0)')}::float8 AS idf
    FROM ${terms} q CROSS JOIN (SELECT coalesce(sum(chunk_count), 0)::float8 AS n FROM collection_stats WHERE collection = ANY(${collections}::text[])) n
    LEFT JOIN term_stats ts ON ts.term = q.term AND ts.collection = ANY(${collections}::text[])
   GROUP BY q.term, n.n ORDER BY q.term`;

export const toQueryTerm = (x: QueryTerm): QueryTerm => ({ term: x.term, idf: Number(x.idf), df: Number(x.df) });

/** The distinct lexemes of the query text in parameter `query`. */
export const queryLexemes = (query: Placeholder) => `SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', ${query}))`;

/** The BM25 statement and its parameters (see LexicalIndex.bm25). */
export function bm25Statement(query: string, collections: string[], k: number, params: Bm25Params, search: Bm25Search): [string, unknown[]] {
  const { feedback, filter } = search;
  const withFeedback = !!feedback && feedback.terms > 0 && feedback.chunks > 0;
  const p = new SqlParams();
  const q = p.add(query);
  const cols = p.add(collections);
  const limit = p.add(k);
  const bm25: Bm25Sql = { k1: `${p.add(params.k1)}::float8`, b: `${p.add(params.b)}::float8`, headingBoost: `${p.add(params.headingBoost)}::float8` };
  const perTerm = p.add(search.postingsPerTerm);
  // With a filter, each term's best postings are its best among the matching chunks (the
  // statistics stay the collections'): read in impact order, skipping the others. Ties go by
  // chunk id, as in the terms' heads (postings.ts), so both paths keep the same postings.
  const allowed = filter ? `AND ct.chunk_id IN (SELECT id FROM allowed)` : '';
  const postings = (idf: string, limit: string) => `SELECT ${idf}.idf, p.* FROM ${idf} CROSS JOIN unnest(${cols}::text[]) AS col(name)
             CROSS JOIN LATERAL (SELECT ct.chunk_id, ${weightedTf('ct.tf', 'ct.tf_head', bm25)} AS tf, ct.length FROM chunk_terms ct
                                  WHERE ct.term = ${idf}.term AND ct.collection = col.name ${allowed}
                                  ORDER BY ct.impact DESC, ct.chunk_id LIMIT ${limit}) p`;
  const score = (from: string) => `SELECT p.chunk_id, sum(p.idf * p.tf * (${bm25.k1} + 1) / (${saturation('p.tf', 'p.length', 'cs.avgdl', bm25)}))::float8 AS score
             FROM ${from} p CROSS JOIN cs GROUP BY p.chunk_id`;
  const idfOf = (terms: string, weight: string) => `SELECT t.term, ${weight} * ${idfSql('cs.n', 'sum(ts.df)')} AS idf
             FROM ${terms} t JOIN term_stats ts ON ts.term = t.term AND ts.collection = ANY(${cols}::text[]) CROSS JOIN cs
            GROUP BY t.term, cs.n`;
  const feedbackCtes = () => {
    if (!withFeedback) return '';
    const [top, terms, weight, pool] = [feedback.chunks, feedback.terms, feedback.weight, Math.max(FEEDBACK_POOL, k)].map((v) => p.add(v));
    return `,
          pool AS MATERIALIZED (SELECT chunk_id, score FROM first ORDER BY score DESC, chunk_id LIMIT ${pool}::int),
          top AS (SELECT chunk_id FROM pool ORDER BY score DESC, chunk_id LIMIT ${top}::int),
          candidates AS (SELECT term, sum(tf + tf_head) AS w FROM chunk_terms
                          WHERE chunk_id IN (SELECT chunk_id FROM top) AND length(term) > 2 AND term NOT IN (SELECT term FROM asked)
                          GROUP BY term),
          added AS (SELECT c.term FROM candidates c
                      CROSS JOIN LATERAL (SELECT sum(df) AS df FROM term_stats ts WHERE ts.term = c.term AND ts.collection = ANY(${cols}::text[])) d
                      CROSS JOIN cs
                     WHERE d.df >= 2
                     ORDER BY c.w * ${idfSql('cs.n', 'd.df')} DESC, c.term
                     LIMIT ${terms}::int),
          added_idf AS (${idfOf('added', `${weight}::float8`)}),
          added_scores AS (${score(`(${postings('added_idf', `greatest(${perTerm}::int / 8, 1)`)})`)}),
          scores AS (SELECT chunk_id, sum(score) AS score FROM (SELECT * FROM pool UNION ALL SELECT * FROM added_scores) s GROUP BY chunk_id)`;
  };
  const feedbackSql = feedbackCtes();
  const allowedCte = filter ? `\n          allowed AS MATERIALIZED (${filteredChunks(cols, p.add(JSON.stringify(filter)))}),` : '';
  const sql = `WITH asked AS (${queryLexemes(q)}),${allowedCte}
          cs AS (SELECT sum(chunk_count)::float8 AS n, sum(total_length)::float8 / greatest(sum(chunk_count), 1) AS avgdl
                   FROM collection_stats WHERE collection = ANY(${cols}::text[])),
          idf AS (${idfOf('asked', '1.0::float8')}),
          first AS (${score(`(${postings('idf', `${perTerm}::int`)})`)})${feedbackSql},
          ranked AS (SELECT chunk_id, score FROM ${withFeedback ? 'scores' : 'first'} ORDER BY score DESC, chunk_id LIMIT ${limit})
     ${listed('ranked')}`;
  return [sql, p.values];
}
