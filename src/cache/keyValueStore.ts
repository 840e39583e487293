/**
 * The storage the cache layer needs, and nothing more. Two implementations: Redis
 * (shared by every bot process) and an in-process LRU (single process, or no Redis).
 *
 * Every implementation FAILS OPEN: a broken backend behaves like an empty cache (get →
 * undefined, setIfAbsent → true, tokenBucket → allowed) instead of throwing, because a
 * cache outage must never stop the bot from answering.
 *
 * Keys are logical (`ans:…`, `thread:…`); the store adds its namespace prefix. A key may
 * contain a Redis Cluster hash tag (`{…}`) when a caller wants keys kept on one slot.
 */
export interface TokenBucketResult {
  allowed: boolean;
  /** 0 when allowed; otherwise how long until enough tokens have refilled. */
  retryAfterSeconds: number;
}

export interface KeyValueStore {
  /** 'memory' lets callers tell an operator that caching is per-process only. */
  readonly kind: 'redis' | 'redis-cluster' | 'memory';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(keys: string[]): Promise<void>;
  /** SET NX: true only for the first caller to claim the key while it lives. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Atomic token bucket: `burst` tokens, refilled at `ratePerSec`; each call takes `cost`. */
  tokenBucket(key: string, ratePerSec: number, burst: number, cost?: number): Promise<TokenBucketResult>;
  /** Adds members to a set; its TTL becomes at least `ttlSeconds` (never shortened). */
  sAdd(key: string, members: string[], ttlSeconds: number): Promise<void>;
  sMembers(key: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Redis wants whole seconds of at least 1; a fraction would otherwise be an error. */
export function wholeSeconds(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds));
}
