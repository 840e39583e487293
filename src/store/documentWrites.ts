import type { Queryable } from '../db/database.ts';
import { KbError } from '../errors.ts';
import type { NewDocument } from './documents.ts';
import { impactSql, lexicalParametersRelation, recordedBm25Sql, removeChunkStatistics } from './postings.ts';
import { toVectorLiteral } from './vectorSearch.ts';

/**
 * One batch write of DocumentStore.writeDocuments, inside its transaction: the documents'
 * rows, their chunks with embeddings, and the chunks' postings and BM25 statistics.
 */

/** work_mem of a batch write: a batch's postings (~55k rows for 64 pages) sort and aggregate in memory. */
export const WRITE_WORK_MEM = '32MB';

/**
 * Replaces (or adds) `docs` and removes `removeSources`. A document that reuses stored chunks
 * (`storedId`) is edited in place: only its other chunks are written.
 */
export async function writeBatch(tx: Queryable, collection: string, docs: NewDocument[], removeSources: string[]): Promise<void> {
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
}

/** Subtracts the BM25 statistics of the given documents' chunks, then deletes them. */
async function removeDocuments(tx: Queryable, collection: string, documentIds: string[]): Promise<void> {
  if (!documentIds.length) return;
  // Chunk ids first: every statement below then goes through an index whatever the
  // planner's statistics say (a first large ingest runs before any ANALYZE).
  const chunks = await tx.query<{ id: string; length: number }>('SELECT id, length FROM chunks WHERE document_id = ANY($1::bigint[])', [documentIds]);
  await removeChunkStatistics(tx, collection, chunks.rows);
  await tx.query('DELETE FROM documents WHERE id = ANY($1::bigint[])', [documentIds]);
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
    [docs.map((d) => d.id), ...documentColumns(docs.map((d) => d.doc))],
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

/**
 * Inserts chunks with their postings in one statement: each body is tokenised and stemmed
 * once by PostgreSQL's english configuration (the one queries go through; `OFFSET 0` keeps
 * the planner from inlining to_tsvector into each of its two uses), giving the
 * chunk's length and its body postings; title/heading occurrences are added as heading
 * postings, each posting with its impact, computed with the recorded parameters (see
 * postings.ts). The terms' document frequencies and the collection's totals are updated from
 * the postings just written, so no step rescans older postings and no chunk row is written twice.
 */
async function writeChunks(tx: Queryable, collection: string, cols: ChunkColumns): Promise<void> {
  if (!cols.doc.length) return;
  await tx.query(`SET LOCAL work_mem = '${WRITE_WORK_MEM}'`);
  const r = await tx.query<{ parameters: string | number }>(
    `WITH lp AS MATERIALIZED (${lexicalParametersRelation}),
          src AS MATERIALIZED (
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
            SELECT agg.term, agg.id, $1, agg.tf, agg.tf_head, k.length, ${impactSql('agg.tf', 'agg.tf_head', 'k.length', 'avg.avgdl', recordedBm25Sql)}
              FROM agg JOIN keyed k ON k.id = agg.id CROSS JOIN avg CROSS JOIN lp
             ORDER BY 1, 7 DESC -- in the impact index's order: neighbouring inserts touch the same pages
            RETURNING term),
          -- The heads of these terms no longer hold their best postings (postings.ts, refreshHeads).
          beheaded AS (DELETE FROM term_heads h WHERE h.collection = $1 AND h.term IN (SELECT term FROM posted)),
          df AS (
            INSERT INTO term_stats (collection, term, df)
            SELECT $1, term, count(*) FROM posted GROUP BY term ORDER BY term
            ON CONFLICT (term, collection) DO UPDATE SET df = term_stats.df + EXCLUDED.df),
          totals AS (
            INSERT INTO collection_stats (collection, chunk_count, total_length)
            SELECT $1, batch.n, batch.total FROM batch
            ON CONFLICT (collection) DO UPDATE SET chunk_count = collection_stats.chunk_count + EXCLUDED.chunk_count,
                                                   total_length = collection_stats.total_length + EXCLUDED.total_length)
     SELECT (SELECT count(*) FROM lp) AS parameters`,
    [collection, cols.doc, cols.ord, cols.heading, cols.anchor, cols.content, cols.emb],
  );
  // Without recorded parameters no posting would be written (LexicalIndex.ensureParameters records them).
  if (!Number(r.rows[0]?.parameters)) throw new Error('lexical_parameters is empty: the BM25 impacts must be computed first (LexicalIndex.ensureParameters)');
}
