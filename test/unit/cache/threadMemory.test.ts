import { describe, expect, it } from 'vitest';
import type { ConversationKey } from '../../../src/assistant/types.ts';
import { MemoryStore } from '../../../src/cache/memoryStore.ts';
import { ThreadMemory } from '../../../src/cache/threadMemory.ts';

const thread: ConversationKey = { platform: 'slack', channel: 'C1', thread: '1700000000.000100' };

function setup(maxTurns = 3, maxCharsPerTurn = 20) {
  const clock = { ms: 0 };
  const store = new MemoryStore({ now: () => clock.ms });
  return { clock, store, memory: new ThreadMemory(store, { maxTurns, maxCharsPerTurn, ttlSeconds: 60 }) };
}

describe('ThreadMemory', () => {
  it('keeps only the last N turns, oldest first', async () => {
    const { memory } = setup(3);
    for (let i = 1; i <= 5; i++) await memory.append(thread, { question: `q${i}`, answer: `a${i}` });
    expect(await memory.history(thread)).toEqual([
      { question: 'q3', answer: 'a3' },
      { question: 'q4', answer: 'a4' },
      { question: 'q5', answer: 'a5' },
    ]);
  });

  it('truncates a long answer to the per-turn character cap', async () => {
    const { memory } = setup(3, 20);
    await memory.append(thread, { question: 'q', answer: 'x'.repeat(100) });
    const [turn] = await memory.history(thread);
    expect(turn!.answer).toHaveLength(20);
    expect(turn!.answer.endsWith('…')).toBe(true);
  });

  it('keeps threads apart, even when ids contain separators', async () => {
    const { memory } = setup();
    await memory.append({ platform: 'cli', channel: 'a:b', thread: 'c' }, { question: 'one', answer: '1' });
    await memory.append({ platform: 'cli', channel: 'a', thread: 'b:c' }, { question: 'two', answer: '2' });
    expect((await memory.history({ platform: 'cli', channel: 'a:b', thread: 'c' })).map((t) => t.question)).toEqual(['one']);
    expect(await memory.history({ platform: 'discord', channel: 'a:b', thread: 'c' })).toEqual([]);
  });

  it('forgets an idle thread after the TTL, and each append restarts the clock', async () => {
    const { memory, clock } = setup();
    await memory.append(thread, { question: 'q1', answer: 'a1' });
    clock.ms += 50_000;
    await memory.append(thread, { question: 'q2', answer: 'a2' });
    clock.ms += 50_000;
    expect(await memory.history(thread)).toHaveLength(2);
    clock.ms += 11_000;
    expect(await memory.history(thread)).toEqual([]);
  });

  it('treats corrupt stored history as empty', async () => {
    const { memory, store } = setup();
    await store.set('thread:slack:C1:1700000000.000100', '{not json', 60);
    expect(await memory.history(thread)).toEqual([]);
  });
});
