import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { IngestRequest, IngestSummary } from '../../src/ingest/ingest.ts';
import { listSourceFiles, PARSER_VERSION } from '../../src/ingest/sourceFiles.ts';
import type { KnowledgeStore } from '../../src/store/knowledgeStore.ts';

/**
 * PROTOTYPE of a proposed src change, kept in bench/ to measure it: ingest computes a
 * document's content hash from PARSER_VERSION and the file's bytes only, yet parses and
 * chunks every file before comparing hashes. Hashing first and parsing only the files
 * whose hash changed gives the same result. Here the changed files are found first and
 * the project's own ingest() is then given just those files.
 *
 * Limitation of the prototype (not of the proposal): files passed one by one get their
 * base name as source, so it is only valid for a flat folder such as the manual's.
 */
export async function hashFirstIngest(run: (req: IngestRequest) => Promise<IngestSummary>, store: KnowledgeStore, dir: string, collection: string): Promise<{ changed: number; summary?: IngestSummary }> {
  const files = await listSourceFiles([dir]);
  if (files.some((f) => f.source.includes('/'))) throw new Error('hashFirstIngest prototype: only flat folders are supported');
  const existing = await store.documentHashes(collection);
  const changed: string[] = [];
  for (const f of files) {
    const bytes = await fs.readFile(f.absPath);
    const hash = createHash('sha256').update(PARSER_VERSION).update('\0').update(bytes).digest('hex');
    if (existing.get(f.source) !== hash) changed.push(f.absPath);
  }
  if (!changed.length) return { changed: 0 };
  return { changed: changed.length, summary: await run({ inputs: changed, collection }) };
}
