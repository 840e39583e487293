import { createHash } from 'node:crypto';
import { runMaintenance, type Database, type Queryable } from '../db/database.ts';
import { KbError } from '../errors.ts';
import { checkedDimension, defaultVectorSearch, vectorPrecision, type VectorSearchOptions } from './vectorIndex.ts';
import { compareIds } from '../retrieval/rrf.ts';
import { filterKey, type Metadata, type MetadataFilter } from './metadata.ts';

/** BM25F: k1 saturation, b length normalisation, weight of a title/heading occurrence. */
export interface Bm25Params {
  k1: number;
  b: number;
  headingBoost: number;
  /** Postings read per query term and collection, best impact first. */
  postingsPerTerm: number;
}

/** Pseudo-relevance feedback: `terms` terms from the `chunks` best first-pass chunks, at `weight`. */
export interface Feedback {
  chunks: number;
  terms: number;
  weight: number;
}

export const defaultBm25: Bm25Params = { k1: 1.2, b: 0.75, headingBoost: 4, postingsPerTerm: 2000 };

/**
 * A chunk to write: either new, with its embedding, or identical to a chunk the document
 * already has (`storedId`, see storedChunks()), which keeps its row, its vector and its
 * postings and only moves to `ord`.
 */
export type NewChunk = { ord: number; heading: string; anchor?: string; content: string } & ({ embedding: number[]; storedId?: undefined } | { storedId: string; embedding?: undefined });

/** A stored document's chunks as storedChunks() lists them, for reuse by an edited version. */
export interface StoredChunks {
  title: string;
  chunks: { id: string; anchor: string | null; digest: string }[];
}

/**
 * What a chunk's embedding and postings are computed from, besides the document title:
 * its heading and its content. Must agree with chunkDigestSql (both hash the same UTF-8
 * bytes with MD5, which here only tells edits apart).
 */
export const chunkDigest = (heading: string, content: string): string => createHash('md5').update(`${heading}\x1f${content}`, 'utf8').digest('hex');
const chunkDigestSql = (c: string) => `md5(${c}.heading || chr(31) || ${c}.content)`;

export interface NewDocument {
  source: string;
  title: string;
  url?: string;
  contentHash: string;
  chunks: NewChunk[];
  /** The file as it was read; omitted when it may still have been changing (see migrations/004). */
  sourceStat?: SourceStat;
  /** Front matter, HTML <meta> and `kb ingest --meta` pairs (see migrations/005). */
  metadata?: Metadata;
}

/** A source file's size and mtime, and the parser version its content hash was made with. */
export interface SourceStat {
  size: number;
  mtimeMs: number;
  parserVersion: string;
}

/** What ingest needs to know about a stored document to decide whether its file changed. */
export interface StoredDocument {
  contentHash: string;
  chunkCount: number;
  sourceStat?: SourceStat;
  /** The absolute path of the file it was last ingested from (unknown for older rows). */
  filePath?: string;
}

export interface ChunkRow {
  id: string;
  document_id: string;
  collection: string;
  source: string;
  title: string;
  url: string | null;
  heading: string;
  anchor: string | null;
  content: string;
  content_hash: string;
  /** The query's terms this chunk contains (only when asked for, see chunks()). */
  query_terms?: string[];
}

export interface QueryTerm {
  term: string;
  idf: number;
  df: number;
}

export interface RankedChunk {
  id: string;
  score: number;
  /** The chunk's row, when the search was asked to return rows. */
  row?: ChunkRow;
}

/**
 * Chunks of the documents in the collections (parameter `collectionsParam`) whose metadata
 * contains the filter (parameter `filterParam`, one jsonb value): the documents come from the
 * metadata GIN index, their chunks from the document index.
 */
const filteredChunks = (collectionsParam: string, filterParam: string) =>
  `SELECT fc.id FROM documents fd JOIN chunks fc ON fc.document_id = fd.id WHERE fd.collection = ANY(${collectionsParam}::text[]) AND fd.metadata @> ${filterParam}::jsonb`;

/** BM25's IDF of a term in `df` of `n` chunks, as SQL over the given expressions. */
const idfSql = (n: string, df: string) => `ln(1 + (${n} - ${df} + 0.5) / (${df} + 0.5))`;

/** Tries of a batch write that PostgreSQL aborted to break a deadlock. */
const WRITE_ATTEMPTS = 3;

/** First-pass chunks that pseudo-relevance feedback re-scores (see bm25()). */
const feedbackPool = 200;

/** A chunk's row (ChunkRow) from `chunks c JOIN documents d`. */
export const rowColumns = 'c.id::text AS id, c.document_id::text AS document_id, c.collection, d.source, d.title, d.url, c.heading, c.anchor, c.content, d.content_hash';
/** Which of the query's terms (given as parameter `param`) chunk `c` contains. */
const queryTermsColumn = (param: string) =>
  `ARRAY(SELECT ct.term FROM chunk_terms ct WHERE ct.chunk_id = c.id AND ct.term = ANY(tsvector_to_array(to_tsvector('english', ${param}))) ORDER BY ct.term) AS query_terms`;
