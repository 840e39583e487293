import { describe, expect, it } from 'vitest';
import { compileFacts, normaliseAnswerText, statesFact } from '../../src/eval/facts.ts';

describe('fact matching (kb eval --answers)', () => {
  const facts = compileFacts(['read committed', 'USING\\s+gin']);
  it('removes citation markers and collapses whitespace before matching', () => {
    expect(normaliseAnswerText('Read [1] Committed\n\n  is the default. [2]')).toBe('Read Committed is the default.');
    expect(statesFact({ text: 'Read [1]\nCommitted is the default.', refused: false }, facts)).toBe(true);
  });
  it('matches case-insensitively, any one fact being enough', () => {
    expect(statesFact({ text: 'CREATE INDEX ON t using GIN (tags);', refused: false }, facts)).toBe(true);
    expect(statesFact({ text: 'CREATE INDEX ON t (tags);', refused: false }, facts)).toBe(false);
  });
  it('never counts a refusal, even one that names the fact', () => {
    expect(statesFact({ text: "I don't know. The closest it has: Read Committed Isolation Level.", refused: true }, facts)).toBe(false);
  });
  it('counts nothing for a question without facts', () => {
    expect(statesFact({ text: 'anything', refused: false }, [])).toBe(false);
  });
});
