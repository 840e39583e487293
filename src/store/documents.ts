import { createHash } from 'node:crypto';
import type { Metadata } from './metadata.ts';

/** Documents and chunks as ingest hands them to the store (DocumentStore) and reads them back. */

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
export const chunkDigestSql = (c: string) => `md5(${c}.heading || chr(31) || ${c}.content)`;

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

