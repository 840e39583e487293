import { describe, expect, it } from 'vitest';
import { scoreEvidence } from '../../src/retrieval/evidence.ts';
import { limitPerDocument, reciprocalRankFusion } from '../../src/retrieval/rrf.ts';
import type { RetrievedChunk } from '../../src/retrieval/types.ts';
import { toVectorLiteral } from '../../src/store/vectorSearch.ts';

describe('reciprocal rank fusion', () => {
  it('adds weighted reciprocal ranks keyed by chunk id', () => {
    const fused = reciprocalRankFusion([{ ids: ['1', '2', '3'], weight: 1 }, { ids: ['3', '1'], weight: 1 }], 60);
    expect(fused.map((f) => f.id)).toEqual(['1', '3', '2']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 10);
    expect(fused[0]!.ranks).toEqual([1, 2]);
  });

  it('breaks ties on the numeric chunk id, not on insertion order', () => {
    const fused = reciprocalRankFusion([{ ids: ['10', '9'], weight: 1 }, { ids: ['9', '10'], weight: 1 }], 60);
    expect(fused.map((f) => f.id)).toEqual(['9', '10']);
  });

  it('honours per-list weights', () => {
    const fused = reciprocalRankFusion([{ ids: ['a'], weight: 0.1 }, { ids: ['b'], weight: 1 }], 60);
    expect(fused[0]!.id).toBe('b');
  });

  it('does not let one document fill every slot', () => {
    const items = [{ d: 'x' }, { d: 'x' }, { d: 'x' }, { d: 'y' }, { d: 'z' }];
    expect(limitPerDocument(items, (i) => i.d, 2, 4).map((i) => i.d)).toEqual(['x', 'x', 'y', 'z']);
  });
});

describe('vector literals', () => {
  it('write each component so that it reads back as the same single-precision value', () => {
    const v = [0.1, -1 / 3, 1e-8, 123456.789, 0, -0.000123456789, Math.PI];
    const literal = toVectorLiteral(v);
    const back = literal.slice(1, -1).split(',').map(Number);
    expect(back.map((x) => Math.fround(x))).toEqual(v.map((x) => Math.fround(x)));
    expect(literal.length).toBeLessThan(`[${v.map((x) => Math.fround(x)).join(',')}]`.length);
  });

  it('write non-finite components as 0', () => {
    expect(toVectorLiteral([Number.NaN, Number.POSITIVE_INFINITY, 1])).toBe('[0,0,1.00000000]');
  });
});

describe('evidence', () => {
  const terms = [
    { term: 'column', idf: 1, df: 100 },
    { term: 'auto', idf: 4, df: 5 },
    { term: 'increment', idf: 4, df: 5 },
  ];
  const retrieved = (id: string, has: string[], bm25Rank?: number): RetrievedChunk =>
    ({ chunk: { id, query_terms: has }, fusedScore: 0, bm25Rank }) as unknown as RetrievedChunk;

  it('counts the best lexical match even when fusion ranks it below the top three', () => {
    const chunks = [retrieved('1', ['column'], 2), retrieved('2', ['column']), retrieved('3', []), retrieved('4', ['column', 'auto', 'increment'], 1)];
    expect(scoreEvidence(terms, chunks)).toBe(1);
    // A chunk far down both lists is not evidence.
    const far = [retrieved('1', ['column'], 2), retrieved('2', ['column']), retrieved('3', []), retrieved('4', ['column', 'auto', 'increment'], 9)];
    expect(scoreEvidence(terms, far)).toBeCloseTo(1 / 9, 5);
  });
});
