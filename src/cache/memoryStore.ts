import { LRUCache } from 'lru-cache';
import { lockToken, wholeSeconds, type KeyValueStore, type TokenBucketResult } from './keyValueStore.ts';

type Entry = { kind: 'string'; value: string } | { kind: 'set'; members: Set<string> } | { kind: 'bucket'; tokens: number; at: number };

export interface MemoryStoreOptions {
  prefix?: string;
  /** Bounds the number of keys... */
  maxEntries?: number;
  /** ...and their total size in characters, so big embedding vectors cannot eat the heap. */
  maxSizeChars?: number;
  /** Milliseconds clock; injectable so tests can move time instead of sleeping. */
  now?: () => number;
}

function entrySize(e: Entry): number {
  if (e.kind === 'string') return e.value.length + 1;
  if (e.kind === 'set') {
    let n = 1;
    for (const m of e.members) n += m.length;
    return n;
  }
  return 16;
}

/**
 * In-process fallback with the same semantics as the Redis store (TTL in whole seconds,
 * SET NX, token bucket, sets whose TTL only grows). State is per process: two bot
 * processes without Redis each keep their own cache, rate limits and event claims.
 */
export class MemoryStore implements KeyValueStore {
  readonly kind = 'memory' as const;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly lru: LRUCache<string, Entry>;

  constructor(options: MemoryStoreOptions = {}) {
    this.prefix = options.prefix ?? '';
    this.now = options.now ?? (() => performance.now());
    this.lru = new LRUCache<string, Entry>({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxSizeChars ?? 32 * 1024 * 1024,
      sizeCalculation: entrySize,
      // Give lru-cache the same clock, so TTL expiry and the token bucket agree in tests.
      perf: { now: this.now },
      // lru-cache otherwise caches "now" until a 1 ms timer fires, which an injected clock never advances past.
      ttlResolution: 0,
      // A TTL is always given per entry; this only switches TTL tracking on.
      ttl: 24 * 3600 * 1000,
    });
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<string | undefined> {
    const e = this.lru.get(this.k(key));
    return e?.kind === 'string' ? e.value : undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.lru.set(this.k(key), { kind: 'string', value }, { ttl: wholeSeconds(ttlSeconds) * 1000 });
  }

  async del(keys: string[]): Promise<void> {
    for (const key of keys) this.lru.delete(this.k(key));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    // has() treats expired entries as absent, like Redis.
    if (this.lru.has(this.k(key))) return false;
    await this.set(key, value, ttlSeconds);
    return true;
  }

  async tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    const k = this.k(key);
    if (this.lru.has(k)) return undefined;
    const token = lockToken();
    this.lru.set(k, { kind: 'string', value: token }, { ttl: Math.max(1, Math.ceil(ttlMs)) });
    return token;
  }

  async unlock(key: string, token: string): Promise<void> {
    const k = this.k(key);
    const e = this.lru.get(k);
    if (e?.kind === 'string' && e.value === token) this.lru.delete(k);
  }

  async tokenBucket(key: string, ratePerSec: number, burst: number, cost = 1): Promise<TokenBucketResult> {
    const k = this.k(key);
    const nowMs = this.now();
    const prev = this.lru.get(k);
    const state = prev?.kind === 'bucket' ? prev : { tokens: burst, at: nowMs };
    const tokens = Math.min(burst, state.tokens + (Math.max(0, nowMs - state.at) / 1000) * ratePerSec);
    const allowed = tokens >= cost;
    const left = allowed ? tokens - cost : tokens;
    const retryAfterSeconds = allowed ? 0 : (cost - tokens) / ratePerSec;
    // Keep the state only as long as a refill to full takes; after that it equals a fresh bucket.
    this.lru.set(k, { kind: 'bucket', tokens: left, at: nowMs }, { ttl: Math.ceil((burst / ratePerSec) * 1000) + 1000 });
    return { allowed, retryAfterSeconds };
  }

  async sAdd(key: string, members: string[], ttlSeconds: number): Promise<void> {
    const k = this.k(key);
    const prev = this.lru.get(k);
    const set = prev?.kind === 'set' ? prev.members : new Set<string>();
    for (const m of members) set.add(m);
    const remaining = prev?.kind === 'set' ? this.lru.getRemainingTTL(k) : 0;
    this.lru.set(k, { kind: 'set', members: set }, { ttl: Math.max(remaining, wholeSeconds(ttlSeconds) * 1000) });
  }

  async sMembers(key: string): Promise<string[]> {
    const e = this.lru.get(this.k(key));
    return e?.kind === 'set' ? [...e.members] : [];
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
