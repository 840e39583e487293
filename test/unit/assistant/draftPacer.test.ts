import { describe, expect, it } from 'vitest';
import { DraftPacer } from '../../../src/assistant/draftPacer.ts';
import { ManualClock } from '../../support/manualClock.ts';

/** A pacer whose sends are recorded with the clock's time; each send resolves at once unless `hold` is set. */
function paced(opts: { postedAt?: number; fail?: (draft: string) => boolean } = {}) {
  const clock = new ManualClock();
  const sent: Array<{ draft: string; at: number }> = [];
  const errors: unknown[] = [];
  const pacer = new DraftPacer<string>(
    async (draft) => {
      sent.push({ draft, at: clock.now() });
      if (opts.fail?.(draft)) throw new Error(`could not send ${draft}`);
    },
    { intervalMs: 1000, clock, postedAt: opts.postedAt, onError: (err) => errors.push(err) },
  );
  return { clock, sent, errors, pacer };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DraftPacer', () => {
  it('sends the first draft at once, then only the latest draft, at most once per interval', async () => {
    const { clock, sent, pacer } = paced();
    pacer.push('a');
    pacer.push('a b');
    pacer.push('a b c');
    await tick();
    clock.advance(999);
    await tick();
    expect(sent).toEqual([{ draft: 'a', at: 0 }]);
    clock.advance(1);
    await tick();
    pacer.push('a b c d');
    clock.advance(400);
    await tick();
    expect(sent).toEqual([
      { draft: 'a', at: 0 },
      { draft: 'a b c', at: 1000 },
    ]);
    clock.advance(600);
    await tick();
    expect(sent.at(-1)).toEqual({ draft: 'a b c d', at: 2000 });
  });

  it('waits an interval after the message was posted before its first draft', async () => {
    const { clock, sent, pacer } = paced({ postedAt: 0 });
    pacer.push('a');
    await tick();
    expect(sent).toEqual([]);
    clock.advance(1000);
    await tick();
    expect(sent).toEqual([{ draft: 'a', at: 1000 }]);
  });

  it('settle() drops the unsent draft and resolves only once the interval since the last send has passed', async () => {
    const { clock, sent, pacer } = paced();
    pacer.push('a');
    await tick();
    clock.advance(300);
    pacer.push('a b');
    let settled: boolean | undefined;
    void pacer.settle().then((any) => (settled = any));
    await tick();
    clock.advance(699);
    await tick();
    expect(settled).toBeUndefined();
    clock.advance(1);
    await tick();
    expect(settled).toBe(true);
    pacer.push('a b c');
    clock.advance(5000);
    await tick();
    expect(sent.map((s) => s.draft)).toEqual(['a']);
  });

  it('settle() resolves at once when no draft was sent (an answer without a model)', async () => {
    const { pacer } = paced({ postedAt: 0 });
    await expect(pacer.settle()).resolves.toBe(false);
  });

  it('stops drafting after a send fails, and reports it', async () => {
    const { clock, sent, errors, pacer } = paced({ fail: (d) => d === 'a' });
    pacer.push('a');
    await tick();
    pacer.push('a b');
    clock.advance(5000);
    await tick();
    expect(sent.map((s) => s.draft)).toEqual(['a']);
    expect(errors).toHaveLength(1);
  });
});
