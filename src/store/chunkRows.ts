import type { Placeholder } from './sqlParams.ts';

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
  /** The query's terms this chunk contains (only when asked for, see DocumentStore.chunks()). */
  query_terms?: string[];
}

export interface RankedChunk {
  id: string;
  score: number;
  /** The chunk's row, when the search was asked to return rows. */
  row?: ChunkRow;
}

/** A chunk's row (ChunkRow) but its id, from `chunks c JOIN documents d`. */
const rowFields = 'c.document_id::text AS document_id, c.collection, d.source, d.title, d.url, c.heading, c.anchor, c.content, d.content_hash';

/** A chunk's row (ChunkRow) from `chunks c JOIN documents d`. */
export const rowColumns = `c.id::text AS id, ${rowFields}`;

/** Which of the query's terms (the text in parameter `query`) chunk `c` contains. */
export const queryTermsColumn = (query: Placeholder) =>
  `ARRAY(SELECT ct.term FROM chunk_terms ct WHERE ct.chunk_id = c.id AND ct.term = ANY(tsvector_to_array(to_tsvector('english', ${query}))) ORDER BY ct.term) AS query_terms`;

/**
 * The ranked list `list` (chunk_id, score), best first; with `rows` (the parameter holding
 * the query), each chunk's row and the query terms it contains come in the same statement,
 * for the `best` first chunks only when given (the others have no row).
 */
export const listed = (list: string, rows?: { query: Placeholder; best?: Placeholder }) => {
  if (rows === undefined) return `SELECT r.chunk_id AS id, r.score FROM ${list} r ORDER BY r.score DESC, r.chunk_id`;
  if (rows.best === undefined) return `SELECT r.score, ${rowColumns}, ${queryTermsColumn(rows.query)} FROM ${list} r JOIN chunks c ON c.id = r.chunk_id JOIN documents d ON d.id = c.document_id ORDER BY r.score DESC, r.chunk_id`;
  return `SELECT r.score, r.chunk_id::text AS id, x.* FROM (SELECT l.*, row_number() OVER (ORDER BY l.score DESC, l.chunk_id) AS rank FROM ${list} l) r
     LEFT JOIN LATERAL (SELECT ${rowFields}, ${queryTermsColumn(rows.query)} FROM chunks c JOIN documents d ON d.id = c.document_id
                         WHERE c.id = r.chunk_id AND r.rank <= ${rows.best}::int) x ON true
    ORDER BY r.score DESC, r.chunk_id`;
};

/** A row of listed(). */
export type RankedRow = { id: string; score: number } & Partial<ChunkRow>;

export const ranked = (r: { rows: RankedRow[] }): RankedChunk[] =>
  r.rows.map(({ score, ...row }) => ({ id: String(row.id), score: Number(score), ...(row.document_id == null ? {} : { row: { ...row, id: String(row.id) } as ChunkRow }) }));

/**
 * Chunks of the documents in the collections (parameter `collections`) whose metadata
 * contains the filter (parameter `filter`, one jsonb value): the documents come from the
 * metadata GIN index, their chunks from the document index.
 */
export const filteredChunks = (collections: Placeholder, filter: Placeholder) =>
  `SELECT fc.id FROM documents fd JOIN chunks fc ON fc.document_id = fd.id WHERE fd.collection = ANY(${collections}::text[]) AND fd.metadata @> ${filter}::jsonb`;
