import { KbError } from '../errors.ts';
import type { KeyValueStore, TokenBucketResult } from './keyValueStore.ts';

export interface RateLimitOptions {
  /** Sustained questions per minute per user. */
  perMinute: number;
  /** Questions a user may ask back to back before the sustained rate applies. */
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds (at least 1) when refused, so the message never says "0 seconds". */
  retryAfterSeconds: number;
}

/** Per-user token bucket, shared by every bot process when the store is Redis. */
export class RateLimiter {
  constructor(
    private readonly store: KeyValueStore,
    private readonly options: RateLimitOptions,
  ) {}

  async check(user: string): Promise<RateDecision> {
    const r: TokenBucketResult = await this.store.tokenBucket(`rl:${user}`, this.options.perMinute / 60, this.options.burst);
    return r.allowed ? { allowed: true, retryAfterSeconds: 0 } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(r.retryAfterSeconds)) };
  }
}

export function rateLimitedError(retryAfterSeconds: number): KbError {
  const n = Math.max(1, Math.ceil(retryAfterSeconds));
  return new KbError('rate/limited', `You're asking quickly — try again in ${n} second${n === 1 ? '' : 's'}.`);
}

/** Throws KbError('rate/limited') with a user-facing retry time when `user` is over the limit. */
export async function enforceRateLimit(limiter: RateLimiter, user: string): Promise<void> {
  const decision = await limiter.check(user);
  if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
}
