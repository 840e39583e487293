import { createHash } from 'node:crypto';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { runMaintenance, type Database } from '../db/database.ts';
import { KbError } from '../errors.ts';
import { chunkDigest, type KnowledgeStore, type NewChunk, type NewDocument, type StoredChunks, type StoredDocument } from '../store/knowledgeStore.ts';
import { ensureEmbeddingSpace, type EmbeddingSpace } from '../store/embeddingSpace.ts';
import { builtVectorIndex, createVectorIndex, vectorIndexName, vectorPrecision, type VectorIndexOptions } from '../store/vectorIndex.ts';
import { findChangedSources, type ChangedSource } from './changedSources.ts';
import { listSourceFiles, parseSource, processingVersion, type SourceFile } from './sourceFiles.ts';
import { DEFAULT_CHUNKING, type ChunkOptions } from './chunker.ts';
import { filterKey, type Metadata } from '../store/metadata.ts';
import type { Chunk } from './types.ts';

export interface IngestRequest {
  inputs: string[];
  collection: string;
  baseUrl?: string;
  /** Remove documents whose files were under `inputs` and are gone. */
  prune?: boolean;
  /** Let a prune remove every document of the collection. */
  force?: boolean;
  /** Read and hash every file, even those whose size and mtime are unchanged. */
  rehash?: boolean;
  /** Metadata for every document of this ingest (`--meta key=value`), over the files' own. */
  meta?: Metadata;
  onProgress?: (done: number, total: number) => void;
}

export interface IngestSummary {
  collection: string;
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  /** Chunks of the added and changed documents. */
  chunks: number;
  /** Of those, chunks embedded and indexed... */
  embedded: number;
  /** ...and chunks an edited document kept unchanged from its stored version. */
  reused: number;
  seconds: number;
}

export interface IngestDeps {
  db: Database;
  store: KnowledgeStore;
  embeddings: EmbeddingsInterface;
  space: EmbeddingSpace;
  /** Called after documents were replaced or removed (answer-cache invalidation). */
  onDocumentsChanged?: (docs: { collection: string; source: string }[]) => Promise<void>;
  /** Batches written at the same time, each in its own transaction (default 2; 1 on PGlite, which has one connection). */
  writers?: number;
  /**
   * Batches parsed and embedded ahead of the writes (default 1). A remote embedder gains from
   * several requests in flight (REMOTE_EMBED_AHEAD); a local one only from one, since more
   * would share the same thread and delay the batch the writers wait for.
   */
  embedAhead?: number;
  /** How documents are cut into chunks (default DEFAULT_CHUNKING). */
  chunking?: ChunkOptions;
  /** The configured vector index (default HNSW with build parameters by table size). */
  vectorIndex?: VectorIndexOptions;
}

/** Embedding requests in flight during an ingest with a remote (OpenAI-compatible) embedder. */
export const REMOTE_EMBED_AHEAD = 4;

const BATCH_DOCUMENTS = 64;
/**
 * ANALYZE after an ingest that rewrote at least this share of the collection's chunks (or
 * filled an empty one); smaller changes barely move the statistics and are left to
 * autovacuum, instead of costing every small re-ingest a full sample of three tables.
 */
const ANALYZE_SHARE = 0.2;

/** Text that is embedded for a chunk: where it sits, then what it says. */
export const embeddingText = (title: string, heading: string, content: string) => `${title}. ${heading === title ? '' : heading + '. '}${content}`;

/**
 * Ingests files into a collection. Every new or changed file is read and validated before
 * anything is written, so a bad file stops the run with nothing changed (files whose size
 * and mtime match the last ingest are not read at all). Unchanged documents (same content
 * hash) cost no embedding work; of a changed one, only the chunks that changed are embedded
 * and indexed (see matchStoredChunks). Documents are written in batches, each batch one
 * transaction. Batches are pipelined: the next `embedAhead` batches are parsed and embedded
 * while PostgreSQL writes the previous ones, `writers` batches at a time on their own
 * connections. A failed write stops the run after the writes in flight have finished:
 * every batch is either committed whole or not at all, and running again completes it.
 */
