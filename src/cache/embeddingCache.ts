import { createHash } from 'node:crypto';
import { Embeddings, type EmbeddingsInterface, type EmbeddingsParams } from '@langchain/core/embeddings';
import type { KeyValueStore } from './keyValueStore.ts';

export interface EmbeddingCacheOptions extends EmbeddingsParams {
  /** Part of every key: vectors from different models must never be mixed. */
  modelName: string;
  /** Embeddings are deterministic per model, so a long TTL only bounds storage. */
  ttlSeconds?: number;
}

export function encodeVector(v: number[]): string {
  return Buffer.from(Float32Array.from(v).buffer).toString('base64');
}

export function decodeVector(s: string): number[] | undefined {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  // Copy into an aligned buffer: a Buffer may sit at any offset of a shared pool.
  const aligned = new Uint8Array(bytes);
  return Array.from(new Float32Array(aligned.buffer, 0, aligned.length / 4));
}

/**
 * Wraps another embedding model and remembers its vectors in the KeyValueStore, so the
 * same question (or chunk during a re-run of `kb reembed`) never pays for a second
 * provider call. The ingest does not use it (see createApp).
 * Vectors are stored as base64 Float32 (a third of the JSON size); a fresh vector is
 * rounded the same way before it is returned, so a text gets the identical vector
 * whether it was a hit or a miss.
 */
export class EmbeddingCache extends Embeddings {
  hits = 0;
  misses = 0;
  readonly modelName: string;
  private readonly ttlSeconds: number;

  constructor(
    private readonly inner: EmbeddingsInterface,
    private readonly store: KeyValueStore,
    options: EmbeddingCacheOptions,
  ) {
    super(options);
    this.modelName = options.modelName;
    this.ttlSeconds = options.ttlSeconds ?? 30 * 86400;
  }

  keyFor(text: string): string {
    return `emb:${createHash('sha256').update(this.modelName).update('\0').update(text).digest('hex')}`;
  }

  async embedQuery(text: string): Promise<number[]> {
    const [vector] = await this.embedMany([text], (missing) => Promise.all(missing.map((t) => this.inner.embedQuery(t))));
    return vector!;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return this.embedMany(texts, (missing) => this.inner.embedDocuments(missing));
  }

  /** Looks every text up, sends only the distinct misses to the provider in one batch. */
  private async embedMany(texts: string[], provide: (missing: string[]) => Promise<number[][]>): Promise<number[][]> {
    const cached = await Promise.all(texts.map(async (t) => {
      const raw = await this.store.get(this.keyFor(t));
      return raw === undefined ? undefined : decodeVector(raw);
    }));
    const missing = [...new Set(texts.filter((_, i) => cached[i] === undefined))];
    const fresh = new Map<string, number[]>();
    if (missing.length) {
      const vectors = await provide(missing);
      if (vectors.length !== missing.length) throw new Error(`embedding provider returned ${vectors.length} vectors for ${missing.length} texts`);
      await Promise.all(missing.map(async (t, i) => {
        const encoded = encodeVector(vectors[i]!);
        fresh.set(t, decodeVector(encoded)!);
        await this.store.set(this.keyFor(t), encoded, this.ttlSeconds);
      }));
    }
    return texts.map((t, i) => {
      const hit = cached[i];
      if (hit) {
        this.hits++;
        return hit;
      }
      this.misses++;
      return fresh.get(t)!;
    });
  }
}
