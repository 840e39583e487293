import { describe, expect, it } from 'vitest';
import { fill, loadPrompt } from '../../src/answer/prompts.ts';

describe('prompt templates', () => {
  it('fill every placeholder, leaving braces inside the values alone', () => {
    expect(fill('Q: {question}\nH: {history}', { question: 'what is {x}?', history: '{question}' })).toBe('Q: what is {x}?\nH: {question}');
  });

  it('refuse a placeholder that has no value', () => {
    expect(() => fill('Sources: {context}\nAsked: {question}', { context: 'c' })).toThrow(/\{question\} has no value/);
  });

  it('fill the shipped prompts with the values their callers give', () => {
    expect(fill(loadPrompt('answer').template, { context: 'CTX' })).toContain('CTX');
    expect(fill(loadPrompt('condense-question').template, { history: 'H', question: 'Q' })).toMatch(/H[\s\S]*Q/);
  });
});
