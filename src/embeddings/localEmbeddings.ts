import { createHash } from 'node:crypto';
import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import type { GloveTable } from './gloveTable.ts';

/**
 * Offline sentence embeddings: a weighted average of GloVe word vectors (SIF: weight
 * a / (a + p(w)), with p(w) estimated from the word's frequency rank by Zipf's law), so
 * frequent words count for little. Words GloVe does not know (identifiers such as
 * pg_stat_activity parts or "pgvector") get a fixed pseudo-random vector from their
 * hash, so rare technical terms still pull matching texts together.
 */
export class LocalEmbeddings extends Embeddings {
  readonly modelName = 'glove-sg-100d-sif';
  readonly dimension: number;
  private readonly weights: Float32Array;
  private readonly oovCache = new Map<string, Float32Array>();

  constructor(private readonly table: GloveTable, params: EmbeddingsParams = {}, private readonly sifA = 1e-3) {
    super(params);
    this.dimension = table.dimension;
    const harmonic = Math.log(table.size) + 0.5772;
    this.weights = new Float32Array(table.size);
    for (let r = 0; r < table.size; r++) {
      const p = 1 / ((r + 1) * harmonic);
      this.weights[r] = this.sifA / (this.sifA + p);
    }
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedSync(t));
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.embedSync(text);
  }

  embedSync(text: string): number[] {
    const dim = this.dimension;
    const acc = new Float64Array(dim);
    const { index, vectors, scales } = this.table;
    for (const token of tokenize(text)) {
      const row = index.get(token);
      if (row !== undefined) {
        const w = this.weights[row]! * scales[row]!;
        const base = row * dim;
        for (let i = 0; i < dim; i++) acc[i]! += w * vectors[base + i]!;
      } else if (token.length > 2 && !/^\d+$/.test(token)) {
        const v = this.oovVector(token);
        for (let i = 0; i < dim; i++) acc[i]! += v[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += acc[i]! * acc[i]!;
    norm = Math.sqrt(norm);
    const out = new Array<number>(dim);
    // An empty or all-stopword text maps to a tiny fixed vector rather than NaNs.
    for (let i = 0; i < dim; i++) out[i] = norm > 0 ? acc[i]! / norm : i === 0 ? 1 : 0;
    return out;
  }

  private oovVector(token: string): Float32Array {
    let v = this.oovCache.get(token);
    if (v) return v;
    v = new Float32Array(this.dimension);
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
    if (this.oovCache.size > 50000) this.oovCache.clear();
    this.oovCache.set(token, v);
    return v;
  }
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? [];
}
