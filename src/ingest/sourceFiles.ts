import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { KbError } from '../errors.ts';
import { chunkDocument, chunkingSignature, DEFAULT_CHUNKING, type ChunkOptions } from './chunker.ts';
import { parseHtml } from './htmlParser.ts';
import { parseMarkdown, parsePlainText } from './markdownParser.ts';
import { parsePdf, UnreadablePdf } from './pdfParser.ts';
import type { Chunk, ParsedDocument } from './types.ts';
import { fileMetadata, type Metadata } from '../store/metadata.ts';

/** Bumped when parsing or chunking changes, so every document is re-processed once. */
export const PARSER_VERSION = '8';

/** What a document's stored hash and stat depend on besides its bytes: the parser and the chunking. */
export function processingVersion(chunking: ChunkOptions = DEFAULT_CHUNKING): string {
  return `${PARSER_VERSION};${chunkingSignature(chunking)}`;
}
export const MAX_FILE_BYTES = 20 * 1024 * 1024;

export type SourceKind = 'html' | 'markdown' | 'text' | 'pdf';

const KINDS: Record<string, SourceKind> = {
  '.html': 'html',
  '.htm': 'html',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
  '.text': 'text',
  '.pdf': 'pdf',
};

export interface SourceFile {
  /** Path relative to the folder given (or the file name, for a file given directly). */
  source: string;
  absPath: string;
  kind: SourceKind;
}

export interface SourceText {
  file: SourceFile;
  /** The file's text ('' for a PDF, whose bytes are parsed instead). */
  text: string;
  contentHash: string;
  /** A PDF's bytes, until it is parsed (see parsePdfSource). */
  bytes?: Uint8Array;
  /** A document already parsed from its bytes (a PDF). */
  parsed?: ParsedDocument;
}

export interface LoadedDocument {
  source: string;
  title: string;
  contentHash: string;
  chunks: Chunk[];
  /** From the file (front matter, HTML <meta>); `kb ingest --meta` pairs are added by ingest. */
  metadata?: Metadata;
}

/** Orders files, pages or skipped sources by source, code unit by code unit. */
export const bySource = (a: { source: string }, b: { source: string }): number => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);

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
      if (!kind) throw new KbError('input/unreadable_file', `${input}: unsupported file type (use .html, .md, .txt or .pdf)`);
      out.push({ source: path.basename(abs), absPath: abs, kind });
    }
  }
  out.sort(bySource);
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
  const contentHash = createHash('sha256').update(version).update('\0').update(bytes).digest('hex');
  if (file.kind === 'pdf') return { file, text: '', contentHash, bytes };
  if (bytes.includes(0)) throw new KbError('input/unreadable_file', `${file.source}: looks like a binary file, not text`);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (err) {
    throw new KbError('input/unreadable_file', `${file.source}: not valid UTF-8 text`, { cause: err });
  }
  return { file, text, contentHash };
}

/** A document's title when it names none itself: its file name without the extension. */
export const fallbackTitle = (source: string) => path.basename(source).replace(/\.[^.]+$/, '');

/** Parses text of the given kind into sections (a PDF is parsed from its bytes, see parsePdfSource). */
export function parseText(kind: Exclude<SourceKind, 'pdf'>, text: string, title: string): ParsedDocument {
  return kind === 'html' ? parseHtml(text, title) : kind === 'markdown' ? parseMarkdown(text, title) : parsePlainText(text, title);
}

/** Chunks a parsed document, with the metadata its file carries. */
export function chunkParsed(source: string, contentHash: string, parsed: ParsedDocument, chunking: ChunkOptions = DEFAULT_CHUNKING): LoadedDocument {
  return { source, title: parsed.title, contentHash, chunks: chunkDocument(parsed, chunking), metadata: fileMetadata(parsed.metadata ?? {}) };
}

export function parseSource({ file, text, contentHash, parsed }: SourceText, chunking: ChunkOptions = DEFAULT_CHUNKING): LoadedDocument {
  if (file.kind === 'pdf' && !parsed) throw new Error(`${file.source}: a PDF is parsed from its bytes first (parsePdfSource)`);
  return chunkParsed(file.source, contentHash, parsed ?? parseText(file.kind as Exclude<SourceKind, 'pdf'>, text, fallbackTitle(file.source)), chunking);
}

/** What was left out of an ingest and why: a whole file or page ("scan.pdf", "manual.pdf#page=3"). */
export interface SkippedSource {
  source: string;
  reason: string;
}

/**
 * Parses a PDF's bytes into its document; a file that cannot be ingested (encrypted, broken,
 * no text layer) is skipped with its reason, and so is each scanned page without text.
 */
export async function parsePdfSource(s: SourceText, location = s.file.source): Promise<{ text?: SourceText; skipped: SkippedSource[] }> {
  try {
    const { doc, pagesWithoutText } = await parsePdf(s.bytes!, fallbackTitle(s.file.source));
    return { text: { ...s, bytes: undefined, parsed: doc }, skipped: pagesWithoutText.map((n) => ({ source: `${location}#page=${n}`, reason: 'no text layer (a scanned page?)' })) };
  } catch (err) {
    if (err instanceof UnreadablePdf) return { skipped: [{ source: location, reason: err.reason }] };
    throw err;
  }
}
