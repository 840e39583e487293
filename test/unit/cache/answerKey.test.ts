import { describe, expect, it } from 'vitest';
import { AnswerCache, normaliseQuestion } from '../../../src/cache/answerCache.ts';
import { MemoryStore } from '../../../src/cache/memoryStore.ts';

const cache = new AnswerCache(new MemoryStore());
const base = { question: 'How do I create a partial index?', scope: ['postgres', 'mysql'], identity: 'settings-a' };

describe('answer cache keys', () => {
  it('normalises case, inner whitespace and trailing punctuation', () => {
    expect(normaliseQuestion('  How   do I\tcreate a\nPARTIAL index?!  ')).toBe('how do i create a partial index');
    expect(normaliseQuestion('What is MVCC...')).toBe('what is mvcc');
  });

  it('keeps punctuation that carries meaning inside the question', () => {
    expect(normaliseQuestion('Is pg_stat_activity.state "idle"?')).toBe('is pg_stat_activity.state "idle"');
  });

  it('gives the same key to questions that differ only in form, and to reordered scopes', () => {
    const a = cache.key(base);
    expect(cache.key({ ...base, question: 'how do i create a  partial index' })).toBe(a);
    expect(cache.key({ ...base, scope: ['mysql', 'postgres', 'mysql'] })).toBe(a);
  });

  it('gives different keys when the question, scope or answer identity differ', () => {
    const a = cache.key(base);
    const others = [
      cache.key({ ...base, question: 'How do I drop a partial index?' }),
      cache.key({ ...base, scope: ['postgres'] }),
      cache.key({ ...base, identity: 'settings-b' }),
    ];
    expect(new Set([a, ...others]).size).toBe(4);
  });
});
