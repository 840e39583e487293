import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisStore } from '../../../src/cache/redisStore.ts';
import { captureLogger, freePort, killServer, sleep, startRedisServer, testPrefix, WARN, type LogLine } from './redisKit.ts';

/**
 * The cache must fail open: a Redis that dies mid-run turns every call into a miss that
 * waits on nothing, is reported once, and is used again when it returns, without
 * rebuilding the store.
 *
 * Waits are checked against a fake clock (timers, Date and performance.now), while
 * sockets stay real: a call that settles with the clock standing still waited on no
 * timeout, and a command timeout fires when, and only when, the clock reaches it. How long
 * answers take during an outage is measured by bench/soak.ts.
 */
const COMMAND_TIMEOUT_MS = 150;

interface Fixture {
  port: number;
  server?: ChildProcess;
  store: RedisStore;
  lines: LogLine[];
}
let fixture: Fixture | undefined;

/** A redis-server of the test's own, and a store on it logging into its own lines. */
async function redisWithStore(): Promise<Fixture> {
  const port = await freePort(6390, 6392);
  const server = await startRedisServer(port);
  const { logger, lines } = captureLogger();
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, prefix: testPrefix(), commandTimeoutMs: COMMAND_TIMEOUT_MS, logger });
  fixture = { port, server, store, lines };
  // Connected before the test begins.
  await store.set('k', 'v', 60);
  return fixture;
}

const warnings = (lines: LogLine[]) => lines.filter((l) => l.level >= WARN);

/** The clock only the test moves; real I/O keeps flowing (no setImmediate or nextTick faked). */
function stopClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
}

/** Tracks whether a promise has settled yet. */
function watch<T>(p: Promise<T>): { settled: () => boolean; result: Promise<T> } {
  let done = false;
  const result = p.finally(() => (done = true));
  return { settled: () => done, result };
}

/** A get sent to a frozen server: still waiting 1 ms before the command timeout, a miss at it. */
async function expectMissAtCommandTimeout(call: Promise<string | undefined>): Promise<void> {
  const w = watch(call);
  await vi.advanceTimersByTimeAsync(COMMAND_TIMEOUT_MS - 1);
  expect(w.settled()).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(await w.result).toBeUndefined();
}

afterEach(async () => {
  vi.useRealTimers();
  const f = fixture;
  fixture = undefined;
  if (!f) return;
  if (f.server?.pid && f.server.exitCode === null && f.server.signalCode === null) process.kill(f.server.pid, 'SIGCONT');
  await f.store.close();
  await killServer(f.server);
});

