import type { Database } from '../db/database.ts';
import { queryTermsColumn, rowColumns, type ChunkRow } from './chunkRows.ts';
import { chunkDigestSql, type NewDocument, type SourceStat, type StoredChunks, type StoredDocument } from './documents.ts';
import { writeBatch } from './documentWrites.ts';
import { SqlParams } from './sqlParams.ts';

/** Tries of a batch write that PostgreSQL aborted to break a deadlock. */
const WRITE_ATTEMPTS = 3;

/**
 * Documents and their chunks: what ingest reads to decide what changed, the batch writes
 * (documentWrites.ts, with the chunks' postings), chunk reuse and removal, and chunk rows
 * for answers. Writes happen in whole batches of documents inside one transaction, so a
 * reader never sees half a document.
 */
export class DocumentStore {
  constructor(private readonly db: Database) {}

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
        return await this.db.transaction((tx) => writeBatch(tx, collection, docs, removeSources));
      } catch (err) {
        if (attempt >= WRITE_ATTEMPTS || (err as { code?: string } | null)?.code !== '40P01') throw err;
      }
    }
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
   * The rows of the given chunks; with `query`, each also lists which of the query's terms
   * it contains (`query_terms`, for evidence scoring), in the same round trip.
   */
  async chunks(ids: string[], query?: string): Promise<Map<string, ChunkRow>> {
    if (!ids.length) return new Map();
    const p = new SqlParams();
    const idsParam = p.add(ids);
    const r = await this.db.reader().query<ChunkRow>(
      `SELECT ${rowColumns}${query === undefined ? '' : `, ${queryTermsColumn(p.add(query))}`}
         FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY(${idsParam}::bigint[])`,
      p.values,
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
