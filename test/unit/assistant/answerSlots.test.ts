import { describe, expect, it } from 'vitest';
import { AnswerSlots } from '../../../src/assistant/answerSlots.ts';
import { deferred } from '../../support/deferred.ts';

describe('AnswerSlots (MAX_CONCURRENT_ANSWERS)', () => {
  it('runs at most `max` at once and hands a freed slot to the longest-waiting question', async () => {
    const slots = new AnswerSlots({ max: 2, maxWaiting: 10, maxWaitMs: 60_000 });
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await g.promise;
        running--;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('turns a question away as busy when the line is full, and says so before (full)', async () => {
    const slots = new AnswerSlots({ max: 1, maxWaiting: 1, maxWaitMs: 60_000 });
    const gate = deferred();
    const first = slots.run(() => gate.promise);
    expect(slots.full).toBe(false);
    const second = slots.run(async () => 'second');
    expect(slots.full).toBe(true);
    await expect(slots.run(async () => 'third')).rejects.toMatchObject({ code: 'service/busy' });
    gate.resolve();
    await first;
    expect(await second).toBe('second');
    expect(slots.full).toBe(false);
  });

  it('turns a question away as busy after waiting maxWaitMs, and gives its place to no one', async () => {
    const slots = new AnswerSlots({ max: 1, maxWaiting: 5, maxWaitMs: 20 });
    const gate = deferred();
    const first = slots.run(() => gate.promise);
    await expect(slots.run(async () => 'late')).rejects.toMatchObject({ code: 'service/busy' });
    gate.resolve();
    await first;
    // The slot is free again: the timed-out question did not keep it.
    expect(await slots.run(async () => 'next')).toBe('next');
  });
});
