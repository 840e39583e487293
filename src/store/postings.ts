import type { Queryable } from '../db/database.ts';

/**
 * The lexical index's stored side: postings (chunk_terms), the statistics BM25 needs
 * (term_stats, collection_stats), each posting's impact, and the BM25F formula they are
 * computed with. The impact of a posting is its BM25 term-frequency factor with the
 * collection's average length when it was written; it only orders a term's postings (scores
 * are computed exactly at query time, see bm25Statement.ts), and lexical_parameters records
 * the parameters the stored impacts were computed with.
 */

/** BM25F: k1 saturation, b length normalisation, weight of a title/heading occurrence. */
export interface Bm25Params {
  k1: number;
  b: number;
  headingBoost: number;
}

export const defaultBm25: Bm25Params = { k1: 1.2, b: 0.75, headingBoost: 4 };

/** Postings read per query term and collection, best impact first (BM25_POSTINGS_PER_TERM). */
export const DEFAULT_POSTINGS_PER_TERM = 2000;

/** SQL expressions for the formula's parameters, and for one posting's columns. */
export interface Bm25Sql {
  k1: string;
  b: string;
  headingBoost: string;
}

/** A posting's term frequency with title/heading occurrences weighted (BM25F). */
export const weightedTf = (tf: string, tfHead: string, p: Bm25Sql) => `${tf} + ${p.headingBoost} * ${tfHead}`;

/** BM25's denominator for a weighted term frequency `tf` in a chunk of `length` terms. */
export const saturation = (tf: string, length: string, avgdl: string, p: Bm25Sql) => `${tf} + ${p.k1} * (1 - ${p.b} + ${p.b} * ${length} / ${avgdl})`;

/** A posting's impact: BM25's term-frequency factor without the IDF and the constant (k1 + 1). */
export const impactSql = (tf: string, tfHead: string, length: string, avgdl: string, p: Bm25Sql) =>
  `(${weightedTf(tf, tfHead, p)}) / (${saturation(weightedTf(tf, tfHead, p), length, avgdl, p)})`;

/** BM25's IDF of a term in `df` of `n` chunks, as SQL over the given expressions. */
export const idfSql = (n: string, df: string) => `ln(1 + (${n} - ${df} + 0.5) / (${df} + 0.5))`;

/** The recorded parameters as the write statement reads them (relation `lp`, see lexicalParametersRelation), cast as impacts have always been computed. */
export const recordedBm25Sql: Bm25Sql = { k1: 'lp.k1::real', b: 'lp.b::real', headingBoost: 'lp.heading_boost::real' };

/**
 * The recorded parameters, for a statement that writes impacts. FOR SHARE: a rebuild
 * (rebuildImpacts) changes the row first, so a write waits for it and then computes with
 * the new parameters, and a rebuild waits for writes already under way.
 */
export const lexicalParametersRelation = 'SELECT k1, b, heading_boost FROM lexical_parameters FOR SHARE';

/** The parameters the stored impacts were computed with; undefined when they are not known (see migrations/009). */
export async function recordedBm25(db: Queryable): Promise<Bm25Params | undefined> {
  const r = await db.query<{ k1: number; b: number; heading_boost: number }>('SELECT k1, b, heading_boost FROM lexical_parameters');
  const row = r.rows[0];
  return row ? { k1: Number(row.k1), b: Number(row.b), headingBoost: Number(row.heading_boost) } : undefined;
}

export const sameBm25 = (a: Bm25Params, b: Bm25Params | undefined): boolean => !!b && a.k1 === b.k1 && a.b === b.b && a.headingBoost === b.headingBoost;

/**
 * Records `params` and recomputes every posting's impact with them, over the collections'
 * current average lengths. Run it in a transaction (`tx`), without the statement timeout.
 */
export async function rebuildImpacts(tx: Queryable, params: Bm25Params): Promise<void> {
  await tx.query(
    `INSERT INTO lexical_parameters (k1, b, heading_boost) VALUES ($1, $2, $3)
     ON CONFLICT (only_row) DO UPDATE SET k1 = EXCLUDED.k1, b = EXCLUDED.b, heading_boost = EXCLUDED.heading_boost, recorded_at = now()`,
    [params.k1, params.b, params.headingBoost],
  );
  // Every head is ordered by the old impacts.
  await tx.query('DELETE FROM term_heads');
  await tx.query(
    `UPDATE chunk_terms ct SET impact = ${impactSql('ct.tf', 'ct.tf_head', 'ct.length', 'cs.avgdl', recordedBm25Sql)}
       FROM (SELECT collection, greatest(total_length / greatest(chunk_count, 1), 1) AS avgdl FROM collection_stats) cs
      CROSS JOIN lexical_parameters lp
      WHERE cs.collection = ct.collection`,
  );
}