/**
 * The ranked list `list` (chunk_id, score), best first; with `rowsFor` (the parameter
 * holding the query), each chunk's row and the query terms it contains come in the same
 * statement.
 */
const listed = (list: string, rowsFor?: string, extraColumn?: string) =>
  rowsFor === undefined
    ? `SELECT r.chunk_id AS id, r.score FROM ${list} r ORDER BY r.score DESC, r.chunk_id`
    : `SELECT r.score, ${rowColumns}, ${queryTermsColumn(rowsFor)}${extraColumn ? `, ${extraColumn}` : ''} FROM ${list} r JOIN chunks c ON c.id = r.chunk_id JOIN documents d ON d.id = c.document_id ORDER BY r.score DESC, r.chunk_id`;

/**
 * Each term of `terms` (a relation of distinct query lexemes) with its document frequency
 * and IDF over the collections in parameter `collectionsParam`; 0 for unknown terms.
 */
const queryTermStats = (terms: string, collectionsParam: string) => `SELECT q.term, coalesce(sum(ts.df), 0)::int AS df, ${idfSql('n.n', 'coalesce(sum(ts.df), 0)')}::float8 AS idf
    FROM ${terms} q CROSS JOIN (SELECT coalesce(sum(chunk_count), 0)::float8 AS n FROM collection_stats WHERE collection = ANY(${collectionsParam}::text[])) n
    LEFT JOIN term_stats ts ON ts.term = q.term AND ts.collection = ANY(${collectionsParam}::text[])
   GROUP BY q.term, n.n ORDER BY q.term`;
const toQueryTerm = (x: QueryTerm): QueryTerm => ({ term: x.term, idf: Number(x.idf), df: Number(x.df) });

type RankedRow = { id: string; score: number } & Partial<ChunkRow>;
const ranked = (r: { rows: RankedRow[] }): RankedChunk[] =>
  r.rows.map(({ score, ...row }) => ({ id: String(row.id), score: Number(score), ...(row.document_id === undefined ? {} : { row: { ...row, id: String(row.id) } as ChunkRow }) }));

/**
 * pgvector's text form of a vector, each component rounded to single precision (what the
 * column stores) and written with 9 significant digits, which always read back as the same
 * single-precision value: a third shorter than a double's digits, for the client to build
 * and PostgreSQL to parse.
 */
export const toVectorLiteral = (v: number[]): string => {
  let s = '[';
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    s += (i ? ',' : '') + (Number.isFinite(x) ? Math.fround(x).toPrecision(9) : '0');
  }
  return s + ']';
};

/** Subtracts the BM25 statistics of the given documents' chunks, then deletes them. */
async function removeDocuments(tx: Queryable, collection: string, documentIds: string[]): Promise<void> {
  if (!documentIds.length) return;
  // Chunk ids first: every statement below then goes through an index whatever the
  // planner's statistics say (a first large ingest runs before any ANALYZE).
  const chunks = await tx.query<{ id: string; length: number }>('SELECT id, length FROM chunks WHERE document_id = ANY($1::bigint[])', [documentIds]);
  await removeChunkStatistics(tx, collection, chunks.rows);
  await tx.query('DELETE FROM documents WHERE id = ANY($1::bigint[])', [documentIds]);
}

/** Deletes the postings of the given chunks and subtracts them from the BM25 statistics (the chunk rows stay). */
async function removeChunkStatistics(tx: Queryable, collection: string, chunks: { id: string; length: number }[]): Promise<void> {
  if (!chunks.length) return;
  const chunkIds = chunks.map((r) => r.id);
  const totalLength = chunks.reduce((sum, r) => sum + Number(r.length), 0);
  const emptied = await tx.query<{ term: string; df: number }>(
    `WITH gone AS (DELETE FROM chunk_terms WHERE chunk_id = ANY($2::bigint[]) RETURNING term),
          n AS (SELECT term, count(*)::int AS n FROM gone GROUP BY term)
     UPDATE term_stats ts SET df = ts.df - n.n FROM n WHERE ts.collection = $1 AND ts.term = n.term
     RETURNING ts.term, ts.df`,
    [collection, chunkIds],
  );
  const unused = emptied.rows.filter((r) => Number(r.df) <= 0).map((r) => r.term);
  if (unused.length) await tx.query('DELETE FROM term_stats WHERE collection = $1 AND term = ANY($2::text[])', [collection, unused]);
  await tx.query('UPDATE collection_stats SET chunk_count = chunk_count - $2, total_length = total_length - $3 WHERE collection = $1', [collection, chunkIds.length, totalLength]);
}

/**
 * Edits documents in place: keeps the chunks that are reused (moving them to their new
 * ord), deletes the others with their postings, and updates the document rows. Fails, with
 * nothing written, when a reused chunk is no longer there (another ingest replaced it).
 */
