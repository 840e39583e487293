import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Database } from '../db/database.ts';
import type { KnowledgeStore, NewDocument } from '../store/knowledgeStore.ts';
import { createVectorIndex, ensureEmbeddingSpace, type EmbeddingSpace } from '../store/embeddingSpace.ts';
import { listSourceFiles, parseSource, readSource, type SourceText } from './sourceFiles.ts';

export interface IngestRequest {
  inputs: string[];
  collection: string;
  baseUrl?: string;
  prune?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface IngestSummary {
  collection: string;
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  chunks: number;
  embedded: number;
  seconds: number;
}

export interface IngestDeps {
  db: Database;
  store: KnowledgeStore;
  embeddings: EmbeddingsInterface;
  space: EmbeddingSpace;
  /** Called after documents were replaced or removed (answer-cache invalidation). */
  onDocumentsChanged?: (docs: { collection: string; source: string }[]) => Promise<void>;
}

const BATCH_DOCUMENTS = 64;

/** Text that is embedded for a chunk: where it sits, then what it says. */
export const embeddingText = (title: string, heading: string, content: string) => `${title}. ${heading === title ? '' : heading + '. '}${content}`;

/**
 * Ingests files into a collection. Every file is read and parsed before anything is
 * written, so a bad file stops the run with nothing changed. Unchanged documents (same
 * content hash) cost no embedding work; changed ones are replaced whole, in batches,
 * each batch one transaction.
 */
export async function ingest(deps: IngestDeps, req: IngestRequest): Promise<IngestSummary> {
  const started = performance.now();
  const files = await listSourceFiles(req.inputs);
  const loaded: SourceText[] = [];
  for (const f of files) loaded.push(await readSource(f));

  await ensureEmbeddingSpace(deps.db, deps.space);
  const existing = await deps.store.documentHashes(req.collection);
  // Only new or changed files are parsed, chunked and embedded.
  const pending = loaded.filter((d) => existing.get(d.file.source) !== d.contentHash).map(parseSource);
  const seen = new Set(loaded.map((d) => d.file.source));
  const toRemove = req.prune ? [...existing.keys()].filter((s) => !seen.has(s)) : [];

  let embedded = 0;
  let chunks = 0;
  req.onProgress?.(0, pending.length);
  for (let i = 0; i < pending.length; i += BATCH_DOCUMENTS) {
    const batch = pending.slice(i, i + BATCH_DOCUMENTS);
    const texts = batch.flatMap((d) => d.chunks.map((c) => embeddingText(d.title, c.heading, c.content)));
    const vectors = texts.length ? await deps.embeddings.embedDocuments(texts) : [];
    embedded += texts.length;
    let v = 0;
    const docs: NewDocument[] = batch.map((d) => ({
      source: d.source,
      title: d.title,
      url: req.baseUrl ? new URL(d.source, req.baseUrl.endsWith('/') ? req.baseUrl : req.baseUrl + '/').href : undefined,
      contentHash: d.contentHash,
      chunks: d.chunks.map((c) => ({ ...c, embedding: vectors[v++]! })),
    }));
    chunks += texts.length;
    await deps.store.writeDocuments(req.collection, docs);
    req.onProgress?.(Math.min(i + batch.length, pending.length), pending.length);
  }
  if (toRemove.length) await deps.store.removeDocuments(req.collection, toRemove);
  const touched = [...pending.filter((d) => existing.has(d.source)).map((d) => d.source), ...toRemove];
  if (touched.length) await deps.onDocumentsChanged?.(touched.map((source) => ({ collection: req.collection, source })));
  if (pending.length || toRemove.length) {
    await createVectorIndex(deps.db, deps.space.dimension);
    await deps.store.analyze();
  }

  const changed = pending.filter((d) => existing.has(d.source)).length;
  return {
    collection: req.collection,
    added: pending.length - changed,
    changed,
    unchanged: loaded.length - pending.length,
    removed: toRemove.length,
    chunks,
    embedded,
    seconds: (performance.now() - started) / 1000,
  };
}