export async function ingest(deps: IngestDeps, req: IngestRequest): Promise<IngestSummary> {
  const started = performance.now();
  const files = await listSourceFiles(req.inputs);
  const stored = await deps.store.documentStates(req.collection);
  const chunking = deps.chunking ?? DEFAULT_CHUNKING;
  // Different --meta pairs make every file count as changed (its documents' metadata does).
  const meta = req.meta && Object.keys(req.meta).length ? req.meta : undefined;
  const version = `${processingVersion(chunking)}${meta ? `;meta:${createHash('sha256').update(filterKey(meta)).digest('hex').slice(0, 16)}` : ''}`;
  const { changed: pending, unchanged, restat } = await findChangedSources(files, stored, { rehash: req.rehash, version });

  await ensureEmbeddingSpace(deps.db, deps.space);
  if (restat.length) await deps.store.recordSourceStats(req.collection, restat);
  const toRemove = req.prune ? pruneCandidates(req.inputs, files, stored) : [];
  if (toRemove.length && toRemove.length === stored.size && !req.force) {
    throw new KbError(
      'input/invalid_argument',
      `--prune would remove all ${stored.size} documents of collection "${req.collection}" (none of their files is left under ${req.inputs.join(', ')}): check the path, or add --force to remove them`,
    );
  }
  const base = req.baseUrl ? (req.baseUrl.endsWith('/') ? req.baseUrl : req.baseUrl + '/') : undefined;

  let embedded = 0;
  let reused = 0;
  let chunks = 0;
  /** Parses and embeds one batch, yielding between documents so an overlapping write keeps going. */
  const prepare = async (batch: ChangedSource[]): Promise<NewDocument[]> => {
    const parsed = [];
    for (const s of batch) {
      parsed.push({ ...parseSource(s, chunking), stat: s.stat });
      await yieldToEventLoop();
    }
    // An edited document keeps the chunks it did not change: only the others are embedded.
    const edited = parsed.filter((d) => stored.has(d.source)).map((d) => d.source);
    const before = edited.length ? await deps.store.storedChunks(req.collection, edited) : new Map<string, StoredChunks>();
    const reuse = parsed.map((d) => matchStoredChunks(d.title, d.chunks, before.get(d.source)));
    const fresh = parsed.flatMap((d, i) => d.chunks.filter((_c, j) => reuse[i]![j] === undefined).map((c) => embeddingText(d.title, c.heading, c.content)));
    const vectors = fresh.length ? await deps.embeddings.embedDocuments(fresh) : [];
    if (vectors.length !== fresh.length) throw new Error(`the embedding model returned ${vectors.length} vectors for ${fresh.length} texts`);
    embedded += fresh.length;
    let v = 0;
    return parsed.map((d, i) => ({
      source: d.source,
      title: d.title,
      url: base ? new URL(d.source, base).href : undefined,
      contentHash: d.contentHash,
      sourceStat: d.stat,
      metadata: { ...d.metadata, ...meta },
      chunks: d.chunks.map((c, j): NewChunk => {
        const storedId = reuse[i]![j];
        if (storedId !== undefined) {
          reused++;
          return { ...c, storedId };
        }
        return { ...c, embedding: vectors[v++]! };
      }),
    }));
  };

  req.onProgress?.(0, pending.length);
  const writers = Math.max(1, deps.writers ?? (deps.db.kind === 'pglite' ? 1 : 2));
  const ahead = Math.max(1, deps.embedAhead ?? 1);
  const writing = new Set<Promise<void>>();
  let written = 0;
  let failure: { error: unknown } | undefined;
  /** Batches being parsed and embedded, in order. */
  const prepared: Promise<NewDocument[]>[] = [];
  let nextStart = 0;
  const prepareAhead = () => {
    while (prepared.length < ahead && nextStart < pending.length) {
      const batch = prepare(pending.slice(nextStart, nextStart + BATCH_DOCUMENTS));
      // A failure surfaces when the batch is awaited; until then it must not count as
      // unhandled (which would end the process while a write runs).
      batch.catch(() => undefined);
      prepared.push(batch);
      nextStart += BATCH_DOCUMENTS;
    }
  };
  prepareAhead();
  while (prepared.length && !failure) {
    let docs: NewDocument[];
    try {
      docs = await prepared.shift()!;
    } catch (err) {
      // Writes already started still finish (each is a whole batch), then the run stops.
      await Promise.all(writing);
      await Promise.allSettled(prepared);
      throw err;
    }
    if (failure) break;
    prepareAhead();
    const write = deps.store.writeDocuments(req.collection, docs).then(
      () => {
        chunks += docs.reduce((n, d) => n + d.chunks.length, 0);
        written += docs.length;
        req.onProgress?.(written, pending.length);
      },
      (error: unknown) => {
        failure ??= { error };
      },
    );
    writing.add(write);
    void write.then(() => writing.delete(write));
    if (writing.size >= writers) await Promise.race(writing);
  }
  await Promise.all(writing);
  if (failure) {
    await Promise.allSettled(prepared);
    throw failure.error;
  }
  if (toRemove.length) await deps.store.removeDocuments(req.collection, toRemove);
  await deps.store.recordFilePaths(req.collection, files.filter((f) => stored.get(f.source)?.filePath !== f.absPath).map((f) => ({ source: f.source, filePath: f.absPath })));
  const replaced = pending.filter((d) => stored.has(d.file.source)).map((d) => d.file.source);
  const touched = [...replaced, ...toRemove];
  if (touched.length) await deps.onDocumentsChanged?.(touched.map((source) => ({ collection: req.collection, source })));
  const precision = vectorPrecision(deps.db.kind);
  // An unchanged ingest still builds a missing index (a build that failed or was interrupted
  // after the batches had committed).
  const indexMissing = async () => (await builtVectorIndex(deps.db, vectorIndexName(deps.space.dimension, precision, deps.vectorIndex?.kind))) === undefined;
  if (pending.length || toRemove.length || (await indexMissing())) {
    await runMaintenance(deps.db, (tx) => createVectorIndex(tx, deps.space.dimension, precision, { index: deps.vectorIndex }));
  }
  if (pending.length || toRemove.length) {
    const before = [...stored.values()].reduce((n, d) => n + d.chunkCount, 0);
    // Chunks deleted plus chunks written; a reused chunk was neither.
    const rewritten = touched.reduce((n, s) => n + stored.get(s)!.chunkCount, 0) + chunks - 2 * reused;
    if (!before || rewritten >= ANALYZE_SHARE * before) await deps.store.refreshStatistics();
  }

  return {
    collection: req.collection,
    added: pending.length - replaced.length,
    changed: replaced.length,
    unchanged,
    removed: toRemove.length,
    chunks,
    embedded,
    reused,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The stored documents a prune removes: those whose file was under one of the folders given
 * (or was one of the files given) and is no longer there. A document ingested from
 * elsewhere, e.g. a sibling folder, or whose file path was never recorded, is kept.
 */
export function pruneCandidates(inputs: string[], files: SourceFile[], stored: Map<string, StoredDocument>): string[] {
  const roots = inputs.map((i) => path.resolve(i));
  const within = (p: string) => roots.some((r) => p === r || p.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  const listed = new Set(files.map((f) => f.absPath));
  const seen = new Set(files.map((f) => f.source));
  return [...stored].filter(([source, d]) => d.filePath !== undefined && within(d.filePath) && !listed.has(d.filePath) && !seen.has(source)).map(([source]) => source);
}

/**
 * For each chunk of an edited document, the id of an identical stored chunk it can keep
 * (same heading, content and anchor), each stored chunk used once; none when the title
 * changed, since every chunk's embedding and heading postings include it.
 */
export function matchStoredChunks(title: string, chunks: Chunk[], stored: StoredChunks | undefined): (string | undefined)[] {
  if (!stored || stored.title !== title) return chunks.map(() => undefined);
  const free = new Map<string, string[]>();
  for (const c of stored.chunks) {
    const key = `${c.anchor ?? ''}\0${c.digest}`;
    free.set(key, [...(free.get(key) ?? []), c.id]);
  }
  return chunks.map((c) => free.get(`${c.anchor ?? ''}\0${chunkDigest(c.heading, c.content)}`)?.shift());
}
