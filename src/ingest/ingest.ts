import path from 'node:path';
import type { StoredDocument } from '../store/documents.ts';
import { ensureEmbeddingSpace } from '../store/vectorIndex.ts';
import { findChangedSources } from './changedSources.ts';
import { listSourceFiles, parseSource, type SkippedSource, type SourceFile } from './sourceFiles.ts';
import { DEFAULT_CHUNKING } from './chunker.ts';
import type { Metadata } from '../store/metadata.ts';
import { checkPrune, ingestVersion, writeChanges, type IngestDeps } from './pipeline.ts';

export { embeddingText, matchStoredChunks, REMOTE_EMBED_AHEAD, type IngestDeps } from './pipeline.ts';

export interface IngestRequest {
  /** Folders and files. */
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
  /** Files and pages (`file.pdf#page=3`) left out, each with its reason. */
  skipped: SkippedSource[];
  seconds: number;
  /** A web ingest's requests: pages requested, of those answered 304, and pages found but left for --max-pages. */
  web?: { requested: number; notModified: number; notFetched: number };
}

/**
 * Ingests files into a collection. Every new or
 * changed file is read and validated before anything is written, so a bad file stops the
 * run with nothing changed (files whose size and mtime match the last ingest are not read
 * at all); a PDF that cannot be ingested (encrypted, broken, no text layer) is skipped and
 * reported instead. Unchanged documents (same content hash) cost no embedding work; the
 * others are written by writeChanges.
 */
export async function ingest(deps: IngestDeps, req: IngestRequest): Promise<IngestSummary> {
  const started = performance.now();
  const files = await listSourceFiles(req.inputs);
  const stored = await deps.store.documents.documentStates(req.collection);
  const chunking = deps.chunking ?? DEFAULT_CHUNKING;
  const meta = req.meta && Object.keys(req.meta).length ? req.meta : undefined;
  const { changed: pending, unchanged, restat, skipped } = await findChangedSources(files, stored, { rehash: req.rehash, version: ingestVersion(chunking, meta) });

  await ensureEmbeddingSpace(deps.db, deps.space);
  if (restat.length) await deps.store.documents.recordSourceStats(req.collection, restat);
  const toRemove = req.prune ? pruneCandidates(req.inputs, files, stored) : [];
  checkPrune(req.collection, stored, toRemove, req.force, `none of their files is left under ${req.inputs.join(', ')}`);
  const base = req.baseUrl ? (req.baseUrl.endsWith('/') ? req.baseUrl : req.baseUrl + '/') : undefined;

  const result = await writeChanges(deps, {
    collection: req.collection,
    meta,
    stored,
    remove: toRemove,
    onProgress: req.onProgress,
    pending: pending.map((s) => ({ source: s.file.source, contentHash: s.contentHash, stat: s.stat, url: base ? new URL(s.file.source, base).href : undefined, load: (chunking) => parseSource(s, chunking) })),
  });
  // Skipped files are listed too: a prune must not take a document whose file is still there.
  await deps.store.documents.recordFilePaths(req.collection, files.filter((f) => stored.get(f.source)?.filePath !== f.absPath).map((f) => ({ source: f.source, filePath: f.absPath })));
  return { collection: req.collection, ...result, unchanged, skipped, seconds: (performance.now() - started) / 1000 };
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
