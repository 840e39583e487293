import { describe, expect, it } from 'vitest';
import { nthSmallest, packedView, ScoreTable } from '../../src/store/bm25Heads.ts';
import { defaultBm25 } from '../../src/store/postings.ts';

/** Packs postings as a head stores them: chunk_id int8, tf, tf_head, length int2, big-endian. */
function pack(postings: Array<[id: number, tf: number, tfHead: number, length: number]>): Uint8Array {
  const view = new DataView(new ArrayBuffer(14 * postings.length));
  postings.forEach(([id, tf, tfHead, length], i) => {
    view.setBigInt64(14 * i, BigInt(id));
    view.setInt16(14 * i + 8, tf);
    view.setInt16(14 * i + 10, tfHead);
    view.setInt16(14 * i + 12, length);
  });
  return new Uint8Array(view.buffer);
}

describe('ScoreTable', () => {
  it('sums scores per chunk across growth and returns the best, ties by chunk id', () => {
    const table = new ScoreTable().reset(2);
    const expected = new Map<number, number>();
    // Ids past 2^32 and colliding low bits, so the hash and the growth both matter.
    for (let i = 0; i < 5000; i++) {
      const id = (i % 1700) * 4294967296 + (i % 3) + 1;
      const score = (i % 7) + 0.5;
      table.add(id, score);
      expected.set(id, (expected.get(id) ?? 0) + score);
    }
    expect(table.size).toBe(expected.size);
    const want = [...expected].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 25);
    expect(table.best(25)).toEqual(want);
    expect(table.best(0)).toEqual([]);
    expect(table.best(10_000)).toHaveLength(expected.size);
    // reset() empties it for the next query (the arrays are shared).
    table.reset(10).add(5, 1);
    expect(table.best(3)).toEqual([[5, 1]]);
  });

  it("adds a packed value's first postings with BM25F's term-frequency factor", () => {
    const table = new ScoreTable().reset(4);
    const bytes = pack([
      [7, 2, 1, 10],
      [3, 1, 0, 40],
      [9, 5, 0, 5],
    ]);
    table.addPostings(packedView(Buffer.from(bytes).toString('base64')), 2, 1.5, 20, defaultBm25);
    const { k1, b, headingBoost } = defaultBm25;
    const share = (tf: number, length: number) => (1.5 * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * length) / 20));
    const best = table.best(5);
    expect(best.map(([id]) => id)).toEqual([7, 3]);
    expect(best[0]![1]).toBeCloseTo(share(2 + headingBoost, 10), 12);
    expect(best[1]![1]).toBeCloseTo(share(1, 40), 12);
  });
});

describe('nthSmallest', () => {
  it('finds the value at each rank, duplicates included', () => {
    const values = Array.from({ length: 301 }, (_, i) => (i * 37) % 50);
    const sorted = [...values].sort((a, b) => a - b);
    for (const nth of [0, 1, 150, 299, 300]) expect(nthSmallest(Float64Array.from(values), nth)).toBe(sorted[nth]);
  });
});
