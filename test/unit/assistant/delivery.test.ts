import { describe, expect, it } from 'vitest';
import { handleOnce, logFailure } from '../../../src/assistant/delivery.ts';
import { KbError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/logger.ts';
import { FakeAssistant } from '../../support/fakeAssistant.ts';

function kit() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } });
  const claims = new FakeAssistant();
  return { lines, claims, released: claims.released, d: { platform: 'slack' as const, logger } };
}

describe('the core delivery policy', () => {
  it('runs an event once, and releases its claim when the work fails so a redelivery is answered', async () => {
    const { claims, released, d } = kit();
    let runs = 0;
    expect(await handleOnce(claims, d, 'e1', async () => void runs++)).toBe(true);
    expect(await handleOnce(claims, d, 'e1', async () => void runs++)).toBe(false);
    await handleOnce(claims, d, 'e2', async () => {
      runs++;
      throw new Error('boom');
    });
    expect(released).toEqual(['e2']);
    expect(await handleOnce(claims, d, 'e2', async () => void runs++)).toBe(true);
    expect(runs).toBe(3);
  });

  it('handles the event anyway when the claim store is down', async () => {
    const { d } = kit();
    let ran = false;
    const down = { claimEvent: () => Promise.reject(new Error('redis down')), releaseEvent: () => Promise.resolve() };
    expect(await handleOnce(down, d, 'e3', async () => void (ran = true))).toBe(true);
    expect(ran).toBe(true);
  });

  it('logs a drain and a rate limit at info, an unexpected failure at error, and shows only the short message', () => {
    const { lines, d } = kit();
    expect(logFailure(d, new KbError('service/draining'), {})).toBe('The bot is restarting; please ask again in a moment.');
    expect(logFailure(d, new KbError('rate/limited', 'Wait 3 seconds.'), {})).toBe('Wait 3 seconds.');
    expect(logFailure(d, new Error('stack trace inside'), {})).toBe('Something went wrong on our side; please try again.');
    expect(lines.map((l) => [l.level, l.code])).toEqual([
      [30, 'service/draining'],
      [30, 'rate/limited'],
      [50, 'internal/unexpected'],
    ]);
  });
});
