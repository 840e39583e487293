import { describe, expect, it } from 'vitest';
import { renumber } from '../../src/answer/citations.ts';
import { condenseDeterministic } from '../../src/answer/condense.ts';
import { extractiveAnswer } from '../../src/answer/extractive.ts';
import { validateQuestion } from '../../src/answer/ask.ts';
import type { RetrievedChunk } from '../../src/retrieval/hybridRetriever.ts';

const chunk = (id: string, source: string, content: string, anchor = 'a'): RetrievedChunk => ({
  chunk: { id, document_id: id, collection: 'c', source, title: source, url: null, heading: 'H', anchor, content, content_hash: 'h' + id },
  fusedScore: 1,
});

describe('citations', () => {
  const chunks = [chunk('1', 'a.html', 'x'), chunk('2', 'b.html', 'y'), chunk('3', 'a.html', 'z')];
  it('numbers sources in order of use, one number per location, dropping invented ones', () => {
    const r = renumber('First [2]. Second [1] and [3]. Made up [9].', chunks);
    expect(r.text).toBe('First [1]. Second [2] and [2]. Made up.');
    expect(r.citations.map((c) => [c.n, c.source])).toEqual([[1, 'b.html'], [2, 'a.html']]);
  });
});

describe('extractive answers', () => {
  it('quotes the passage that answers the question with its marker and the code it introduces', () => {
    const chunks = [chunk('1', 'p.html', 'Unrelated opener about history. A partial index covers only rows that satisfy its predicate. It is smaller.\n\n```\nCREATE INDEX i ON t (c) WHERE x;\n```')];
    const { text } = extractiveAnswer({ question: 'How do I create a partial index?', chunks });
    expect(text).toBe('A partial index covers only rows that satisfy its predicate. It is smaller. [1]\n```\nCREATE INDEX i ON t (c) WHERE x;\n```');
  });
});

describe('follow-up rewriting without an LLM', () => {
  const history = [{ question: 'How do I create a BRIN index?', answer: '...' }];
  it('carries the previous topic into a question that leans on it', () => {
    expect(condenseDeterministic('what are its downsides?', history)).toBe('what are its downsides? (about: BRIN index)');
    const second = [...history, { question: 'what are its downsides? (about: BRIN index)', answer: '...' }];
    expect(condenseDeterministic('when is a btree better?', second)).toBe('when is a btree better? (about: BRIN index)');
  });
  it('leaves a standalone question alone', () => {
    expect(condenseDeterministic('How does vacuum reclaim dead tuples in large tables?', history)).toBe('How does vacuum reclaim dead tuples in large tables?');
  });
});

describe('question validation', () => {
  it('rejects empty and oversized questions and strips control characters', () => {
    expect(() => validateQuestion(' \u0000 ', 100)).toThrow(/Please ask a question/);
    expect(() => validateQuestion('x'.repeat(101), 100)).toThrow(/101 characters long/);
    expect(validateQuestion('why\u0007 vacuum?', 100)).toBe('why vacuum?');
  });
});
