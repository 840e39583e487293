import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../src/cache/redisStore.ts';
import { captureLogger, freePort, killServer, sleep, startRedisServer, testPrefix, WARN } from './redisKit.ts';

/**
 * The cache must fail open: a Redis that dies mid-run turns every call into a fast miss,
 * is reported once, and is used again when it returns, without rebuilding the store.
 */
let port: number;
let server: ChildProcess | undefined;
let store: RedisStore;
const { logger, lines } = captureLogger();
const warnings = () => lines.filter((l) => l.level >= WARN);

beforeAll(async () => {
  port = await freePort(6390, 6392);
  server = await startRedisServer(port);
  store = new RedisStore({ url: `redis://127.0.0.1:${port}`, prefix: testPrefix(), commandTimeoutMs: 150, logger });
});

afterAll(async () => {
  await store?.close();
  await killServer(server);
});

/** Runs one call and returns its result with how long it took. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

describe('RedisStore when Redis dies and comes back', () => {
  it('works while the server is up', async () => {
    await store.set('k', 'v', 60);
    expect(await store.get('k')).toBe('v');
    expect(await store.setIfAbsent('claim', '1', 60)).toBe(true);
    expect(await store.setIfAbsent('claim', '1', 60)).toBe(false);
    expect(warnings()).toEqual([]);
  });

  it('answers every call quickly as a miss after SIGKILL, warning once', async () => {
    // Keep calls in flight while the server is killed, as a busy bot would.
    const inFlight = Array.from({ length: 5 }, () => timed(() => store.get('k')));
    await killServer(server, 'SIGKILL');
    const during = await Promise.all(inFlight);
    for (const r of during) expect(r.ms).toBeLessThan(300);

    const results: Array<{ ms: number; ok: boolean }> = [];
    const buckets: boolean[] = [];
    for (let i = 0; i < 15; i++) {
      const g = await timed(() => store.get('k'));
      const c = await timed(() => store.setIfAbsent('claim', '2', 60));
      const t = await timed(() => store.tokenBucket('rl:u', 0.001, 1));
      const m = await timed(() => store.sMembers('idx'));
      results.push(
        { ms: g.ms, ok: g.value === undefined },
        { ms: c.ms, ok: c.value === true },
        { ms: t.ms, ok: true },
        { ms: m.ms, ok: m.value.length === 0 },
      );
      buckets.push(t.value.allowed);
      await sleep(30);
    }
    expect(results.every((r) => r.ok)).toBe(true);
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(300);
    // The rate limit falls back to this process's own bucket: the burst, then limited.
    expect(buckets).toEqual([true, ...Array(14).fill(false)]);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toMatch(/redis is unavailable/);
  });

  it('reconnects by itself when the server returns on the same port', async () => {
    server = await startRedisServer(port);
    let back: string | undefined;
    for (let i = 0; i < 100 && back === undefined; i++) {
      await store.set('k2', 'again', 60);
      back = await store.get('k2');
      if (back === undefined) await sleep(100);
    }
    expect(back).toBe('again');
    // The restarted server is empty, so the claim is free again, and the bucket is real.
    expect(await store.setIfAbsent('claim', '3', 60)).toBe(true);
    expect((await store.tokenBucket('rl:u', 0.001, 1)).allowed).toBe(true);
    expect((await store.tokenBucket('rl:u', 0.001, 1)).allowed).toBe(false);
    expect(lines.filter((l) => l.msg === 'redis is back')).toHaveLength(1);
    expect(warnings()).toHaveLength(1);
  });
});

describe('RedisStore when Redis is down at start-up', () => {
  it('serves misses at once and warns once, without throwing', async () => {
    const down = captureLogger();
    const deadPort = await freePort(6390, 6392);
    const s = new RedisStore({ url: `redis://127.0.0.1:${deadPort}`, prefix: testPrefix(), commandTimeoutMs: 150, logger: down.logger });
    try {
      const calls = await Promise.all([timed(() => s.get('k')), timed(() => s.setIfAbsent('e', '1', 60)), timed(() => s.tokenBucket('u', 1, 1))]);
      expect(calls.map((c) => c.value)).toEqual([undefined, true, { allowed: true, retryAfterSeconds: 0 }]);
      // A lock fails open too: every caller holds it, so nobody waits on a Redis that is away.
      const locks = await Promise.all([s.tryLock('lock:q', 10_000), s.tryLock('lock:q', 10_000)]);
      expect(locks.every((l) => typeof l === 'string')).toBe(true);
      await s.unlock('lock:q', locks[0]!);
      for (const c of calls) expect(c.ms).toBeLessThan(1500);
      await s.set('k', 'v', 60);
      expect(down.lines.filter((l) => l.level >= WARN)).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