async function updateDocuments(tx: Queryable, collection: string, docs: { id: string; doc: NewDocument }[]): Promise<void> {
  if (!docs.length) return;
  const kept = new Map<string, number>();
  for (const { doc } of docs) for (const c of doc.chunks) if (c.storedId !== undefined) kept.set(c.storedId, c.ord);
  const current = await tx.query<{ id: string; length: number }>('SELECT id::text AS id, length FROM chunks WHERE document_id = ANY($1::bigint[])', [docs.map((d) => d.id)]);
  const found = current.rows.filter((r) => kept.has(r.id)).length;
  if (found !== kept.size) throw new KbError('store/concurrent_change');
  const stale = current.rows.filter((r) => !kept.has(r.id));
  await removeChunkStatistics(tx, collection, stale);
  if (stale.length) await tx.query('DELETE FROM chunks WHERE id = ANY($1::bigint[])', [stale.map((r) => r.id)]);
  // ord is in no index: moving a chunk is a HOT update that leaves its HNSW entry alone.
  await tx.query('UPDATE chunks c SET ord = u.ord FROM unnest($1::bigint[], $2::int[]) AS u(id, ord) WHERE c.id = u.id AND c.ord <> u.ord', [[...kept.keys()], [...kept.values()]]);
  await tx.query(
    `UPDATE documents d SET title = u.title, url = u.url, content_hash = u.hash, chunk_count = u.n, source_size = u.size, source_mtime_ms = u.mtime, parser_version = u.parser, metadata = u.meta::jsonb, updated_at = now()
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::float8[], $8::text[], $9::text[]) AS u(id, title, url, hash, n, size, mtime, parser, meta)
      WHERE d.id = u.id`,
    [
      docs.map((d) => d.id),
      ...documentColumns(docs.map((d) => d.doc)),
    ],
  );
}

/** title, url, content hash, chunk count, source size, mtime, parser version and metadata (JSON), as parallel arrays. */
const documentColumns = (docs: NewDocument[]): unknown[][] => [
  docs.map((d) => d.title),
  docs.map((d) => d.url ?? null),
  docs.map((d) => d.contentHash),
  docs.map((d) => d.chunks.length),
  docs.map((d) => d.sourceStat?.size ?? null),
  docs.map((d) => d.sourceStat?.mtimeMs ?? null),
  docs.map((d) => d.sourceStat?.parserVersion ?? null),
  docs.map((d) => JSON.stringify(d.metadata ?? {})),
];

interface ChunkColumns {
  doc: string[];
  ord: number[];
  heading: string[];
  anchor: (string | null)[];
  content: string[];
  emb: string[];
}

/** work_mem of a batch write: a batch's postings (~55k rows for 64 pages) sort and aggregate in memory. */
export const WRITE_WORK_MEM = '32MB';

/**
 * Inserts chunks with their postings in one statement: each body is tokenised and stemmed
 * once by PostgreSQL's english configuration (the one queries go through; `OFFSET 0` keeps
 * the planner from inlining to_tsvector into each of its two uses), giving the
 * chunk's length and its body postings; title/heading occurrences are added as heading
 * postings, each posting with its impact (see migrations/003). The terms' document
 * frequencies and the collection's totals are updated from the postings just written, so
 * no step rescans older postings and no chunk row is written twice.
 */
async function writeChunks(tx: Queryable, collection: string, cols: ChunkColumns): Promise<void> {
  if (!cols.doc.length) return;
  const { k1, b, headingBoost } = defaultBm25;
  await tx.query(`SET LOCAL work_mem = '${WRITE_WORK_MEM}'`);
  await tx.query(
    `WITH src AS MATERIALIZED (
            SELECT u.doc, u.ord, u.heading, u.anchor, u.content, u.emb, v.tsv, l.length
              FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(doc, ord, heading, anchor, content, emb)
             CROSS JOIN LATERAL (SELECT to_tsvector('english', u.content) AS tsv OFFSET 0) v
             CROSS JOIN LATERAL (SELECT coalesce(sum(coalesce(array_length(t.positions, 1), 1)), 0)::real AS length FROM unnest(v.tsv) t) l),
          inserted AS (
            INSERT INTO chunks (document_id, collection, ord, heading, anchor, content, length, embedding)
            SELECT doc, $1, ord, heading, anchor, content, length, emb::vector FROM src
            RETURNING id, document_id, ord),
          keyed AS (SELECT i.id, s.doc, s.heading, s.tsv, s.length FROM inserted i JOIN src s ON s.doc = i.document_id AND s.ord = i.ord),
          occ AS (
            SELECT k.id, t.lexeme AS term, coalesce(array_length(t.positions, 1), 1) AS body, 0 AS head
              FROM keyed k CROSS JOIN LATERAL unnest(k.tsv) t
            UNION ALL
            SELECT k.id, t.lexeme, 0, coalesce(array_length(t.positions, 1), 1)
              FROM keyed k JOIN documents d ON d.id = k.doc
             CROSS JOIN LATERAL unnest(to_tsvector('english', d.title || ' ' || k.heading)) t),
          agg AS (SELECT id, term, sum(body)::real AS tf, sum(head)::real AS tf_head FROM occ GROUP BY id, term),
          batch AS (SELECT count(*) AS n, coalesce(sum(length), 0)::float8 AS total FROM src),
          avg AS (SELECT greatest((coalesce(cs.total_length, 0) + batch.total) / greatest(coalesce(cs.chunk_count, 0) + batch.n, 1), 1) AS avgdl
                    FROM batch LEFT JOIN collection_stats cs ON cs.collection = $1),
          posted AS (
            INSERT INTO chunk_terms (term, chunk_id, collection, tf, tf_head, length, impact)
            SELECT agg.term, agg.id, $1, agg.tf, agg.tf_head, k.length,
                   (agg.tf + $10::real * agg.tf_head) / (agg.tf + $10::real * agg.tf_head + $8::real * (1 - $9::real + $9::real * k.length / avg.avgdl))
              FROM agg JOIN keyed k ON k.id = agg.id CROSS JOIN avg
             ORDER BY 1, 7 DESC -- in the impact index's order: neighbouring inserts touch the same pages
            RETURNING term),
          df AS (
            INSERT INTO term_stats (collection, term, df)
            SELECT $1, term, count(*) FROM posted GROUP BY term ORDER BY term
            ON CONFLICT (term, collection) DO UPDATE SET df = term_stats.df + EXCLUDED.df),
          totals AS (
            INSERT INTO collection_stats (collection, chunk_count, total_length)
            SELECT $1, batch.n, batch.total FROM batch
            ON CONFLICT (collection) DO UPDATE SET chunk_count = collection_stats.chunk_count + EXCLUDED.chunk_count,
                                                   total_length = collection_stats.total_length + EXCLUDED.total_length)
     SELECT count(*) FROM inserted`,
    [collection, cols.doc, cols.ord, cols.heading, cols.anchor, cols.content, cols.emb, k1, b, headingBoost],
  );
}

