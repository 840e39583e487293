import { randomBytes } from 'node:crypto';

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
  /**
   * A lock with expiry (SET NX PX): a fresh random token when this caller now holds it,
   * undefined while another holder's lock lives. Fails open: a token when the backend is away.
   */
  tryLock(key: string, ttlMs: number): Promise<string | undefined>;
  /**
   * Compare-and-delete: releases the lock only while it still holds `token`, so a caller
   * whose lock expired never releases the lock someone else has taken since.
   */
  unlock(key: string, token: string): Promise<void>;
  /** Atomic token bucket: `burst` tokens, refilled at `ratePerSec`; each call takes `cost`. */
  tokenBucket(key: string, ratePerSec: number, burst: number, cost?: number): Promise<TokenBucketResult>;
  /** Adds members to a set; its TTL becomes at least `ttlSeconds` (never shortened). */
  sAdd(key: string, members: string[], ttlSeconds: number): Promise<void>;
  sMembers(key: string): Promise<string[]>;
  close(): Promise<void>;
}

/** A lock token no other holder can guess or share. */
export function lockToken(): string {
  return randomBytes(16).toString('hex');
}

/** Redis wants whole seconds of at least 1; a fraction would otherwise be an error. */
export function wholeSeconds(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds));
}
