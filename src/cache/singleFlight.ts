import type { KeyValueStore } from './keyValueStore.ts';

export interface SingleFlightOptions {
  /**
   * How long the lock lives: longer than one computation takes. When it expires
   * (a holder that crashed or hangs) the next waiter computes instead.
   */
  lockTtlMs: number;
  /** First pause between a waiter's looks at the cache; it doubles up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
}

export interface Flight<T> {
  /** The shared result, if someone has already stored it (the cache lookup). */
  read(): Promise<T | undefined>;
  /** Computes the result and stores it where `read` finds it, before returning. */
  compute(): Promise<T>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `compute` once for many concurrent callers of the same key, across every process
 * sharing `store`: the first takes a lock (SET NX PX with a random token); the others
 * wait for `read` to find the stored result. It fails open, computing rather than
 * waiting for ever: with the store away, tryLock hands everyone the lock; when the
 * lock is gone without a result (it expired, or the holder stored nothing, e.g. a
 * degraded answer), the next waiter takes it over; and nobody waits beyond lockTtlMs.
 */
export async function singleFlight<T>(store: KeyValueStore, key: string, flight: Flight<T>, options: SingleFlightOptions): Promise<T> {
  const lockKey = `lock:${key}`;
  const deadline = performance.now() + options.lockTtlMs;
  let pause = options.pollMs ?? 20;
  for (;;) {
    const token = await store.tryLock(lockKey, options.lockTtlMs);
    if (token !== undefined) {
      // The holder before us may have stored the result just before releasing.
      const ready = await flight.read();
      if (ready !== undefined) {
        await store.unlock(lockKey, token);
        return ready;
      }
      try {
        return await flight.compute();
      } finally {
        await store.unlock(lockKey, token);
      }
    }
    if (performance.now() >= deadline) return flight.compute();
    await sleep(pause);
    pause = Math.min(pause * 2, options.maxPollMs ?? 200);
    const shared = await flight.read();
    if (shared !== undefined) return shared;
  }
}
