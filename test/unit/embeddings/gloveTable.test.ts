import { describe, expect, it } from 'vitest';
import { decodeGloveTable, encodeGloveTable, type GloveRows } from '../../../src/embeddings/gloveTable.ts';

function rows(words: string[], dimension = 3): GloveRows {
  const vectors = Int8Array.from({ length: words.length * dimension }, (_, i) => (i % 255) - 127);
  const scales = Float32Array.from(words, (_, i) => (i + 1) / 1000);
  return { dimension, words, vectors, scales };
}

describe('the word-vector file', () => {
  it('finds every word’s row, with its vector and scale, among thousands that share hash slots', () => {
    const words = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
    const t = decodeGloveTable(encodeGloveTable(rows(words)));
    expect(t.size).toBe(5000);
    for (const [row, word] of words.entries()) expect(t.row(word)).toBe(row);
    expect(Array.from(t.vectors.subarray(3 * 4321, 3 * 4322))).toEqual(Array.from(rows(words).vectors.subarray(3 * 4321, 3 * 4322)));
    expect(t.scales[4321]).toBeCloseTo(4.322, 5);
  });

  it('says undefined for an absent word, a prefix or an extension of a present one, and rows without a vector', () => {
    const t = decodeGloveTable(encodeGloveTable(rows(['index', '', 'table'])));
    for (const word of ['indexes', 'inde', 'tab', 'nope', '']) expect(t.row(word)).toBeUndefined();
    expect(t.row('table')).toBe(2);
  });

  it('keeps the last row of a word listed twice, and never matches a non-ASCII word to an ASCII token', () => {
    const t = decodeGloveTable(encodeGloveTable(rows(['vacuum', 'naïve', 'vacuum'])));
    expect(t.row('vacuum')).toBe(2);
    expect(t.row('naive')).toBeUndefined();
  });

  it('reads a file whose bytes do not start on a 4-byte boundary in memory', () => {
    const encoded = encodeGloveTable(rows(['btree', 'gin', 'gist']));
    const shifted = Buffer.alloc(encoded.length + 1);
    encoded.copy(shifted, 1);
    const t = decodeGloveTable(shifted.subarray(1));
    expect(t.row('gist')).toBe(2);
    expect(t.scales[2]).toBeCloseTo(0.003, 6);
  });

  it('refuses a truncated file with a message that says how to recover', () => {
    const encoded = encodeGloveTable(rows(['btree', 'gin']));
    expect(() => decodeGloveTable(encoded.subarray(0, encoded.length - 1))).toThrow(/delete it to convert the word vectors again/);
  });
});
