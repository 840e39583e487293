import { Embeddings } from '@langchain/core/embeddings';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Answer, Citation } from '../../../src/answer/types.ts';
import type { ConversationKey } from '../../../src/assistant/types.ts';
import { AnswerCache, documentKey, type DocumentRef } from '../../../src/cache/answerCache.ts';
import { EmbeddingCache } from '../../../src/cache/embeddingCache.ts';
import { RedisStore } from '../../../src/cache/redisStore.ts';
import { conversationKey, ThreadMemory } from '../../../src/cache/threadMemory.ts';
import { captureLogger, deletePrefix, REDIS_URL, testPrefix } from './redisKit.ts';

const prefix = testPrefix();
const store = new RedisStore({ url: REDIS_URL, prefix, commandTimeoutMs: 500, logger: captureLogger().logger });
const raw = new Redis(REDIS_URL);

afterAll(async () => {
  await deletePrefix(prefix);
  await store.close();
  raw.disconnect();
});

/** Deterministic vectors; records every text the "provider" was asked to embed. */
class CountingEmbeddings extends Embeddings {
  calls = 0;
  texts: string[] = [];
  constructor() {
    super({});
  }
  private vec(t: string): number[] {
    return [t.length, t.charCodeAt(0) / 100, 1 / 3];
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls++;
    this.texts.push(...texts);
    return texts.map((t) => this.vec(t));
  }
  async embedQuery(text: string): Promise<number[]> {
    this.calls++;
    this.texts.push(text);
    return this.vec(text);
  }
}

