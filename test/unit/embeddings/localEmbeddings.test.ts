import { createHash } from 'node:crypto';
import { stemmer } from 'stemmer';
import { describe, expect, it } from 'vitest';
import type { GloveTable } from '../../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../../src/embeddings/localEmbeddings.ts';

/** A four-word GloVe table in 2 dimensions. */
const words = new Map(['index', 'table', 'query', 'row'].map((w, i) => [w, i]));
const table: GloveTable = {
  dimension: 2,
  size: 4,
  row: (word) => words.get(word),
  vectors: Int8Array.from([127, 0, 0, 127, 90, 90, -90, 90]),
  scales: Float32Array.from([1 / 127, 1 / 127, 1 / 127, 1 / 127]),
};
const HASH_DIMS = 16;

/** The lexical slot and sign of a word, computed directly. */
function slotOf(word: string): { index: number; sign: number } {
  const h = createHash('md5').update(stemmer(word)).digest();
  return { index: h.readUInt32LE(0) % HASH_DIMS, sign: h[4]! & 1 ? 1 : -1 };
}

describe('LocalEmbeddings', () => {
  it('puts an unknown word into its hashed slot with its sign, from the memo as on first sight', async () => {
    const e = new LocalEmbeddings(table, {}, 1e-3, { hashDims: HASH_DIMS });
    for (const word of ['pgvector', 'reindexing', 'autovacuum', 'brin']) {
      const { index, sign } = slotOf(word);
      for (let round = 0; round < 2; round++) {
        const lexical = (await e.embedQuery(word)).slice(table.dimension);
        expect(lexical.filter((x) => x !== 0)).toHaveLength(1);
        expect(Math.sign(lexical[index]!)).toBe(sign);
      }
    }
  });

  it('gives the same vectors with a memo that keeps starting over as with a fresh model', async () => {
    const texts = ['how do I reindex a table', 'the query planner uses row estimates', 'index only scans need the visibility map', 'how do I reindex a table'];
    const tiny = new LocalEmbeddings(table, {}, 1e-3, { hashDims: HASH_DIMS, slotCacheWords: 3 });
    const warm = await tiny.embedDocuments(texts);
    for (const [i, text] of texts.entries()) {
      const fresh = new LocalEmbeddings(table, {}, 1e-3, { hashDims: HASH_DIMS });
      expect(warm[i]).toEqual(await fresh.embedQuery(text));
    }
    expect(warm[3]).toEqual(warm[0]);
  });
});
