import { describe, expect, it } from 'vitest';
import { decodeVector, encodeVector } from '../../../src/cache/embeddingCache.ts';

describe('embedding vector encoding', () => {
  it('round-trips through base64 Float32 at float32 precision', () => {
    const v = [0.1, -0.25, 3.5, 1e-8, 0];
    const back = decodeVector(encodeVector(v))!;
    expect(back).toHaveLength(5);
    expect(back[1]).toBe(-0.25);
    expect(back[0]).toBeCloseTo(0.1, 6);
    expect(back[0]).toBe(Math.fround(0.1));
  });

  it('is about a third the size of JSON for a 384-dimension vector', () => {
    const v = Array.from({ length: 384 }, (_, i) => Math.sin(i) / 7);
    expect(encodeVector(v).length).toBeLessThan(JSON.stringify(v).length / 2.5);
  });

  it('rejects a payload that is not whole floats', () => {
    expect(decodeVector(Buffer.from([1, 2, 3]).toString('base64'))).toBeUndefined();
  });
});
