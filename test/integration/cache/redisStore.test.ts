import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../src/cache/redisStore.ts';
import { captureLogger, deletePrefix, REDIS_URL, sleep, testPrefix, WARN } from './redisKit.ts';

const prefix = testPrefix();
const { logger, lines } = captureLogger();
const stores: RedisStore[] = [];
const raw = new Redis(REDIS_URL);

function newStore(): RedisStore {
  const s = new RedisStore({ url: REDIS_URL, prefix, commandTimeoutMs: 500, logger });
  stores.push(s);
  return s;
}

let store: RedisStore;
beforeAll(() => {
  store = newStore();
});

afterAll(async () => {
  await deletePrefix(prefix);
  await Promise.all(stores.map((s) => s.close()));
  raw.disconnect();
});

describe('RedisStore against the local Redis', () => {
  it('stores values under its prefix with a TTL', async () => {
    await store.set('greeting', 'hello', 30);
    expect(await store.get('greeting')).toBe('hello');
    expect(await raw.get(`${prefix}greeting`)).toBe('hello');
    const ttl = await raw.ttl(`${prefix}greeting`);
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
    expect(await store.get('absent')).toBeUndefined();
  });

  it('deletes several keys at once', async () => {
    await store.set('d1', '1', 30);
    await store.set('d2', '2', 30);
    await store.set('d3', '3', 30);
    await store.del(['d1', 'd3']);
    expect([await store.get('d1'), await store.get('d2'), await store.get('d3')]).toEqual([undefined, '2', undefined]);
  });

  it('lets exactly one of two separate clients claim a key with setIfAbsent', async () => {
    const other = newStore();
    const attempts = Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).setIfAbsent('event:Ev123', String(i), 60));
    const results = await Promise.all(attempts);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await other.setIfAbsent('event:Ev123', 'late', 60)).toBe(false);
  });

  it('gives a lock to one of two clients, with a random token and a millisecond expiry', async () => {
    const other = newStore();
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).tryLock('lock:q1', 5000)));
    const held = tokens.filter((tk): tk is string => tk !== undefined);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(await raw.get(`${prefix}lock:q1`)).toBe(held[0]);
    const pttl = await raw.pttl(`${prefix}lock:q1`);
    expect(pttl).toBeGreaterThan(4000);
    expect(pttl).toBeLessThanOrEqual(5000);
  });

  it('releases a lock only with its own token (compare-and-delete)', async () => {
    const first = await store.tryLock('lock:q2', 60_000);
    expect(first).toBeDefined();
    await store.unlock('lock:q2', 'not-the-token');
    expect(await store.tryLock('lock:q2', 60_000)).toBeUndefined();
    await store.unlock('lock:q2', first!);
    expect(await raw.exists(`${prefix}lock:q2`)).toBe(0);
    expect(await store.tryLock('lock:q2', 60_000)).toBeDefined();
  });

  it('lets a lock expire, after which the first holder cannot release its successor', async () => {
    const first = await store.tryLock('lock:q3', 50);
    await sleep(120);
    const second = await store.tryLock('lock:q3', 60_000);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    await store.unlock('lock:q3', first!);
    expect(await raw.get(`${prefix}lock:q3`)).toBe(second);
  });

  it('token bucket limits a burst, then refills at the given rate', async () => {
    const take = () => store.tokenBucket('rl:user-1', 10, 3);
    const first = await Promise.all([take(), take(), take()]);
    expect(first.map((r) => r.allowed)).toEqual([true, true, true]);
    const refused = await take();
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(0.1);
    const ttl = await raw.pttl(`${prefix}rl:user-1`);
    expect(ttl).toBeGreaterThan(0);
    await sleep(250);
    expect((await take()).allowed).toBe(true);
    expect((await take()).allowed).toBe(true);
    expect((await take()).allowed).toBe(false);
  });

  it('adds set members and only ever lengthens the set TTL', async () => {
    await store.sAdd('idx', ['a', 'b'], 100);
    await store.sAdd('idx', ['c'], 5);
    expect((await store.sMembers('idx')).sort()).toEqual(['a', 'b', 'c']);
    expect(await raw.ttl(`${prefix}idx`)).toBeGreaterThan(90);
    await store.sAdd('idx', ['d'], 500);
    expect(await raw.ttl(`${prefix}idx`)).toBeGreaterThan(490);
  });

  it('logs nothing at warning level while Redis is healthy', async () => {
    const quiet = captureLogger();
    const s = new RedisStore({ url: REDIS_URL, prefix, commandTimeoutMs: 500, logger: quiet.logger });
    stores.push(s);
    await s.set('quiet', 'v', 30);
    await s.get('quiet');
    await s.del(['quiet']);
    await s.setIfAbsent('quiet:claim', '1', 30);
    await s.unlock('quiet:lock', (await s.tryLock('quiet:lock', 1000))!);
    await s.tokenBucket('quiet:rl', 1, 1);
    await s.sAdd('quiet:set', ['a'], 30);
    await s.sMembers('quiet:set');
    expect(quiet.lines.filter((l) => l.level >= WARN)).toEqual([]);
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
  });
});
