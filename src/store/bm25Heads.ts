import type { Queryable } from '../db/database.ts';
import { FEEDBACK_POOL, queryLexemes, type Feedback, type QueryTerm } from './bm25Statement.ts';
import { queryTermsColumn, rowColumns, type ChunkRow, type RankedChunk } from './chunkRows.ts';
import { HEAD_POSTINGS, idfSql, PACKED_POSTING_BYTES, packedPostingsSql, type Bm25Params } from './postings.ts';
import { SqlParams, type Placeholder } from './sqlParams.ts';

/**
 * BM25F over the terms' heads (migrations/011): the same search as bm25Statement.ts without
 * a filter, with the postings scored here instead of in PostgreSQL. The first statement brings
 * each query term's statistics and its best postings, one packed value per term and
 * collection (from its head, or from the covering index when the head is missing), the
 * scores are summed here, and a second statement brings the feedback terms' postings the
 * same way. Summing ten thousand postings in the client is
 * a fraction of a millisecond; in PostgreSQL, each posting read and aggregated cost about a
 * microsecond (BENCHMARKS.md).
 */

/**
 * Chunk scores being summed: open addressing over typed arrays (a Map of ten thousand chunk
 * ids costs several times more). Chunk ids are positive bigserial values, far below 2^53.
 *
 * The arrays are views of buffers every table shares, grown to the largest query seen: a
 * query's postings would otherwise allocate a megabyte of typed arrays, and that much
 * external memory per query makes V8 run a full collection every few dozen queries. So a
 * table is filled and read without an await in between, and `reset()` starts the next one.
 */
export class ScoreTable {
  private static keyStore = new Float64Array(1024);
  private static valueStore = new Float64Array(1024);
  private static scoreStore = new Float64Array(1024);
  private keys = ScoreTable.keyStore;
  private values = ScoreTable.valueStore;
  private mask = 0;
  size = 0;

  constructor() {
    this.reset(0);
  }

  /** Empties the table for about `expected` chunks. */
  reset(expected: number): this {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    if (ScoreTable.keyStore.length < capacity) {
      ScoreTable.keyStore = new Float64Array(capacity);
      ScoreTable.valueStore = new Float64Array(capacity);
    }
    this.keys = ScoreTable.keyStore.subarray(0, capacity);
    this.values = ScoreTable.valueStore.subarray(0, capacity);
    this.keys.fill(0);
    this.mask = capacity - 1;
    this.size = 0;
    return this;
  }

  add(id: number, score: number): void {
    if (this.size * 2 >= this.keys.length) this.grow();
    let i = (Math.imul(id | 0, 0x9e3779b1) ^ ((id / 4294967296) | 0)) & this.mask;
    for (;;) {
      const k = this.keys[i]!;
      if (k === id) {
        this.values[i]! += score;
        return;
      }
      if (k === 0) {
        this.keys[i] = id;
        this.values[i] = score;
        this.size++;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /**
   * Adds a packed value's postings (postings.ts, PACKED_POSTING_BYTES each), the first `limit`,
   * each weighing `termIdf` × BM25F's term-frequency factor. Heads are read in this layout
   * whatever wrote them: a change to it needs a migration that empties term_heads (the next
   * ingest writes them again).
   */
  addPostings(view: DataView, limit: number, termIdf: number, avgdl: number, params: Bm25Params): void {
    const n = Math.min(Math.floor(view.byteLength / PACKED_POSTING_BYTES), limit);
    const { k1, b, headingBoost } = params;
    const norm = (k1 * b) / avgdl;
    const base = k1 * (1 - b);
    for (let i = 0, o = 0; i < n; i++, o += PACKED_POSTING_BYTES) {
      const id = view.getInt32(o) * 4294967296 + view.getUint32(o + 4);
      const tf = view.getInt16(o + 8) + headingBoost * view.getInt16(o + 10);
      this.add(id, (termIdf * tf * (k1 + 1)) / (tf + base + norm * view.getInt16(o + 12)));
    }
  }

  /** The `n` best chunks, best first, ties by chunk id (as the SQL orders them). */
  best(n: number): [number, number][] {
    if (n <= 0 || !this.size) return [];
    let threshold = -Infinity;
    if (this.size > n) {
      if (ScoreTable.scoreStore.length < this.size) ScoreTable.scoreStore = new Float64Array(this.keys.length);
      const scores = ScoreTable.scoreStore.subarray(0, this.size);
      let j = 0;
      for (let i = 0; i < this.keys.length; i++) if (this.keys[i]) scores[j++] = this.values[i]!;
      threshold = nthSmallest(scores, scores.length - n);
    }
    const top: [number, number][] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] && this.values[i]! >= threshold) top.push([this.keys[i]!, this.values[i]!]);
    return top.sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, n);
  }

