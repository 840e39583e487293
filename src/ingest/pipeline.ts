import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { runMaintenance, type Database } from '../db/database.ts';
import { KbError } from '../errors.ts';
import { chunkDigest, type NewChunk, type NewDocument, type SourceStat, type StoredChunks, type StoredDocument } from '../store/documents.ts';
import type { KnowledgeStore } from '../store/knowledgeStore.ts';
import { builtVectorIndex, createVectorIndex, vectorIndexName, vectorPrecision, type EmbeddingSpace, type VectorIndexOptions } from '../store/vectorIndex.ts';
import { processingVersion, type LoadedDocument } from './sourceFiles.ts';
import { DEFAULT_CHUNKING, type ChunkOptions } from './chunker.ts';
import { filterKey, type Metadata } from '../store/metadata.ts';
import type { Chunk } from './types.ts';

export interface IngestDeps {
  db: Database;
  /** The parts of the store ingest writes: documents and the lexical index's statistics. */
  store: Pick<KnowledgeStore, 'documents' | 'lexical'>;
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
 * What a document's content hash depends on besides its bytes: the parser, the chunking and
 * the ingest's --meta pairs (different pairs make every document count as changed, since its
 * metadata does).
 */
export function ingestVersion(chunking: ChunkOptions, meta: Metadata | undefined): string {
  return `${processingVersion(chunking)}${meta ? `;meta:${createHash('sha256').update(filterKey(meta)).digest('hex').slice(0, 16)}` : ''}`;
}

/** A new or changed document to write; parsed and chunked batch by batch, just before it is embedded. */
export interface PendingDocument {
  source: string;
  contentHash: string;
  /** The file's stat, recorded with the document (files only). */
  stat?: SourceStat;
  /** The URL citations link to (a chunk's anchor is added to it). */
  url?: string;
  load(chunking: ChunkOptions): LoadedDocument;
}

export interface WritePlan {
  collection: string;
  /** `kb ingest --meta` pairs, over each document's own metadata. */
  meta?: Metadata;
  pending: PendingDocument[];
  /** The collection's documents before this ingest (documentStates). */
  stored: Map<string, StoredDocument>;
  /** Stored documents to remove (a prune). */
  remove: string[];
  onProgress?: (done: number, total: number) => void;
}

export interface WriteResult {
  added: number;
  changed: number;
  removed: number;
  /** Chunks of the added and changed documents. */
  chunks: number;
  /** Of those, chunks embedded and indexed... */
  embedded: number;
  /** ...and chunks an edited document kept unchanged from its stored version. */
  reused: number;
}

/** Refuses a prune that would remove every document of the collection, unless forced. */
export function checkPrune(collection: string, stored: Map<string, StoredDocument>, remove: string[], force: boolean | undefined, where: string): void {
  if (remove.length && remove.length === stored.size && !force) {
    throw new KbError('input/invalid_argument', `--prune would remove all ${stored.size} documents of collection "${collection}" (${where}): check the path, or add --force to remove them`);
  }
}

/**
 * Writes new and changed documents and removes pruned ones. Unchanged documents never get
 * here; of a changed one, only the chunks that changed are embedded and indexed (see
 * matchStoredChunks). Documents are written in batches, each batch one transaction.
 * A first large ingest into an empty knowledge base writes its postings without their
 * indexes and builds them at the end (LexicalIndex.writing); any other ingest builds
 * them first if an earlier one was killed before it could.
 * Batches are pipelined: the next `embedAhead` batches are parsed and embedded while
 * PostgreSQL writes the previous ones, `writers` batches at a time on their own connections.
 * A failed write stops the run after the writes in flight have finished: every batch is
 * either committed whole or not at all, and running again completes it. Then the terms'
 * heads are written again where writes deleted them, the answer cache hears of the replaced
 * and removed documents, the vector index is built where it is missing, and a large change
 * refreshes the planner statistics.
 */