/** The BM25 statement and its parameters (see KnowledgeStore.bm25). */
function bm25Statement(query: string, collections: string[], k: number, params: Bm25Params, feedback: Feedback | undefined, rows: boolean, filter?: MetadataFilter): [string, unknown[]] {
  const { k1, b, headingBoost, postingsPerTerm } = params;
  const withFeedback = !!feedback && feedback.terms > 0 && feedback.chunks > 0;
  // $1 query, $2 collections, $3 k, $4 k1, $5 b, $6 heading weight, $7 postings per term,
  // then $8..$11 feedback chunks, terms, weight, pool, then the filter.
  const filterParam = `$${withFeedback ? 12 : 8}`;
  // With a filter, each term's best postings are its best among the matching chunks (the
  // statistics stay the collections'): read in impact order, skipping the others.
  const allowed = filter ? `AND ct.chunk_id IN (SELECT id FROM allowed)` : '';
  const postings = (idf: string, limit: string) => `SELECT ${idf}.idf, p.* FROM ${idf} CROSS JOIN unnest($2::text[]) AS col(name)
             CROSS JOIN LATERAL (SELECT ct.chunk_id, ct.tf + $6::float8 * ct.tf_head AS tf, ct.length FROM chunk_terms ct
                                  WHERE ct.term = ${idf}.term AND ct.collection = col.name ${allowed}
                                  ORDER BY ct.impact DESC LIMIT ${limit}) p`;
  const score = (from: string) => `SELECT p.chunk_id, sum(p.idf * p.tf * ($4::float8 + 1) / (p.tf + $4::float8 * (1 - $5::float8 + $5::float8 * p.length / cs.avgdl)))::float8 AS score
             FROM ${from} p CROSS JOIN cs GROUP BY p.chunk_id`;
  const idfOf = (terms: string, weight: string) => `SELECT t.term, ${weight} * ${idfSql('cs.n', 'sum(ts.df)')} AS idf
             FROM ${terms} t JOIN term_stats ts ON ts.term = t.term AND ts.collection = ANY($2::text[]) CROSS JOIN cs
            GROUP BY t.term, cs.n`;
  const sql = `WITH asked AS (SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', $1))),${filter ? `\n          allowed AS MATERIALIZED (${filteredChunks('$2', filterParam)}),` : ''}
          cs AS (SELECT sum(chunk_count)::float8 AS n, sum(total_length)::float8 / greatest(sum(chunk_count), 1) AS avgdl
                   FROM collection_stats WHERE collection = ANY($2::text[])),
          idf AS (${idfOf('asked', '1.0::float8')}),
          first AS (${score(`(${postings('idf', '$7::int')})`)})${
            withFeedback
              ? `,
          pool AS MATERIALIZED (SELECT chunk_id, score FROM first ORDER BY score DESC, chunk_id LIMIT $11::int),
          top AS (SELECT chunk_id FROM pool ORDER BY score DESC, chunk_id LIMIT $8::int),
          candidates AS (SELECT term, sum(tf + tf_head) AS w FROM chunk_terms
                          WHERE chunk_id IN (SELECT chunk_id FROM top) AND length(term) > 2 AND term NOT IN (SELECT term FROM asked)
                          GROUP BY term),
          added AS (SELECT c.term FROM candidates c
                      CROSS JOIN LATERAL (SELECT sum(df) AS df FROM term_stats ts WHERE ts.term = c.term AND ts.collection = ANY($2::text[])) d
                      CROSS JOIN cs
                     WHERE d.df >= 2
                     ORDER BY c.w * ${idfSql('cs.n', 'd.df')} DESC, c.term
                     LIMIT $9::int),
          added_idf AS (${idfOf('added', '$10::float8')}),
          added_scores AS (${score(`(${postings('added_idf', 'greatest($7::int / 8, 1)')})`)}),
          scores AS (SELECT chunk_id, sum(score) AS score FROM (SELECT * FROM pool UNION ALL SELECT * FROM added_scores) s GROUP BY chunk_id)`
              : ''
          },
          ranked AS (SELECT chunk_id, score FROM ${withFeedback ? 'scores' : 'first'} ORDER BY score DESC, chunk_id LIMIT $3)
     ${listed('ranked', rows ? '$1' : undefined, rows ? `(SELECT json_agg(t) FROM (${queryTermStats('asked', '$2')}) t) AS query_term_stats` : undefined)}`;
  const values: unknown[] = [query, collections, k, k1, b, headingBoost, postingsPerTerm];
  if (withFeedback) values.push(feedback.chunks, feedback.terms, feedback.weight, Math.max(feedbackPool, k));
  if (filter) values.push(JSON.stringify(filter));
  return [sql, values];
}

