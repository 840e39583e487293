import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/cache/memoryStore.ts';

function clockedStore(options: { maxEntries?: number } = {}) {
  const clock = { ms: 1_000_000 };
  const store = new MemoryStore({ prefix: 'p:', now: () => clock.ms, ...options });
  return { store, clock };
}

describe('MemoryStore', () => {
  it('returns a value until its TTL passes, then behaves like a miss', async () => {
    const { store, clock } = clockedStore();
    await store.set('a', 'one', 10);
    expect(await store.get('a')).toBe('one');
    clock.ms += 9_900;
    expect(await store.get('a')).toBe('one');
    clock.ms += 200;
    expect(await store.get('a')).toBeUndefined();
  });

  it('rounds a fractional TTL up to whole seconds, like Redis EX', async () => {
    const { store, clock } = clockedStore();
    await store.set('a', 'one', 0.2);
    clock.ms += 900;
    expect(await store.get('a')).toBe('one');
  });

  it('claims a key once with setIfAbsent, and again after it expires', async () => {
    const { store, clock } = clockedStore();
    expect(await store.setIfAbsent('evt', '1', 5)).toBe(true);
    expect(await store.setIfAbsent('evt', '2', 5)).toBe(false);
    expect(await store.get('evt')).toBe('1');
    clock.ms += 5_001;
    expect(await store.setIfAbsent('evt', '3', 5)).toBe(true);
  });

  it('deletes only the keys it is given', async () => {
    const { store } = clockedStore();
    await store.set('a', '1', 60);
    await store.set('b', '2', 60);
    await store.set('c', '3', 60);
    await store.del(['a', 'c', 'missing']);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBe('2');
    expect(await store.get('c')).toBeUndefined();
  });

  it('keeps set members and never shortens a set TTL', async () => {
    const { store, clock } = clockedStore();
    await store.sAdd('s', ['x', 'y'], 100);
    await store.sAdd('s', ['y', 'z'], 10);
    expect((await store.sMembers('s')).sort()).toEqual(['x', 'y', 'z']);
    clock.ms += 50_000;
    expect((await store.sMembers('s')).sort()).toEqual(['x', 'y', 'z']);
    clock.ms += 51_000;
    expect(await store.sMembers('s')).toEqual([]);
  });

  it('does not mix strings and sets under one key', async () => {
    const { store } = clockedStore();
    await store.sAdd('s', ['x'], 60);
    expect(await store.get('s')).toBeUndefined();
  });

  it('token bucket allows the burst, refuses with a retry time, then refills', async () => {
    const { store, clock } = clockedStore();
    const take = () => store.tokenBucket('u', 2, 3);
    for (let i = 0; i < 3; i++) expect((await take()).allowed).toBe(true);
    const refused = await take();
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeCloseTo(0.5, 5);
    clock.ms += 400;
    expect((await take()).allowed).toBe(false);
    clock.ms += 150;
    expect((await take()).allowed).toBe(true);
    clock.ms += 60_000;
    for (let i = 0; i < 3; i++) expect((await take()).allowed).toBe(true);
    expect((await take()).allowed).toBe(false);
  });

  it('evicts the least recently used key beyond maxEntries', async () => {
    const { store } = clockedStore({ maxEntries: 2 });
    await store.set('a', '1', 60);
    await store.set('b', '2', 60);
    await store.get('a');
    await store.set('c', '3', 60);
    expect(await store.get('a')).toBe('1');
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('c')).toBe('3');
  });
});
