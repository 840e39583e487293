import { describe, expect, it } from 'vitest';
import { FakeEmbeddings } from '../../support/fakeEmbeddings.ts';
import { LazyEmbeddings } from '../../../src/embeddings/lazyEmbeddings.ts';

describe('LazyEmbeddings', () => {
  it('creates the model on the first text to embed, once for calls that overlap, never for an empty batch', async () => {
    let loads = 0;
    const lazy = new LazyEmbeddings(async () => (loads++, new FakeEmbeddings()));
    expect(await lazy.embedDocuments([])).toEqual([]);
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([lazy.embedQuery('partial index'), lazy.embedDocuments(['partial index'])]);
    expect(loads).toBe(1);
    expect(b[0]).toEqual(a);
  });

  it('tries again on the next call after a failed load', async () => {
    let loads = 0;
    const lazy = new LazyEmbeddings(async () => {
      if (loads++ === 0) throw new Error('disk full');
      return new FakeEmbeddings();
    });
    await expect(lazy.embedQuery('vacuum')).rejects.toThrow('disk full');
    expect((await lazy.embedQuery('vacuum')).length).toBeGreaterThan(0);
    expect(loads).toBe(2);
  });
});