export async function writeChanges(deps: IngestDeps, plan: WritePlan): Promise<WriteResult> {
  const { collection, pending, stored } = plan;
  const chunking = deps.chunking ?? DEFAULT_CHUNKING;
  let embedded = 0;
  let reused = 0;
  let chunks = 0;
  /** Parses and embeds one batch, yielding between documents so an overlapping write keeps going. */
  const prepare = async (batch: PendingDocument[]): Promise<NewDocument[]> => {
    const parsed = [];
    for (const p of batch) {
      parsed.push({ ...p.load(chunking), stat: p.stat, url: p.url });
      await yieldToEventLoop();
    }
    // An edited document keeps the chunks it did not change: only the others are embedded.
    const edited = parsed.filter((d) => stored.has(d.source)).map((d) => d.source);
    const before = edited.length ? await deps.store.documents.storedChunks(collection, edited) : new Map<string, StoredChunks>();
    const reuse = parsed.map((d) => matchStoredChunks(d.title, d.chunks, before.get(d.source)));
    const fresh = parsed.flatMap((d, i) => d.chunks.filter((_c, j) => reuse[i]![j] === undefined).map((c) => embeddingText(d.title, c.heading, c.content)));
    const vectors = fresh.length ? await deps.embeddings.embedDocuments(fresh) : [];
    if (vectors.length !== fresh.length) throw new Error(`the embedding model returned ${vectors.length} vectors for ${fresh.length} texts`);
    embedded += fresh.length;
    let v = 0;
    return parsed.map((d, i) => ({
      source: d.source,
      title: d.title,
      url: d.url,
      contentHash: d.contentHash,
      sourceStat: d.stat,
      metadata: { ...d.metadata, ...plan.meta },
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

  /** Parses, embeds and writes every pending batch (see above); throws the first failure once the writes in flight end. */
  const writeBatches = async (): Promise<void> => {
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
      const write = deps.store.documents.writeDocuments(collection, docs).then(
        () => {
          chunks += docs.reduce((n, d) => n + d.chunks.length, 0);
          written += docs.length;
          plan.onProgress?.(written, pending.length);
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
  };

  plan.onProgress?.(0, pending.length);
  // A new knowledge base's postings go into a bare table; their indexes are built once after.
  await deps.store.lexical.writing(pending.length > BATCH_DOCUMENTS, writeBatches);
  if (plan.remove.length) await deps.store.documents.removeDocuments(collection, plan.remove);
  const replaced = pending.filter((d) => stored.has(d.source)).map((d) => d.source);
  const touched = [...replaced, ...plan.remove];
  if (touched.length) await deps.onDocumentsChanged?.(touched.map((source) => ({ collection, source })));
  // The heads of the terms written or removed (and any a killed ingest left missing).
  await deps.store.lexical.refreshHeads();
  const precision = vectorPrecision(deps.db.kind);
  // An unchanged ingest still builds a missing index (a build that failed or was interrupted
  // after the batches had committed).
  const indexMissing = async () => (await builtVectorIndex(deps.db, vectorIndexName(deps.space.dimension, precision, deps.vectorIndex?.kind))) === undefined;
  if (pending.length || plan.remove.length || (await indexMissing())) {
    await runMaintenance(deps.db, (tx) => createVectorIndex(tx, deps.space.dimension, precision, { index: deps.vectorIndex }));
  }
  if (pending.length || plan.remove.length) {
    const before = [...stored.values()].reduce((n, d) => n + d.chunkCount, 0);
    // Chunks deleted plus chunks written; a reused chunk was neither.
    const rewritten = touched.reduce((n, s) => n + stored.get(s)!.chunkCount, 0) + chunks - 2 * reused;
    if (!before || rewritten >= ANALYZE_SHARE * before) await deps.store.lexical.refreshStatistics();
  }
  return { added: pending.length - replaced.length, changed: replaced.length, removed: plan.remove.length, chunks, embedded, reused };
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
