import { Embeddings } from '@langchain/core/embeddings';
import { createHash } from 'node:crypto';
import type { NewDocument } from '../../src/store/documents.ts';

/**
 * Deterministic bag-of-words embeddings for tests: each word adds a fixed pseudo-random
 * vector, so texts sharing words are close. Counts calls so tests can assert on them.
 */
export class FakeEmbeddings extends Embeddings {
  calls = 0;
  texts = 0;
  constructor(readonly dimension = 32) {
    super({});
  }
  private wordVector(w: string): number[] {
    const h = createHash('sha256').update(w).digest();
    return Array.from({ length: this.dimension }, (_, i) => (h[i % 32]! - 127.5) / 127.5);
  }
  embedSync(text: string): number[] {
    const acc = new Array<number>(this.dimension).fill(0);
    for (const w of text.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []) this.wordVector(w).forEach((x, i) => (acc[i]! += x));
    const n = Math.hypot(...acc) || 1;
    return acc.map((x, i) => (n === 1 && x === 0 ? (i === 0 ? 1 : 0) : x / n));
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls++;
    this.texts += texts.length;
    return texts.map((t) => this.embedSync(t));
  }
  async embedQuery(text: string): Promise<number[]> {
    this.calls++;
    this.texts++;
    return this.embedSync(text);
  }
}

/** A document for DocumentStore.writeDocuments: one chunk per text, headed "part N", embedded by `embeddings`. */
export function fakeDocument(embeddings: FakeEmbeddings, source: string, ...chunks: string[]): NewDocument {
  return {
    source,
    title: source.replace(/\.md$/, ''),
    contentHash: createHash('sha256').update(chunks.join('\n')).digest('hex'),
    chunks: chunks.map((content, ord) => ({ ord, heading: `part ${ord}`, content, embedding: embeddings.embedSync(content) })),
  };
}
