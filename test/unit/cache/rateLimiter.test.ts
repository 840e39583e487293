import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/cache/memoryStore.ts';
import { enforceRateLimit, RateLimiter } from '../../../src/cache/rateLimiter.ts';
import { KbError } from '../../../src/errors.ts';

function setup() {
  const clock = { ms: 0 };
  const limiter = new RateLimiter(new MemoryStore({ now: () => clock.ms }), { perMinute: 6, burst: 2 });
  return { clock, limiter };
}

describe('RateLimiter', () => {
  it('allows the burst, then refuses with whole seconds until one token refills', async () => {
    const { clock, limiter } = setup();
    expect(await limiter.check('slack:U1')).toEqual({ allowed: true, retryAfterSeconds: 0 });
    expect((await limiter.check('slack:U1')).allowed).toBe(true);
    // 6 per minute is one token every 10 s.
    expect(await limiter.check('slack:U1')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    clock.ms += 9_000;
    expect(await limiter.check('slack:U1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.ms += 1_000;
    expect((await limiter.check('slack:U1')).allowed).toBe(true);
    expect((await limiter.check('slack:U1')).allowed).toBe(false);
  });

  it('limits each user separately', async () => {
    const { limiter } = setup();
    await limiter.check('slack:U1');
    await limiter.check('slack:U1');
    expect((await limiter.check('slack:U1')).allowed).toBe(false);
    expect((await limiter.check('discord:U1')).allowed).toBe(true);
  });

  it('throws rate/limited with a message saying when to retry', async () => {
    const { limiter } = setup();
    await enforceRateLimit(limiter, 'u');
    await enforceRateLimit(limiter, 'u');
    const err = await enforceRateLimit(limiter, 'u').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KbError);
    expect((err as KbError).code).toBe('rate/limited');
    expect((err as KbError).userMessage).toBe("You're asking quickly — try again in 10 seconds.");
  });
});
