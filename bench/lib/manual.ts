import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { listSourceFiles, loadDocument, type LoadedDocument } from '../../src/ingest/sourceFiles.ts';

/** The PostgreSQL 15 manual as shipped by Debian's postgresql-doc-15. */
export const MANUAL_DIR = process.env.BENCH_MANUAL_DIR ?? '/usr/share/doc/postgresql-doc-15/html';

export interface LoadedManual {
  docs: LoadedDocument[];
  chunks: number;
  /** Reading, parsing and chunking every page, in milliseconds. */
  parseMs: number;
}

/** Parses the manual with the project's own loader (the same chunks ingest stores). */
export async function loadManual(dir = MANUAL_DIR): Promise<LoadedManual> {
  const t0 = performance.now();
  const files = await listSourceFiles([dir]);
  const docs: LoadedDocument[] = [];
  for (const f of files) docs.push(await loadDocument(f));
  return { docs, chunks: docs.reduce((n, d) => n + d.chunks.length, 0), parseMs: performance.now() - t0 };
}

/**
 * Copies the folder to a temp dir and edits `count` files spread evenly through it: a
 * paragraph is added before </body>, so each edited page really changes (new content
 * hash, one changed chunk) rather than only its mtime. The copy keeps the files' mtimes,
 * as a folder updated in place (git pull, rsync -a) does: only the edited files look new.
 */
export async function copyWithEdits(dir: string, count: number): Promise<{ dir: string; edited: string[] }> {
  const target = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-bench-manual-'));
  await fs.cp(dir, target, { recursive: true, preserveTimestamps: true });
  const files = await listSourceFiles([target]);
  const step = files.length / count;
  const edited: string[] = [];
  for (let i = 0; i < count; i++) {
    const f = files[Math.floor(i * step + step / 2)]!;
    const html = await fs.readFile(f.absPath, 'utf8');
    const note = `<p>Benchmark edit ${i}: this paragraph was added to measure re-ingesting a changed page.</p>`;
    const changed = html.includes('</body>') ? html.replace('</body>', `${note}</body>`) : html + note;
    await fs.writeFile(f.absPath, changed);
    edited.push(f.source);
  }
  return { dir: target, edited };
}