  private grow(): void {
    const entries: [number, number][] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i]) entries.push([this.keys[i]!, this.values[i]!]);
    this.reset(this.keys.length);
    for (const [id, score] of entries) this.add(id, score);
  }
}

/** One reusable buffer for the packed postings a statement brings as base64 (see ScoreTable on why). */
let packedBytes = Buffer.alloc(1 << 16);

/** The packed postings of `base64` (written into the shared buffer: read them before the next await). */
export function packedView(base64: string): DataView {
  const length = Math.ceil((base64.length * 3) / 4);
  if (packedBytes.length < length) packedBytes = Buffer.alloc(2 ** Math.ceil(Math.log2(length)));
  const written = packedBytes.write(base64, 0, 'base64');
  return new DataView(packedBytes.buffer, packedBytes.byteOffset, written);
}

/** The value that would stand at index `nth` of `a` sorted ascending (Hoare's selection; reorders `a`). */
export function nthSmallest(a: Float64Array, nth: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else break;
  }
  return a[nth]!;
}

/** BM25's IDF, as idfSql computes it. */
const idf = (n: number, df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));

/**
 * A term's postings per collection in parameter `collections`: the first `limit` of its head,
 * else read from the covering index. A head shorter than the postings asked for (the term's
 * df, or `limit`) is not used. Correlated on `term`.
 */
const termPostings = (term: string, collections: Placeholder, limit: Placeholder) =>
  `SELECT encode(coalesce(substring(h.postings FROM 1 FOR ${limit}::int * ${PACKED_POSTING_BYTES}), ${packedPostingsSql(term, 'col.name', `${limit}::int`)}), 'base64') AS postings
     FROM unnest(${collections}::text[]) AS col(name)
     LEFT JOIN term_stats hs ON hs.term = ${term} AND hs.collection = col.name
     LEFT JOIN term_heads h ON h.term = ${term} AND h.collection = col.name AND octet_length(h.postings) >= least(${limit}::int, hs.df) * ${PACKED_POSTING_BYTES}`;

interface TermRow {
  term: string;
  df: number;
  /** The packed postings, base64 (text keeps the client from allocating a Buffer per value; a third shorter than hex). */
  postings: string | null;
}

/** The collections' chunk count and average length, for parameter `collections`. */
const collectionTotals = (collections: Placeholder) =>
  `SELECT coalesce(sum(chunk_count), 0)::float8 AS n, coalesce(sum(total_length), 0)::float8 / greatest(coalesce(sum(chunk_count), 0), 1) AS avgdl
     FROM collection_stats WHERE collection = ANY(${collections}::text[])`;

export interface HeadsSearch {
  postingsPerTerm: number;
  feedback?: Feedback;
  /**
   * Rows to bring along where a statement runs anyway: the feedback statement also reads the
   * rows of the first pass's best `best` chunks (ChunkRow, with the terms of `query` each
   * contains), most of which stay among the best after feedback. Hits without a row have none.
   */
  rowsFor?: { query: string; best: number };
}

/** Whether a search can read heads: no filter, and no more postings per term than a head holds. */
export const canReadHeads = (postingsPerTerm: number, filtered: boolean) => !filtered && postingsPerTerm <= HEAD_POSTINGS;

