import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/cache/memoryStore.ts';
import { singleFlight, type Flight } from '../../../src/cache/singleFlight.ts';

/** A shared "cache" and a computation that counts its runs and finishes when told. */
function flight(store: MemoryStore, storesResult = true) {
  const counter = { runs: 0 };
  let finish: (() => void) | undefined;
  const gate = () => new Promise<void>((resolve) => (finish = resolve));
  const f: Flight<string> = {
    read: () => store.get('result'),
    async compute() {
      const n = ++counter.runs;
      await gate();
      const value = `answer ${n}`;
      if (storesResult) await store.set('result', value, 60);
      return value;
    },
  };
  return { f, counter, finish: () => finish?.() };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('singleFlight', () => {
  it('computes once for concurrent callers; the others get the stored result', async () => {
    const store = new MemoryStore();
    const { f, counter, finish } = flight(store);
    const all = Promise.all(Array.from({ length: 8 }, () => singleFlight(store, 'q', f, { lockTtlMs: 5000, pollMs: 5 })));
    await settle();
    expect(counter.runs).toBe(1);
    finish();
    expect(await all).toEqual(Array(8).fill('answer 1'));
    expect(counter.runs).toBe(1);
    // The lock is released: a later caller (after the cache entry is gone) computes again.
    await store.del(['result']);
    const later = singleFlight(store, 'q', f, { lockTtlMs: 5000 });
    await settle();
    finish();
    expect(await later).toBe('answer 2');
  });

  it('hands over to a waiter when the holder stores nothing (a result not worth caching)', async () => {
    const store = new MemoryStore();
    const { f, counter, finish } = flight(store, false);
    const first = singleFlight(store, 'q', f, { lockTtlMs: 5000, pollMs: 5 });
    await settle();
    const second = singleFlight(store, 'q', f, { lockTtlMs: 5000, pollMs: 5 });
    await settle();
    expect(counter.runs).toBe(1);
    finish();
    expect(await first).toBe('answer 1');
    await settle();
    expect(counter.runs).toBe(2);
    finish();
    expect(await second).toBe('answer 2');
  });

  it('computes anyway once the lock has expired without a result (a hung or crashed holder)', async () => {
    const store = new MemoryStore();
    const { f, counter, finish } = flight(store);
    void singleFlight(store, 'q', f, { lockTtlMs: 60, pollMs: 5 });
    await settle();
    const waiter = singleFlight(store, 'q', f, { lockTtlMs: 60, pollMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(counter.runs).toBe(2);
    finish();
    expect(await waiter).toBe('answer 2');
  });

  it('releases the lock when the computation throws, so the next caller is not kept waiting', async () => {
    const store = new MemoryStore();
    const failing: Flight<string> = { read: () => store.get('result'), compute: () => Promise.reject(new Error('model down')) };
    await expect(singleFlight(store, 'q', failing, { lockTtlMs: 60_000 })).rejects.toThrow('model down');
    expect(await store.tryLock('lock:q', 1000)).toBeDefined();
  });
});
