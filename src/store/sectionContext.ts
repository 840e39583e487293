import type { Queryable } from '../db/database.ts';
import { rowColumns, type ChunkRow } from './chunkRows.ts';

/** The text of the chunks just before and after a chunk, when they belong to its section. */
export interface SectionContext {
  before?: string;
  after?: string;
}

/**
 * A chunk boundary can fall between a sentence and the code block it introduces ("use a
 * command such as this:"), or between a setting's name and its description; the answerer
 * reads a little past it. One statement for all the chunks, through the documents' index.
 */
export async function sectionContext(db: Queryable, chunkIds: string[]): Promise<Map<string, SectionContext>> {
  if (!chunkIds.length) return new Map();
  const r = await db.query<{ id: string; before: string | null; after: string | null }>(
    `SELECT c.id::text AS id, p.content AS before, n.content AS after
       FROM chunks c
       LEFT JOIN chunks p ON p.document_id = c.document_id AND p.ord = c.ord - 1 AND p.heading = c.heading AND p.anchor IS NOT DISTINCT FROM c.anchor
       LEFT JOIN chunks n ON n.document_id = c.document_id AND n.ord = c.ord + 1 AND n.heading = c.heading AND n.anchor IS NOT DISTINCT FROM c.anchor
      WHERE c.id = ANY($1::bigint[])`,
    [chunkIds],
  );
  return new Map(r.rows.map((x) => [x.id, { before: x.before ?? undefined, after: x.after ?? undefined }]));
}

/**
 * The first chunk of each of these documents: what a page opens with usually says what its
 * subject is, even when the question matched a later part of it better.
 */
export async function openingChunks(db: Queryable, documentIds: string[]): Promise<Map<string, ChunkRow>> {
  if (!documentIds.length) return new Map();
  const r = await db.query<ChunkRow>(
    `SELECT ${rowColumns} FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.document_id = ANY($1::bigint[]) AND c.ord = 0`,
    [documentIds],
  );
  return new Map(r.rows.map((x) => [x.document_id, x]));
}