/** BM25F over the heads (see the top of this file): the `k` best chunks and the query's terms. */
export async function bm25OverHeads(db: Queryable, query: string, collections: string[], k: number, params: Bm25Params, search: HeadsSearch): Promise<{ hits: RankedChunk[]; queryTerms: QueryTerm[] }> {
  const perTerm = Math.max(1, Math.trunc(search.postingsPerTerm));
  const p = new SqlParams();
  const [q, cols, limit] = [p.add(query), p.add(collections), p.add(perTerm)];
  const first = await db.query<TermRow & { n: number; avgdl: number }>(
    `WITH asked AS (${queryLexemes(q)}),
          cs AS (${collectionTotals(cols)}),
          stats AS (SELECT a.term, coalesce(sum(ts.df), 0)::int AS df FROM asked a LEFT JOIN term_stats ts ON ts.term = a.term AND ts.collection = ANY(${cols}::text[]) GROUP BY a.term)
     SELECT s.term, s.df, cs.n, cs.avgdl, tp.postings FROM stats s CROSS JOIN cs
       LEFT JOIN LATERAL (${termPostings('s.term', cols, limit)}) tp ON s.df > 0
      ORDER BY s.term`,
    p.values,
  );
  const n = Number(first.rows[0]?.n ?? 0);
  const avgdl = Number(first.rows[0]?.avgdl ?? 0);
  const queryTerms = new Map<string, QueryTerm>();
  for (const r of first.rows) queryTerms.set(r.term, { term: r.term, df: Number(r.df), idf: idf(n, Number(r.df)) });
  const terms = [...queryTerms.values()];
  const scores = new ScoreTable().reset(first.rows.reduce((sum, r) => sum + Math.min(perTerm, ((r.postings?.length ?? 0) * 3) / (4 * PACKED_POSTING_BYTES)), 0));
  for (const r of first.rows) if (r.postings) scores.addPostings(packedView(r.postings), perTerm, queryTerms.get(r.term)!.idf, avgdl, params);
  if (!scores.size) return { hits: [], queryTerms: terms };

  const { feedback } = search;
  let final = scores;
  let rows = new Map<string, ChunkRow>();
  if (feedback && feedback.terms > 0 && feedback.chunks > 0) {
    // Feedback re-scores the best first-pass chunks (LexicalIndex.bm25).
    const pool = scores.best(Math.max(FEEDBACK_POOL, k));
    const feedbackLimit = Math.max(Math.trunc(perTerm / 8), 1);
    const rowsFor = search.rowsFor && { query: search.rowsFor.query, ids: pool.slice(0, search.rowsFor.best).map(([id]) => id) };
    const { terms: added, rows: found } = await feedbackTerms(db, pool.slice(0, feedback.chunks).map(([id]) => id), [...queryTerms.keys()], collections, feedback.terms, feedbackLimit, rowsFor);
    rows = found;
    final = scores.reset(pool.length + added.length * feedbackLimit);
    for (const [id, score] of pool) final.add(id, score);
    for (const r of added) if (r.postings) final.addPostings(packedView(r.postings), feedbackLimit, feedback.weight * idf(n, Number(r.df)), avgdl, params);
  }
  const hits = final.best(k).map(([id, score]): RankedChunk => {
    const row = rows.get(String(id));
    return row ? { id: String(id), score, row } : { id: String(id), score };
  });
  return { hits, queryTerms: terms };
}

/**
 * The `count` heaviest terms (tf × idf, in at least two chunks, not asked, over two letters)
 * of the chunks `top`, each with its document frequency and best `limit` postings per collection;
 * with `rowsFor`, also the rows of those chunks (in one more result row, as JSON).
 */
async function feedbackTerms(
  db: Queryable,
  top: number[],
  asked: string[],
  collections: string[],
  count: number,
  limit: number,
  rowsFor?: { query: string; ids: number[] },
): Promise<{ terms: TermRow[]; rows: Map<string, ChunkRow> }> {
  const p = new SqlParams();
  const [ids, askedP, cols, countP, limitP] = [p.add(top.map(String)), p.add(asked), p.add(collections), p.add(count), p.add(limit)];
  const rowsPart = rowsFor
    ? `UNION ALL SELECT NULL, NULL, NULL, (SELECT json_agg(x) FROM (SELECT ${rowColumns}, ${queryTermsColumn(p.add(rowsFor.query))}
                                                         FROM chunks c JOIN documents d ON d.id = c.document_id
                                                        WHERE c.id = ANY(${p.add(rowsFor.ids.map(String))}::bigint[])) x)`
    : '';
  const r = await db.query<TermRow & { rows: ChunkRow[] | null }>(
    `WITH cs AS (${collectionTotals(cols)}),
          candidates AS (SELECT term, sum(tf + tf_head) AS w FROM chunk_terms
                          WHERE chunk_id = ANY(${ids}::bigint[]) AND length(term) > 2 AND term <> ALL(${askedP}::text[])
                          GROUP BY term),
          added AS (SELECT c.term, d.df FROM candidates c
                      CROSS JOIN LATERAL (SELECT sum(df) AS df FROM term_stats ts WHERE ts.term = c.term AND ts.collection = ANY(${cols}::text[])) d
                      CROSS JOIN cs
                     WHERE d.df >= 2
                     ORDER BY c.w * ${idfSql('cs.n', 'd.df')} DESC, c.term
                     LIMIT ${countP}::int)
     SELECT a.term, a.df::int AS df, tp.postings, NULL::json AS rows FROM added a CROSS JOIN LATERAL (${termPostings('a.term', cols, limitP)}) tp
     ${rowsPart}`,
    p.values,
  );
  const rows = new Map<string, ChunkRow>();
  for (const row of r.rows.find((x) => x.term === null)?.rows ?? []) rows.set(row.id, row);
  return { terms: r.rows.filter((x) => x.term !== null), rows };
}
