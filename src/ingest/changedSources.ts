import fs from 'node:fs/promises';
import { KbError } from '../errors.ts';
import type { SourceStat, StoredDocument } from '../store/documents.ts';
import { parsePdfSource, processingVersion, readSource, type SkippedSource, type SourceFile, type SourceText } from './sourceFiles.ts';

/** Files read and hashed at once: enough to keep the disk and the hashing busy. */
const READ_CONCURRENCY = 16;
/**
 * A file modified this shortly before it was looked at may be modified again within the
 * same timestamp tick (1–2 s on some file systems) without its size changing; its stat
 * is not recorded, so the next ingest reads it again (git's "racily clean" rule).
 */
const RACY_WINDOW_MS = 2000;

export interface ChangedSource extends SourceText {
  /** Recorded with the document; undefined when the file was modified too recently to trust. */
  stat?: SourceStat;
}

export interface SourceChanges {
  /** New or edited files, read and validated, in source order. */
  changed: ChangedSource[];
  unchanged: number;
  /** Unchanged files whose stat differs from the stored one (touched but identical). */
  restat: { source: string; contentHash: string; stat: SourceStat }[];
  /** PDFs that cannot be ingested (encrypted, broken, no text layer) and scanned pages without text. */
  skipped: SkippedSource[];
}

/**
 * Finds the new and edited files. A file whose size and mtime match those recorded at the
 * last ingest (with the same `version`: parser version and --meta pairs) is unchanged without being read; any other
 * file is read, validated and hashed, and its content hash decides. `rehash` reads every
 * file. Reads run concurrently; the first bad file in source order is reported. A new or
 * edited PDF is parsed here, so one that cannot be ingested is skipped with its reason
 * (the rest of the run goes on) before anything is written.
 */
export async function findChangedSources(files: SourceFile[], stored: Map<string, StoredDocument>, opts: { rehash?: boolean; version?: string } = {}): Promise<SourceChanges> {
  const startedAt = Date.now();
  const version = opts.version ?? processingVersion();
  const skipped: SkippedSource[][] = files.map(() => []);
  const results = await mapBounded(files.map((file, i) => ({ file, i })), READ_CONCURRENCY, async ({ file, i }): Promise<ChangedSource | 'unchanged' | 'skipped' | SourceChanges['restat'][number]> => {
    const s = await fs.stat(file.absPath).catch((err: NodeJS.ErrnoException) => {
      throw new KbError('input/unreadable_file', `${file.source}: cannot be read (${err.code ?? 'error'})`, { cause: err });
    });
    const stat: SourceStat | undefined = s.mtimeMs < startedAt - RACY_WINDOW_MS ? { size: s.size, mtimeMs: s.mtimeMs, parserVersion: version } : undefined;
    const prev = stored.get(file.source);
    if (!opts.rehash && stat && prev?.sourceStat && sameStat(prev.sourceStat, stat)) return 'unchanged';
    const text = await readSource(file, version);
    if (prev?.contentHash !== text.contentHash) {
      if (file.kind !== 'pdf') return { ...text, stat };
      const pdf = await parsePdfSource(text);
      skipped[i] = pdf.skipped;
      return pdf.text ? { ...pdf.text, stat } : 'skipped';
    }
    return stat && !(prev.sourceStat && sameStat(prev.sourceStat, stat)) ? { source: file.source, contentHash: text.contentHash, stat } : 'unchanged';
  });
  const out: SourceChanges = { changed: [], unchanged: 0, restat: [], skipped: skipped.flat() };
  for (const r of results) {
    if (r === 'skipped') continue;
    if (r === 'unchanged') out.unchanged++;
    else if ('text' in r) out.changed.push(r);
    else {
      out.unchanged++;
      out.restat.push(r);
    }
  }
  return out;
}

const sameStat = (a: SourceStat, b: SourceStat) => a.size === b.size && a.mtimeMs === b.mtimeMs && a.parserVersion === b.parserVersion;

/**
 * Maps with at most `limit` calls in flight, results in input order. After a failure no
 * further call starts; once the started ones settle, the failure of the earliest item is
 * thrown (every earlier item had started, so that is the first failure in input order).
 */
export async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  const errors = new Map<number, unknown>();
  let next = 0;
  const worker = async () => {
    while (next < items.length && !errors.size) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        errors.set(i, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.size) throw errors.get(Math.min(...errors.keys()));
  return results;
}
