import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { KbError } from '../errors.ts';
import { chunkDocument, chunkingSignature, DEFAULT_CHUNKING, type ChunkOptions } from './chunker.ts';
import { parseHtml } from './htmlParser.ts';
import { parseMarkdown, parsePlainText } from './markdownParser.ts';
import type { Chunk } from './types.ts';
import { fileMetadata, type Metadata } from '../store/metadata.ts';

/** Bumped when parsing or chunking changes, so every document is re-processed once. */
export const PARSER_VERSION = '8';

/** What a document's stored hash and stat depend on besides its bytes: the parser and the chunking. */
export function processingVersion(chunking: ChunkOptions = DEFAULT_CHUNKING): string {
  return `${PARSER_VERSION};${chunkingSignature(chunking)}`;
}
export const MAX_FILE_BYTES = 20 * 1024 * 1024;

const KINDS: Record<string, 'html' | 'markdown' | 'text'> = {
  '.html': 'html',
  '.htm': 'html',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
  '.text': 'text',
};

export interface SourceFile {
  /** Path relative to the folder given (or the file name, for a file given directly). */
  source: string;
  absPath: string;
  kind: 'html' | 'markdown' | 'text';
}

export interface SourceText {
  file: SourceFile;
  text: string;
  contentHash: string;
}

export interface LoadedDocument {
  source: string;
  title: string;
  contentHash: string;
  chunks: Chunk[];
  /** From the file (front matter, HTML <meta>); `kb ingest --meta` pairs are added by ingest. */
  metadata?: Metadata;
}

/** Lists the supported files under the given folders and files, sorted by source. */
export async function listSourceFiles(inputs: string[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const input of inputs) {
    const abs = path.resolve(input);
    const stat = await fs.stat(abs).catch((err: NodeJS.ErrnoException) => {
      throw new KbError('input/unreadable_file', `${input}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.message}`, { cause: err });
    });
    if (stat.isDirectory()) {
      const entries = await fs.readdir(abs, { recursive: true, withFileTypes: true });
      for (const e of entries) {
        if (!e.isFile()) continue;
        const kind = KINDS[path.extname(e.name).toLowerCase()];
        if (!kind) continue;
        const full = path.join(e.parentPath, e.name);
        out.push({ source: path.relative(abs, full).split(path.sep).join('/'), absPath: full, kind });
      }
    } else {
      const kind = KINDS[path.extname(abs).toLowerCase()];
      if (!kind) throw new KbError('input/unreadable_file', `${input}: unsupported file type (use .html, .md or .txt)`);
      out.push({ source: path.basename(abs), absPath: abs, kind });
    }
  }
  out.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  const seen = new Set<string>();
  for (const f of out) {
    if (seen.has(f.source)) throw new KbError('input/invalid_argument', `Two inputs both give the source "${f.source}": ingest them separately or into different collections`);
    seen.add(f.source);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads, validates, parses and chunks one file. Throws a one-line KbError on bad input. */
export async function loadDocument(file: SourceFile, chunking: ChunkOptions = DEFAULT_CHUNKING): Promise<LoadedDocument> {
  return parseSource(await readSource(file, processingVersion(chunking)), chunking);
}

/**
 * Reads and validates one file and hashes it; cheap, so unchanged files cost no parsing.
 * `version` (parser, chunking and the ingest's --meta pairs) goes into the hash.
 */
export async function readSource(file: SourceFile, version = processingVersion()): Promise<SourceText> {
  const tooLarge = () => new KbError('input/unreadable_file', `${file.source}: larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
  let bytes: Buffer;
  let handle: fs.FileHandle | undefined;
  try {
    // The size is checked on the open file before anything is read: a 2 GB log is refused
    // at once instead of being loaded into memory first.
    handle = await fs.open(file.absPath, 'r');
    if ((await handle.stat()).size > MAX_FILE_BYTES) throw tooLarge();
    bytes = await handle.readFile();
  } catch (err) {
    if (err instanceof KbError) throw err;
    throw new KbError('input/unreadable_file', `${file.source}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  } finally {
    await handle?.close();
  }
  if (bytes.length > MAX_FILE_BYTES) throw tooLarge(); // it grew after the check
  if (bytes.includes(0)) throw new KbError('input/unreadable_file', `${file.source}: looks like a binary file, not text`);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (err) {
    throw new KbError('input/unreadable_file', `${file.source}: not valid UTF-8 text`, { cause: err });
  }
  const contentHash = createHash('sha256').update(version).update('\0').update(bytes).digest('hex');
  return { file, text, contentHash };
}

export function parseSource({ file, text, contentHash }: SourceText, chunking: ChunkOptions = DEFAULT_CHUNKING): LoadedDocument {
  const fallbackTitle = path.basename(file.source).replace(/\.[^.]+$/, '');
  const parsed = file.kind === 'html' ? parseHtml(text, fallbackTitle) : file.kind === 'markdown' ? parseMarkdown(text, fallbackTitle) : parsePlainText(text, fallbackTitle);
  return { source: file.source, title: parsed.title, contentHash, chunks: chunkDocument(parsed, chunking), metadata: fileMetadata(parsed.metadata ?? {}) };
}