describe('RedisStore when Redis dies and comes back', () => {
  it('works while the server is up', async () => {
    const { store, lines } = await redisWithStore();
    expect(await store.get('k')).toBe('v');
    expect(await store.setIfAbsent('claim', '1', 60)).toBe(true);
    expect(await store.setIfAbsent('claim', '1', 60)).toBe(false);
    expect(warnings(lines)).toEqual([]);
  });

  it('answers every call as a miss after SIGKILL: those in flight once the clock reaches the command timeout, the rest without waiting, warning once', async () => {
    const f = await redisWithStore();
    stopClock();
    // Calls in flight while the server is killed, as a busy bot would have. ioredis keeps
    // them for a retry after reconnecting; their command timeout (or its retry limit) ends them.
    const inFlight = Array.from({ length: 5 }, () => f.store.get('k'));
    await killServer(f.server, 'SIGKILL');
    // And one sent just after, which the client may still write before it sees the socket close.
    const afterKill = f.store.get('k');
    await vi.advanceTimersByTimeAsync(COMMAND_TIMEOUT_MS);
    for (const v of await Promise.all(inFlight)) expect([undefined, 'v']).toContain(v);
    expect(await afterKill).toBeUndefined();
    // From now on the clock stands still: had any call waited on a timeout or a reconnect
    // (an offline queue), it would never settle and the test would fail on its timeout.
    const buckets: boolean[] = [];
    for (let i = 0; i < 15; i++) {
      expect(await f.store.get('k')).toBeUndefined();
      expect(await f.store.setIfAbsent('claim', '2', 60)).toBe(true);
      buckets.push((await f.store.tokenBucket('rl:u', 0.001, 1)).allowed);
      expect(await f.store.sMembers('idx')).toEqual([]);
    }
    // The rate limit falls back to this process's own bucket: the burst, then limited.
    expect(buckets).toEqual([true, ...Array(14).fill(false)]);
    expect(warnings(f.lines)).toHaveLength(1);
    expect(warnings(f.lines)[0]!.msg).toMatch(/redis is unavailable/);
  });

  it('gives up on a frozen server at the command timeout, then skips it for the cool-off without waiting', async () => {
    const f = await redisWithStore();
    stopClock();
    process.kill(f.server!.pid!, 'SIGSTOP');
    await expectMissAtCommandTimeout(f.store.get('k'));
    expect(warnings(f.lines)).toHaveLength(1);
    expect(warnings(f.lines)[0]!.err).toMatchObject({ message: 'Command timed out' });

    // The breaker is open: the next calls settle with the clock standing still.
    const skipped = watch(Promise.all([f.store.get('k'), f.store.setIfAbsent('claim', '1', 60), f.store.sMembers('idx')]));
    await vi.advanceTimersByTimeAsync(0);
    expect(skipped.settled()).toBe(true);
    expect(await skipped.result).toEqual([undefined, true, []]);

    // After the cool-off one call probes the (still frozen) server again, and waits its timeout.
    await vi.advanceTimersByTimeAsync(1000);
    await expectMissAtCommandTimeout(f.store.get('k'));
    expect(warnings(f.lines)).toHaveLength(1);
  });

  it('reconnects by itself when the server returns on the same port', async () => {
    const f = await redisWithStore();
    await f.store.setIfAbsent('claim', '1', 60);
    await killServer(f.server, 'SIGKILL');
    expect(await f.store.get('k')).toBeUndefined();
    expect(warnings(f.lines)).toHaveLength(1);
    f.server = await startRedisServer(f.port);
    let back: string | undefined;
    for (let i = 0; i < 100 && back === undefined; i++) {
      await f.store.set('k2', 'again', 60);
      back = await f.store.get('k2');
      if (back === undefined) await sleep(100);
    }
    expect(back).toBe('again');
    // The restarted server is empty, so the claim is free again, and the bucket is real.
    expect(await f.store.setIfAbsent('claim', '3', 60)).toBe(true);
    expect((await f.store.tokenBucket('rl:u', 0.001, 1)).allowed).toBe(true);
    expect((await f.store.tokenBucket('rl:u', 0.001, 1)).allowed).toBe(false);
    expect(f.lines.filter((l) => l.msg === 'redis is back')).toHaveLength(1);
    expect(warnings(f.lines)).toHaveLength(1);
  });
});

describe('RedisStore when Redis is down at start-up', () => {
  it('serves misses without waiting on any timer, and warns once, without throwing', async () => {
    const down = captureLogger();
    const deadPort = await freePort(6390, 6392);
    // The clock stands still from before the store exists: its wait for the first
    // connection and the client's connect timeout can never fire, only the refusal can end them.
    stopClock();
    const s = new RedisStore({ url: `redis://127.0.0.1:${deadPort}`, prefix: testPrefix(), commandTimeoutMs: COMMAND_TIMEOUT_MS, logger: down.logger });
    try {
      const calls = await Promise.all([s.get('k'), s.setIfAbsent('e', '1', 60), s.tokenBucket('u', 1, 1)]);
      expect(calls).toEqual([undefined, true, { allowed: true, retryAfterSeconds: 0 }]);
      // A lock fails open too: every caller holds it, so nobody waits on a Redis that is away.
      const locks = await Promise.all([s.tryLock('lock:q', 10_000), s.tryLock('lock:q', 10_000)]);
      expect(locks.every((l) => typeof l === 'string')).toBe(true);
      await s.unlock('lock:q', locks[0]!);
      await s.set('k', 'v', 60);
      expect(down.lines.filter((l) => l.level >= WARN)).toHaveLength(1);
    } finally {
      vi.useRealTimers();
      await s.close();
    }
  });
});
