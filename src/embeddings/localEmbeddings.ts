import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import { stemmer } from 'stemmer';
import { GLOVE_DIMENSION, type GloveTable } from './gloveTable.ts';

/** The default model's name and dimension, known before its word vectors are loaded. */
export const LOCAL_SPACE = { model: 'glove100-sif+hash156', dimension: GLOVE_DIMENSION + 156 } as const;

/** Texts embedded between two yields to the event loop (about 10 ms of work). */
const YIELD_EVERY = 32;

/**
 * Offline sentence embeddings: a weighted average of GloVe word vectors (SIF: weight
 * a / (a + p(w)), with p(w) estimated from the word's frequency rank by Zipf's law), so
 * frequent words count for little. Words GloVe does not know (identifiers such as
 * pg_stat_activity parts or "pgvector") get a fixed pseudo-random vector from their
 * hash, so rare technical terms still pull matching texts together.
 */
export class LocalEmbeddings extends Embeddings {
  readonly modelName = LOCAL_SPACE.model;
  readonly dimension: number;
  private readonly weights: Float32Array;
  private readonly oovCache = new Map<string, Float32Array>();
  private readonly slotCache = new Map<string, HashSlot>();

  private readonly options: Required<LocalEmbeddingOptions>;

  constructor(private readonly table: GloveTable, params: EmbeddingsParams = {}, private readonly sifA = 1e-3, options: LocalEmbeddingOptions = {}) {
    super(params);
    this.options = { stopwords: true, oovWeight: 1, hashDims: 156, hashWeight: 0.3, slotCacheWords: 100_000, ...options };
    this.dimension = table.dimension + this.options.hashDims;
    const harmonic = Math.log(table.size) + 0.5772;
    this.weights = new Float32Array(table.size);
    for (let r = 0; r < table.size; r++) {
      const p = 1 / ((r + 1) * harmonic);
      this.weights[r] = this.sifA / (this.sifA + p);
    }
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i++) {
      // A large batch is many milliseconds of CPU: yield now and then so work waiting on
      // the event loop (ingest's overlapping database write, a request) is not held up.
      if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop();
      out.push(this.embedSync(texts[i]!));
    }
    return out;
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.embedSync(text);
  }

  embedSync(text: string): number[] {
    const dim = this.table.dimension;
    const hashDims = this.options.hashDims;
    const acc = new Float64Array(dim);
    const hashed = new Float64Array(hashDims);
    const { vectors, scales } = this.table;
    for (const token of tokenize(text)) {
      if (this.options.stopwords && EMBED_STOPWORDS.has(token)) continue;
      const row = this.table.row(token);
      if (hashDims) {
        const slot = this.hashSlot(token);
        hashed[slot.index]! += slot.sign * (row === undefined ? 1 : this.weights[row]!);
      }
      if (row !== undefined) {
        const w = this.weights[row]! * scales[row]!;
        const base = row * dim;
        for (let i = 0; i < dim; i++) acc[i]! += w * vectors[base + i]!;
      } else if (token.length > 2 && !/^\d+$/.test(token)) {
        const v = this.oovVector(token);
        const w = this.options.oovWeight;
        for (let i = 0; i < dim; i++) acc[i]! += w * v[i]!;
      }
    }
    const out = new Array<number>(dim + hashDims).fill(0);
    const semantic = hashDims ? Math.sqrt(1 - this.options.hashWeight) : 1;
    const lexical = Math.sqrt(this.options.hashWeight);
    const gNorm = Math.hypot(...acc);
    const hNorm = Math.hypot(...hashed);
    // An empty or all-stopword text maps to a fixed unit vector rather than NaNs.
    if (gNorm === 0 && hNorm === 0) out[0] = 1;
    if (gNorm > 0) for (let i = 0; i < dim; i++) out[i] = (acc[i]! / gNorm) * (hNorm > 0 ? semantic : 1);
    if (hNorm > 0) for (let i = 0; i < hashDims; i++) out[dim + i] = (hashed[i]! / hNorm) * (gNorm > 0 ? lexical : 1);
    return out;
  }

  /**
   * Feature hashing of a word's stem into the lexical part of the vector. Stemming and MD5
   * were most of an embedding's cost (the manual took 2.67 s to embed, 0.53 s with the memo),
   * so each word's slot is remembered.
   */
  private hashSlot(token: string): HashSlot {
    return remembered(this.slotCache, this.options.slotCacheWords, token, () => {
      const h = createHash('md5').update(stemmer(token)).digest();
      return { index: h.readUInt32LE(0) % this.options.hashDims, sign: h[4]! & 1 ? 1 : -1 };
    });
  }

  private oovVector(token: string): Float32Array {
    return remembered(this.oovCache, 50_000, token, () => this.pseudoRandomVector(token));
  }

  private pseudoRandomVector(token: string): Float32Array {
    const v = new Float32Array(this.dimension);
    let seed = createHash('sha256').update(token).digest();
    let norm = 0;
    for (let i = 0; i < this.dimension; i++) {
      if (i % 32 === 0 && i > 0) seed = createHash('sha256').update(seed).digest();
      const x = (seed[i % 32]! - 127.5) / 127.5;
      v[i] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < this.dimension; i++) v[i]! /= norm;
    return v;
  }
}

interface HashSlot {
  readonly index: number;
  readonly sign: 1 | -1;
}

/** The memo's value for `key`, computed on a miss; a full memo starts over. */
function remembered<V>(memo: Map<string, V>, limit: number, key: string, compute: () => V): V {
  let value = memo.get(key);
  if (value === undefined) {
    value = compute();
    if (memo.size >= limit) memo.clear();
    memo.set(key, value);
  }
  return value;
}

export interface LocalEmbeddingOptions {
  stopwords?: boolean;
  /** Size of the hashed bag-of-stems part appended to the GloVe part (0: none). */
  hashDims?: number;
  /** Share of the cosine that comes from the hashed lexical part. */
  hashWeight?: number;
  oovWeight?: number;
  /** Words whose hash slot is remembered (default 100,000, about 10 MB); the memo starts over when full. */
  slotCacheWords?: number;
}

/** Function words that say nothing about a text's topic. */
const EMBED_STOPWORDS = new Set(
  'a an and are as at be been but by can could did do does for from had has have how i if in into is it its me my of on or our should so than that the their them then there these they this those to was we what when where which who why will with would you your'.split(' '),
);

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? [];
}