/**
 * SQL access to documents, chunks and BM25 statistics. Writes happen in whole batches of
 * documents inside one transaction, so a reader never sees half a document.
 */
export class KnowledgeStore {
  private readonly scopeSizes = new Map<string, { scope: number; total: number; at: number }>();

  private readonly search: VectorSearchOptions;

  /** `search`: the vector queries' search-time settings unless a query brings its own (default defaultVectorSearch). */
  constructor(
    private readonly db: Database,
    options: { search?: VectorSearchOptions } = {},
  ) {
    this.search = options.search ?? defaultVectorSearch;
  }

  /** Every document of a collection with its content hash, chunk count and source file stat. */
  async documentStates(collection: string): Promise<Map<string, StoredDocument>> {
    const r = await this.db.query<{ source: string; content_hash: string; chunk_count: number; source_size: string | number | null; source_mtime_ms: number | null; parser_version: string | null; file_path: string | null }>(
      'SELECT source, content_hash, chunk_count, source_size, source_mtime_ms, parser_version, file_path FROM documents WHERE collection = $1',
      [collection],
    );
    return new Map(
      r.rows.map((x) => [
        x.source,
        {
          contentHash: x.content_hash,
          chunkCount: Number(x.chunk_count),
          sourceStat:
            x.source_size === null || x.source_mtime_ms === null || x.parser_version === null
              ? undefined
              : { size: Number(x.source_size), mtimeMs: Number(x.source_mtime_ms), parserVersion: x.parser_version },
          filePath: x.file_path ?? undefined,
        },
      ]),
    );
  }

  /**
   * Records the current stat of files that were read and found unchanged (touched, not
   * edited), so the next ingest skips them unread. Only where the stored hash is still
   * the one that was compared.
   */
  async recordSourceStats(collection: string, files: { source: string; contentHash: string; stat: SourceStat }[]): Promise<void> {
    if (!files.length) return;
    await this.db.query(
      `UPDATE documents d SET source_size = u.size, source_mtime_ms = u.mtime, parser_version = u.parser
         FROM unnest($2::text[], $3::text[], $4::bigint[], $5::float8[], $6::text[]) AS u(source, hash, size, mtime, parser)
        WHERE d.collection = $1 AND d.source = u.source AND d.content_hash = u.hash`,
      [collection, files.map((f) => f.source), files.map((f) => f.contentHash), files.map((f) => f.stat.size), files.map((f) => f.stat.mtimeMs), files.map((f) => f.stat.parserVersion)],
    );
  }

  /** Records the file each document was read from (where it is not recorded yet or moved). */
  async recordFilePaths(collection: string, files: { source: string; filePath: string }[]): Promise<void> {
    if (!files.length) return;
    await this.db.query(
      `UPDATE documents d SET file_path = u.path FROM unnest($2::text[], $3::text[]) AS u(source, path)
        WHERE d.collection = $1 AND d.source = u.source AND d.file_path IS DISTINCT FROM u.path`,
      [collection, files.map((f) => f.source), files.map((f) => f.filePath)],
    );
  }