describe('EmbeddingCache on Redis', () => {
  it('answers a repeated query from the cache without calling the provider', async () => {
    const provider = new CountingEmbeddings();
    const cache = new EmbeddingCache(provider, store, { modelName: 'fake-3d' });
    const first = await cache.embedQuery('what is a partial index');
    const second = await cache.embedQuery('what is a partial index');
    expect(provider.calls).toBe(1);
    expect(second).toEqual(first);
    expect(first[0]).toBe(23);
    expect(first[2]).toBeCloseTo(1 / 3, 6);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('sends only the uncached documents to the provider, once each', async () => {
    const provider = new CountingEmbeddings();
    const cache = new EmbeddingCache(provider, store, { modelName: 'fake-3d' });
    await cache.embedDocuments(['alpha', 'beta']);
    const vectors = await cache.embedDocuments(['alpha', 'gamma', 'beta', 'gamma']);
    expect(provider.texts).toEqual(['alpha', 'beta', 'gamma']);
    expect(vectors.map((v) => v[0])).toEqual([5, 5, 4, 5]);
    expect(cache.hits).toBe(2);
  });

  it('never shares vectors between models', async () => {
    const provider = new CountingEmbeddings();
    await new EmbeddingCache(provider, store, { modelName: 'model-a' }).embedQuery('vacuum');
    await new EmbeddingCache(provider, store, { modelName: 'model-b' }).embedQuery('vacuum');
    expect(provider.calls).toBe(2);
  });
});

function citation(n: number, source: string, contentHash: string): Citation {
  return { n, title: source, source, collection: 'pg', heading: 'h', location: source, snippet: 's', contentHash };
}

function answer(text: string, citations: Citation[]): Answer {
  return { text, citations, confidence: 0.9, refused: citations.length === 0, standaloneQuestion: text };
}

/** A stand-in for the knowledge store's document hashes that records what was asked. */
function hashes(initial: Record<string, string>) {
  const current = new Map(Object.entries(initial));
  const asked: DocumentRef[][] = [];
  const lookup = async (docs: DocumentRef[]) => {
    asked.push(docs);
    return new Map(docs.map((d) => [documentKey(d), current.get(documentKey(d)) ?? '']));
  };
  return { current, asked, lookup };
}

describe('AnswerCache on Redis', () => {
  const cache = new AnswerCache(store);
  const keyOf = (question: string) => cache.key({ question, scope: ['pg'], identity: 'extractive|v1' });

  it('misses, then hits with the same answer marked as cached', async () => {
    const h = hashes({ 'pg/a.md': 'A1' });
    const key = keyOf('What is MVCC?');
    expect(await cache.get(key, h.lookup)).toBeUndefined();
    const stored = answer('MVCC keeps row versions [1].', [citation(1, 'a.md', 'A1')]);
    await cache.set(key, stored, 600);
    const hit = await cache.get(keyOf('what is mvcc'), h.lookup);
    expect(hit).toEqual({ ...stored, cached: true });
    expect(h.asked.at(-1)).toEqual([{ collection: 'pg', source: 'a.md' }]);
  });

  it('drops an answer when one cited document changes, but not when an uncited one does', async () => {
    const h = hashes({ 'pg/a.md': 'A1', 'pg/b.md': 'B1', 'pg/c.md': 'C1' });
    const key = keyOf('how does vacuum work');
    await cache.set(key, answer('Vacuum [1][2].', [citation(1, 'a.md', 'A1'), citation(2, 'b.md', 'B1')]), 600);
    h.current.set('pg/c.md', 'C2');
    expect((await cache.get(key, h.lookup))?.text).toBe('Vacuum [1][2].');
    h.current.set('pg/b.md', 'B2');
    expect(await cache.get(key, h.lookup)).toBeUndefined();
    // Deleted, not just skipped: even the old hashes no longer find it.
    expect(await raw.exists(`${prefix}${key}`)).toBe(0);
  });

  it('invalidateDocuments deletes exactly the answers citing that document', async () => {
    const h = hashes({ 'pg/x.md': 'X', 'pg/y.md': 'Y' });
    const [kx, ky, kxy] = [keyOf('cites x'), keyOf('cites y'), keyOf('cites x and y')];
    await cache.set(kx, answer('x [1]', [citation(1, 'x.md', 'X')]), 600);
    await cache.set(ky, answer('y [1]', [citation(1, 'y.md', 'Y')]), 600);
    await cache.set(kxy, answer('xy [1][2]', [citation(1, 'x.md', 'X'), citation(2, 'y.md', 'Y')]), 600);
    expect(await cache.invalidateDocuments([{ collection: 'pg', source: 'x.md' }])).toBe(2);
    expect(await cache.get(kx, h.lookup)).toBeUndefined();
    expect(await cache.get(kxy, h.lookup)).toBeUndefined();
    expect((await cache.get(ky, h.lookup))?.text).toBe('y [1]');
  });

  it('caches a refusal only briefly and without asking for hashes', async () => {
    const h = hashes({});
    const key = keyOf('what is the meaning of life');
    await cache.set(key, answer("I don't know", []), 86400);
    expect((await cache.get(key, h.lookup))?.refused).toBe(true);
    expect(h.asked).toEqual([]);
    const ttl = await raw.ttl(`${prefix}${key}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
  });
});

describe('ThreadMemory on Redis', () => {
  const memory = new ThreadMemory(store, { maxTurns: 2, maxCharsPerTurn: 1000, ttlSeconds: 3600 });
  const thread: ConversationKey = { platform: 'discord', channel: '123', thread: '456' };

  it('round-trips turns, keeps the last N, and refreshes the TTL on append', async () => {
    await memory.append(thread, { question: 'q1', answer: 'a1' });
    await memory.append(thread, { question: 'q2', answer: 'a2' });
    const fullKey = `${prefix}${conversationKey(thread)}`;
    const ttl = await raw.ttl(fullKey);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    await raw.expire(fullKey, 10);
    await memory.append(thread, { question: 'q3', answer: 'a3' });
    expect(await raw.ttl(fullKey)).toBeGreaterThan(3500);
    expect(await memory.history(thread)).toEqual([
      { question: 'q2', answer: 'a2' },
      { question: 'q3', answer: 'a3' },
    ]);
  });
});