/** Deletes the postings of the given chunks and subtracts them from the BM25 statistics (the chunk rows stay). */
export async function removeChunkStatistics(tx: Queryable, collection: string, chunks: { id: string; length: number }[]): Promise<void> {
  if (!chunks.length) return;
  const chunkIds = chunks.map((r) => r.id);
  const totalLength = chunks.reduce((sum, r) => sum + Number(r.length), 0);
  const emptied = await tx.query<{ term: string; df: number }>(
    `WITH gone AS (DELETE FROM chunk_terms WHERE chunk_id = ANY($2::bigint[]) RETURNING term),
          n AS (SELECT term, count(*)::int AS n FROM gone GROUP BY term),
          beheaded AS (DELETE FROM term_heads h WHERE h.collection = $1 AND h.term IN (SELECT term FROM n))
     UPDATE term_stats ts SET df = ts.df - n.n FROM n WHERE ts.collection = $1 AND ts.term = n.term
     RETURNING ts.term, ts.df`,
    [collection, chunkIds],
  );
  const unused = emptied.rows.filter((r) => Number(r.df) <= 0).map((r) => r.term);
  if (unused.length) await tx.query('DELETE FROM term_stats WHERE collection = $1 AND term = ANY($2::text[])', [collection, unused]);
  await tx.query('UPDATE collection_stats SET chunk_count = chunk_count - $2, total_length = total_length - $3 WHERE collection = $1', [collection, chunkIds.length, totalLength]);
}

/**
 * Postings a term's head holds (migrations/011): a search that reads at most this many per
 * term reads heads; one that reads more goes through the covering index.
 */
export const HEAD_POSTINGS = DEFAULT_POSTINGS_PER_TERM;

/**
 * Bytes of one packed posting, big-endian: chunk_id int8, then tf, tf_head and length as int2.
 * The three are counts (lexeme occurrences, and the chunk's lexemes: a chunk of the default
 * 1,400 characters has a few hundred), stored as integers in real columns; they are packed
 * exactly up to 32,767 and capped there.
 */
export const PACKED_POSTING_BYTES = 14;

/** A count for a packed posting (see PACKED_POSTING_BYTES). */
const packedCount = (x: string) => `int2send(least(${x}, 32767)::int2)`;

/**
 * A term's best `limit` postings in collection `collection`, packed (PACKED_POSTING_BYTES
 * each, best impact first, ties by chunk id), as one bytea: what a head holds.
 */
export const packedPostingsSql = (term: string, collection: string, limit: string) =>
  `(SELECT string_agg(int8send(x.chunk_id) || ${packedCount('x.tf')} || ${packedCount('x.tf_head')} || ${packedCount('x.length')}, ''::bytea ORDER BY x.impact DESC, x.chunk_id)
      FROM (SELECT ct.chunk_id, ct.tf, ct.tf_head, ct.length, ct.impact FROM chunk_terms ct
             WHERE ct.term = ${term} AND ct.collection = ${collection} ORDER BY ct.impact DESC, ct.chunk_id LIMIT ${limit}) x)`;

/**
 * Lock a refresh of the heads takes: it waits for every write under way that touched postings
 * (each holds ROW EXCLUSIVE on term_heads from the statement that deleted its terms' heads)
 * and holds new ones back, so a head is never computed from postings a write is replacing.
 */
const HEADS_REFRESH_LOCK = 'LOCK TABLE term_heads IN SHARE ROW EXCLUSIVE MODE';

/**
 * Writes the head of every term and collection that has none (a write deleted it, or it never
 * had one). Run it in a transaction (`tx`), without the statement timeout; the postings'
 * indexes must exist. Returns how many heads it wrote. (OFFSET 0 keeps the planner from
 * inlining the packing subquery, which it would then run twice per term.)
 */
export async function refreshHeads(tx: Queryable): Promise<number> {
  await tx.query(HEADS_REFRESH_LOCK);
  const r = await tx.query(
    `INSERT INTO term_heads (term, collection, postings)
     SELECT ts.term, ts.collection, p.postings FROM term_stats ts
      CROSS JOIN LATERAL (SELECT ${packedPostingsSql('ts.term', 'ts.collection', String(HEAD_POSTINGS))} AS postings OFFSET 0) p
      WHERE NOT EXISTS (SELECT 1 FROM term_heads h WHERE h.term = ts.term AND h.collection = ts.collection) AND p.postings IS NOT NULL`,
  );
  return r.rowCount ?? 0;
}
