import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { MemoryStore } from './memoryStore.ts';
import type { Logger } from '../logger.ts';
import { lockToken, wholeSeconds, type KeyValueStore, type TokenBucketResult } from './keyValueStore.ts';

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL; ignored when clusterNodes is given. */
  url?: string;
  clusterNodes?: ClusterNode[];
  /** Namespace for every key, e.g. `kb:v1:`; bump the version to orphan old formats. */
  prefix: string;
  /** Upper bound on one command; a slow Redis must not slow answers down. */
  commandTimeoutMs: number;
  logger: Logger;
}

/**
 * Atomic token bucket, one hash per bucket. Redis's own clock is used so every bot
 * process agrees on refill time (needs Redis ≥ 5 for script effects replication).
 * Floats are returned as strings because Redis truncates Lua numbers to integers.
 */
const TOKEN_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(retry)}
`;

/** SADD plus "TTL at least N": EXPIRE GT alone would never set a TTL on a fresh set. */
const SADD_TTL_LUA = `
local ttl = tonumber(ARGV[1])
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
if redis.call('TTL', KEYS[1]) < ttl then redis.call('EXPIRE', KEYS[1], ttl) end
return 1
`;

/** Deletes a lock only while it holds the caller's token (GET and DEL in one atomic step). */
const UNLOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface Scripts {
  kbTokenBucket(key: string, rate: string, burst: string, cost: string): Promise<[number, string]>;
  kbSAddTtl(key: string, ttl: string, ...members: string[]): Promise<number>;
  kbUnlock(key: string, token: string): Promise<number>;
}

type Client = (Redis | Cluster) & Scripts;

/** Reply errors that mean "Redis is not serving right now", not "this command is wrong". */
const unavailableReply = /^(LOADING|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|READONLY|BUSY)\b/;

/** The Redis Cluster hash tag of a key, if it has one (same rule as the server's). */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/**
 * Redis (or Redis Cluster) behind the KeyValueStore interface. It fails open: with the
 * offline queue disabled and a command timeout, every call during an outage returns a
 * miss at once, while the client keeps reconnecting in the background. An outage is
 * logged once when it starts and once when it ends, not once per request.
 */
const BREAKER_COOL_OFF_MS = 1000;

export class RedisStore implements KeyValueStore {
  readonly kind: 'redis' | 'redis-cluster';
  private readonly client: Client;
  private readonly logger: Logger;
  private readonly prefix: string;
  private down = false;
  /**
   * Circuit breaker: after a failure, calls return their fallback at once until this
   * time, then one call probes again. A frozen Redis (connected but silent) would
   * otherwise cost a full command timeout on every call of every answer.
   */
  private skipUntil = 0;
  private readonly local = new MemoryStore({ prefix: 'fallback:' });
  /** Until the first connection settles, calls wait for it instead of failing as "offline". */
  private startup: Promise<void> | undefined;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix;
    this.logger = options.logger;
    const timeout = options.commandTimeoutMs;
    // Keep reconnecting forever, backing off to at most 2 s between attempts.
    const retry = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);
    const redisOptions: RedisOptions = {
      commandTimeout: timeout,
      connectTimeout: Math.max(1000, timeout * 4),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: retry,
    };
    if (options.clusterNodes?.length) {
      this.kind = 'redis-cluster';
      this.client = new Cluster(options.clusterNodes, { redisOptions, enableOfflineQueue: false, clusterRetryStrategy: retry }) as Client;
      this.client.on('node error', (err: unknown) => this.markDown(err));
    } else {
      this.kind = 'redis';
      this.client = (options.url ? new Redis(options.url, redisOptions) : new Redis(redisOptions)) as Client;
    }
    this.client.defineCommand('kbTokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET_LUA });
    this.client.defineCommand('kbSAddTtl', { numberOfKeys: 1, lua: SADD_TTL_LUA });
    this.client.defineCommand('kbUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
    // Without an 'error' listener ioredis prints every failed reconnect to the console.
    this.client.on('error', (err: unknown) => this.markDown(err));
    this.client.on('ready', () => this.markUp());
    this.startup = this.firstConnection(Math.max(1000, timeout * 4));
  }

  private firstConnection(waitMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        this.client.off('error', done);
        this.startup = undefined;
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      timer.unref();
      this.client.once('ready', done);
      this.client.once('error', done);
    });
  }

  private markDown(err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger.warn({ err, kind: this.kind }, 'redis is unavailable: caching, rate limits and event de-duplication are off until it returns');
  }

  private markUp(): void {
    this.skipUntil = 0;
    if (!this.down) return;
    this.down = false;
    this.logger.info({ kind: this.kind }, 'redis is back');
  }

  /** Runs one operation; any failure becomes `fallback`, so callers never see Redis errors. */
  private async run<T>(op: string, fn: () => Promise<T>, fallbackValue: T | (() => Promise<T>)): Promise<T> {
    const fallback = () => (typeof fallbackValue === 'function' ? (fallbackValue as () => Promise<T>)() : Promise.resolve(fallbackValue));
    if (this.startup) await this.startup;
    if (this.down && performance.now() < this.skipUntil) return fallback();
    try {
      const result = await fn();
      this.markUp();
      return result;
    } catch (err) {
      const isReply = (err as { name?: string }).name === 'ReplyError';
      if (isReply && !unavailableReply.test((err as Error).message)) {
        // A bug (wrong type, bad script), not an outage: say which operation, every time.
        this.logger.warn({ err, op }, 'redis rejected a cache command');
      } else {
        this.markDown(err);
        this.skipUntil = performance.now() + BREAKER_COOL_OFF_MS;
      }
      return fallback();
    }
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  get(key: string): Promise<string | undefined> {
    return this.run('get', async () => (await this.client.get(this.k(key))) ?? undefined, undefined);
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return this.run('set', async () => void (await this.client.set(this.k(key), value, 'EX', wholeSeconds(ttlSeconds))), undefined);
  }

  del(keys: string[]): Promise<void> {
    if (!keys.length) return Promise.resolve();
    return this.run(
      'del',
      async () => {
        const full = keys.map((key) => this.k(key));
        if (this.kind === 'redis') {
          await this.client.del(...full);
          return;
        }
        // Cluster rejects a multi-key DEL across slots: one DEL per hash tag, single keys alone.
        const groups = new Map<string, string[]>();
        for (const key of full) {
          const tag = hashTag(key);
          const group = tag === undefined ? key : `{${tag}}`;
          groups.set(group, [...(groups.get(group) ?? []), key]);
        }
        await Promise.all([...groups.values()].map((g) => this.client.del(...g)));
      },
      undefined,
    );
  }

  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    // Failing open means a duplicate may be processed during an outage; that beats dropping it.
    return this.run('setIfAbsent', async () => (await this.client.set(this.k(key), value, 'EX', wholeSeconds(ttlSeconds), 'NX')) === 'OK', true);
  }

  tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = lockToken();
    // Failing open: with Redis away every caller holds the lock, i.e. computes for itself.
    return this.run('tryLock', async () => ((await this.client.set(this.k(key), token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK' ? token : undefined), token);
  }

  unlock(key: string, token: string): Promise<void> {
    return this.run('unlock', async () => void (await this.client.kbUnlock(this.k(key), token)), undefined);
  }

  tokenBucket(key: string, ratePerSec: number, burst: number, cost = 1): Promise<TokenBucketResult> {
    return this.run(
      'tokenBucket',
      async () => {
        const [allowed, retry] = await this.client.kbTokenBucket(this.k(key), String(ratePerSec), String(burst), String(cost));
        return { allowed: allowed === 1, retryAfterSeconds: Number(retry) };
      },
      // While Redis is away each process limits on its own rather than not at all.
      () => this.local.tokenBucket(key, ratePerSec, burst, cost),
    );
  }

  sAdd(key: string, members: string[], ttlSeconds: number): Promise<void> {
    if (!members.length) return Promise.resolve();
    return this.run('sAdd', async () => void (await this.client.kbSAddTtl(this.k(key), String(wholeSeconds(ttlSeconds)), ...members)), undefined);
  }

  sMembers(key: string): Promise<string[]> {
    return this.run('sMembers', () => this.client.smembers(this.k(key)), []);
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      // QUIT cannot be sent while disconnected; just drop the socket and stop reconnecting.
      this.client.disconnect();
    }
  }
}