  /**
   * Replaces (or adds) the given documents, and removes `removeSources`, atomically. A
   * document that reuses stored chunks (`storedId`) is edited in place: only its other
   * chunks are written.
   */
  async writeDocuments(collection: string, docs: NewDocument[], removeSources: string[] = []): Promise<void> {
    // Batches written at the same time can deadlock on term_stats rows (a removal and an
    // insert lock terms in different orders); PostgreSQL then aborts one, which runs again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.writeBatch(collection, docs, removeSources);
      } catch (err) {
        if (attempt >= WRITE_ATTEMPTS || (err as { code?: string } | null)?.code !== '40P01') throw err;
      }
    }
  }

  private async writeBatch(collection: string, docs: NewDocument[], removeSources: string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const sources = [...docs.map((d) => d.source), ...removeSources];
      const old = await tx.query<{ id: string; source: string }>('SELECT id::text AS id, source FROM documents WHERE collection = $1 AND source = ANY($2::text[]) ORDER BY id FOR UPDATE', [collection, sources]);
      const oldBySource = new Map(old.rows.map((r) => [r.source, r.id]));
      const editing = docs.filter((d) => d.chunks.some((c) => c.storedId !== undefined));
      const edited = new Set(editing.map((d) => d.source));
      if (editing.some((d) => !oldBySource.has(d.source))) throw new KbError('store/concurrent_change');
      await removeDocuments(tx, collection, old.rows.filter((r) => !edited.has(r.source)).map((r) => r.id));
      await updateDocuments(tx, collection, editing.map((doc) => ({ id: oldBySource.get(doc.source)!, doc })));

      const added = docs.filter((d) => !edited.has(d.source));
      const idBySource = new Map(editing.map((d) => [d.source, oldBySource.get(d.source)!]));
      if (added.length) {
        const inserted = await tx.query<{ id: string; source: string }>(
          `INSERT INTO documents (collection, source, title, url, content_hash, chunk_count, source_size, source_mtime_ms, parser_version, metadata)
           SELECT $1, u.source, u.title, u.url, u.hash, u.n, u.size, u.mtime, u.parser, u.meta::jsonb
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::float8[], $9::text[], $10::text[]) AS u(source, title, url, hash, n, size, mtime, parser, meta)
           RETURNING id, source`,
          [collection, added.map((d) => d.source), ...documentColumns(added)],
        );
        for (const r of inserted.rows) idBySource.set(r.source, r.id);
      }
      const cols: ChunkColumns = { doc: [], ord: [], heading: [], anchor: [], content: [], emb: [] };
      for (const d of docs) {
        const id = idBySource.get(d.source)!;
        for (const c of d.chunks) {
          if (c.embedding === undefined) continue;
          cols.doc.push(id);
          cols.ord.push(c.ord);
          cols.heading.push(c.heading);
          cols.anchor.push(c.anchor ?? null);
          cols.content.push(c.content);
          cols.emb.push(toVectorLiteral(c.embedding));
        }
      }
      await writeChunks(tx, collection, cols);
    });
  }

  /**
   * The stored chunks of the given sources (those the collection has), each with its anchor
   * and digest (chunkDigest), so an edited version of a document can keep the chunks it
   * did not change instead of embedding and indexing them again.
   */
  async storedChunks(collection: string, sources: string[]): Promise<Map<string, StoredChunks>> {
    const out = new Map<string, StoredChunks>();
    if (!sources.length) return out;
    const r = await this.db.query<{ source: string; title: string; id: string; anchor: string | null; digest: string }>(
      `SELECT d.source, d.title, c.id::text AS id, c.anchor, ${chunkDigestSql('c')} AS digest
         FROM documents d JOIN chunks c ON c.document_id = d.id
        WHERE d.collection = $1 AND d.source = ANY($2::text[])
        ORDER BY d.source, c.ord`,
      [collection, sources],
    );
    for (const x of r.rows) {
      let doc = out.get(x.source);
      if (!doc) out.set(x.source, (doc = { title: x.title, chunks: [] }));
      doc.chunks.push({ id: x.id, anchor: x.anchor, digest: x.digest });
    }
    return out;
  }

  /** Current content hashes of the given documents, keyed `collection/source`. */
  async currentHashes(docs: { collection: string; source: string }[]): Promise<Map<string, string>> {
    if (!docs.length) return new Map();
    const r = await this.db.reader().query<{ collection: string; source: string; content_hash: string }>(
      'SELECT d.collection, d.source, d.content_hash FROM documents d JOIN unnest($1::text[], $2::text[]) AS u(collection, source) ON d.collection = u.collection AND d.source = u.source',
      [docs.map((d) => d.collection), docs.map((d) => d.source)],
    );
    return new Map(r.rows.map((x) => [`${x.collection}/${x.source}`, x.content_hash]));
  }

  async removeDocuments(collection: string, sources: string[]): Promise<void> {
    if (sources.length) await this.writeDocuments(collection, [], sources);
  }

  /**
   * Real BM25F (IDF, k1 saturation, b length normalisation, heading weight) over the stored
   * postings, in one statement. Each query term contributes its `postingsPerTerm`
   * highest-impact postings per collection, read in order from the covering index; a
   * chunk's score sums the exact BM25 of the postings read. Rare terms are always read in
   * full; for a term in more chunks than that, a chunk outside its best postings misses only
   * that (low-IDF) term's share.
   *
   * With `feedback`, pseudo-relevance feedback runs in the same statement: the `terms`
   * heaviest terms (tf × idf, seen in at least two chunks) of the `chunks` best first-pass
   * chunks join the query with `weight`, each read to an eighth of the postings (they
   * re-rank more than they find). Feedback scores are added to the first-pass scores of the
   * `feedbackPool` best first-pass chunks; a chunk below that pool reached only through
   * feedback terms keeps its feedback score alone. (Summing feedback into every first-pass
   * chunk, thousands for common terms, doubled the statement's time and changed no ranking
   * on the dev questions.)
   *
   * bm25WithRows() runs the same search and also returns the rows and the query's terms.
   */
  async bm25(query: string, collections: string[], k: number, params: Bm25Params = defaultBm25, feedback?: Feedback, filter?: MetadataFilter): Promise<RankedChunk[]> {
    return ranked(await this.db.reader().query<RankedRow>(...bm25Statement(query, collections, k, params, feedback, false, filter)));
  }

  /**
   * bm25() with each hit's chunk row (with the query terms it contains) and the query's
   * term statistics (as queryTerms() gives them), in the same statement.
   */
  async bm25WithRows(query: string, collections: string[], k: number, params: Bm25Params = defaultBm25, feedback?: Feedback, filter?: MetadataFilter): Promise<{ hits: RankedChunk[]; queryTerms: QueryTerm[] }> {
    const r = await this.db.reader().query<RankedRow & { query_term_stats: QueryTerm[] }>(...bm25Statement(query, collections, k, params, feedback, true, filter));
    // No hit means no query term occurs in the scope; the separate statement still lists them.
    const queryTerms = r.rows.length ? r.rows[0]!.query_term_stats.map(toQueryTerm) : await this.queryTerms(query, collections);
    return { hits: ranked({ rows: r.rows.map(({ query_term_stats: _, ...row }) => row) }), queryTerms };
  }

  /** Query terms with their IDF, and terms the collections do not contain at all. */
  async queryTerms(query: string, collections: string[]): Promise<QueryTerm[]> {
    const r = await this.db.reader().query<QueryTerm>(
      `WITH q AS (SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', $1))) ${queryTermStats('q', '$2')}`,
      [query, collections],
    );
    return r.rows.map(toQueryTerm);
  }

  /**
   * Cosine nearest neighbours. Through the vector index (HNSW or IVFFlat, whichever is
   * built), except when the scope is a small part of a larger table (at most `exactScopeRows`
   * rows and under half of all rows): there an index scan must discard most of what it visits
   * and misses true neighbours, while an exact scan of the scope is both cheap and complete.
   * An index scan that still returns fewer than `k` rows from a scope that holds more (its
   * iterative scan gave up) is answered by the exact scan instead, so a search never returns
   * fewer than `k` rows while the scope has `k`.
   *
   * With a metadata `filter`, the scope is the matching chunks of the collections (counted
   * through the metadata index), and the same rules apply: a selective filter is an exact scan
   * of its chunks; otherwise the index scan filters as it goes (iterative scans keep going
   * until k rows pass), with the exact scan behind it. A plain WHERE after a graph walk of
   * ef_search candidates would return only the few of them that match.
   *
   * The search-time settings (`search`, else the store's) apply to this query alone: they are
   * set in the statement itself, by an uncorrelated sub-select the planner evaluates once
   * before the index scan starts (set_config's `is_local` ends them with the statement's
   * transaction).
   */
  async vector(
    embedding: number[],
    dimension: number,
    collections: string[],
    k: number,
    options: { exactScopeRows?: number; rowsFor?: string; search?: Partial<VectorSearchOptions>; filter?: MetadataFilter } = {},
  ): Promise<RankedChunk[]> {
    const { exactScopeRows = 20_000 } = options;
    const { scope, total } = await this.scopeSize(collections, options.filter);
    const exact = scope <= exactScopeRows && scope < total / 2;
    const hits = await this.nearest(embedding, dimension, collections, k, exact, options);
    if (exact || hits.length >= k || hits.length >= scope) return hits;
    return this.nearest(embedding, dimension, collections, k, true, options);
  }

  private async nearest(
    embedding: number[],
    dimension: number,
    collections: string[],
    k: number,
    exact: boolean,
    options: { rowsFor?: string; search?: Partial<VectorSearchOptions>; filter?: MetadataFilter },
  ): Promise<RankedChunk[]> {
    const dim = checkedDimension(dimension);
    const type = vectorPrecision(this.db.kind);
    const params: unknown[] = [toVectorLiteral(embedding), collections, k];
    const param = (v: unknown) => `$${params.push(v)}`;
    const search = { ...this.search, ...options.search };
    // The matching documents' ids (fewer than their chunks) as a hashed set the scan probes.
    const filtered = options.filter ? `AND document_id IN (SELECT fd.id FROM documents fd WHERE fd.collection = ANY($2::text[]) AND fd.metadata @> ${param(JSON.stringify(options.filter))}::jsonb)` : '';
    const settings = exact ? '' : `AND (SELECT set_config('hnsw.ef_search', ${param(String(Math.trunc(search.efSearch)))}, true) || set_config('ivfflat.probes', ${param(String(Math.trunc(search.probes)))}, true)) IS NOT NULL`;
    // The index orders by its key's distance (half precision on a server); the score
    // returned is the exact cosine. "+ 0" keeps the planner off the index: the exact plan
    // reads the scope through the collection index and sorts by distance.
    const nearest = `SELECT id AS chunk_id, (1 - (embedding::vector(${dim}) <=> $1::vector(${dim})))::float8 AS score FROM chunks
        WHERE collection = ANY($2::text[]) AND vector_dims(embedding) = ${dim} ${filtered} ${settings}
        ORDER BY ${exact ? `(embedding::vector(${dim}) <=> $1::vector(${dim})) + 0, id` : `embedding::${type}(${dim}) <=> $1::${type}(${dim})`}
        LIMIT $3`;
    const rowsFor = options.rowsFor === undefined ? undefined : param(options.rowsFor);
    const r = await this.db.reader().query<RankedRow>(`WITH nearest AS (${nearest}) ${listed('nearest', rowsFor)}`, params);
    // Iterative index scans (relaxed order) and half-precision keys may return neighbours
    // slightly out of exact order.
    return ranked(r).sort((a, b) => b.score - a.score || compareIds(a.id, b.id));
  }

  /**
   * Rows in the scope and in all collections, remembered for a few seconds (it only picks
   * the plan: both plans return correct neighbours).
   */
  private async scopeSize(collections: string[], filter?: MetadataFilter): Promise<{ scope: number; total: number }> {
    const key = JSON.stringify([collections, filterKey(filter)]);
    const hit = this.scopeSizes.get(key);
    if (hit && performance.now() - hit.at < 10_000) return hit;
    const r = await this.db.reader().query<{ scope: number; total: number }>(
      filter
        ? `SELECT (SELECT coalesce(sum(chunk_count), 0) FROM documents WHERE collection = ANY($1::text[]) AND metadata @> $2::jsonb)::float8 AS scope,
                  (SELECT coalesce(sum(chunk_count), 0) FROM collection_stats)::float8 AS total`
        : 'SELECT coalesce(sum(chunk_count) FILTER (WHERE collection = ANY($1::text[])), 0)::float8 AS scope, coalesce(sum(chunk_count), 0)::float8 AS total FROM collection_stats',
      filter ? [collections, JSON.stringify(filter)] : [collections],
    );
    const size = { scope: Number(r.rows[0]?.scope ?? 0), total: Number(r.rows[0]?.total ?? 0), at: performance.now() };
    if (this.scopeSizes.size > 1000) this.scopeSizes.clear();
    this.scopeSizes.set(key, size);
    return size;
  }

  /**
   * After a bulk change: refreshes planner statistics and the visibility map (VACUUM), so
   * BM25 reads postings from the covering index alone, without visiting the table. Runs
   * without the query statement timeout (VACUUM cannot run in a transaction).
   */
  async refreshStatistics(): Promise<void> {
    await runMaintenance(this.db, (q) => q.query('VACUUM (ANALYZE) chunks, chunk_terms, term_stats'), { transaction: false });
  }

  /** The seed recipe's lexical half: plainto_tsquery + ts_rank over to_tsvector(content). */
  async tsRank(query: string, collections: string[], k: number, options: { rows?: boolean; filter?: MetadataFilter } = {}): Promise<RankedChunk[]> {
    const matched = `SELECT id AS chunk_id, ts_rank(to_tsvector('english', content), plainto_tsquery('english', $1))::float8 AS score FROM chunks
        WHERE collection = ANY($2::text[]) AND to_tsvector('english', content) @@ plainto_tsquery('english', $1) ${options.filter ? `AND id IN (${filteredChunks('$2', '$4')})` : ''}
        ORDER BY score DESC, id LIMIT $3`;
    const r = await this.db.reader().query<RankedRow>(
      `WITH matched AS (${matched}) ${listed('matched', options.rows ? '$1' : undefined)}`,
      options.filter ? [query, collections, k, JSON.stringify(options.filter)] : [query, collections, k],
    );
    return ranked(r);
  }

  /**
   * The rows of the given chunks; with `query`, each also lists which of the query's terms
   * it contains (`query_terms`, for evidence scoring), in the same round trip.
   */
  async chunks(ids: string[], query?: string): Promise<Map<string, ChunkRow>> {
    if (!ids.length) return new Map();
    const r = await this.db.reader().query<ChunkRow>(
      `SELECT ${rowColumns}${query === undefined ? '' : `, ${queryTermsColumn('$2')}`}
         FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY($1::bigint[])`,
      query === undefined ? [ids] : [ids, query],
    );
    return new Map(r.rows.map((x) => [x.id, x]));
  }

  async stats(collections?: string[]): Promise<{ documents: number; chunks: number }> {
    const r = await this.db.query<{ documents: string; chunks: string }>(
      'SELECT (SELECT count(*) FROM documents WHERE $1::text[] IS NULL OR collection = ANY($1::text[])) AS documents, (SELECT count(*) FROM chunks WHERE $1::text[] IS NULL OR collection = ANY($1::text[])) AS chunks',
      [collections ?? null],
    );
    return { documents: Number(r.rows[0]?.documents ?? 0), chunks: Number(r.rows[0]?.chunks ?? 0) };
  }
}
