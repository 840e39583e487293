import type { LoadedDocument } from '../../src/ingest/sourceFiles.ts';
import { rng } from './stats.ts';

const START = '\u0002';
const END = '\u0003';
const MAX_SENTENCE_TOKENS = 60;

/**
 * A word-bigram (order-1 Markov) model of the manual's sentences, plus the manual's own
 * distributions of chunk length and chunks per page. Generated text has the manual's
 * vocabulary, term frequencies and sentence lengths (sentences end where the chain
 * reaches a learned sentence end), but new word sequences, so BM25 postings and vectors
 * look like a much larger manual rather than copies of it.
 */
export class ManualTextModel {
  private readonly next = new Map<string, string[]>();
  private readonly chunkLengths: number[];
  private readonly chunksPerPage: number[];
  readonly random: () => number;

  constructor(docs: LoadedDocument[], seed: number) {
    this.random = rng(seed);
    this.chunkLengths = docs.flatMap((d) => d.chunks.map((c) => c.content.length));
    this.chunksPerPage = docs.map((d) => d.chunks.length).filter((n) => n > 0);
    for (const d of docs) {
      for (const c of d.chunks) {
        for (const sentence of c.content.split(/(?<=[.!?:])\s+|\n+/)) {
          const tokens = sentence.split(/\s+/).filter(Boolean);
          if (!tokens.length) continue;
          let prev = START;
          for (const t of tokens) {
            this.push(prev, t);
            prev = t;
          }
          this.push(prev, END);
        }
      }
    }
  }

  private push(from: string, to: string): void {
    const list = this.next.get(from);
    if (list) list.push(to);
    else this.next.set(from, [to]);
  }

  private pick<T>(list: T[]): T {
    return list[Math.floor(this.random() * list.length)]!;
  }

  sentence(maxTokens = MAX_SENTENCE_TOKENS): string {
    const out: string[] = [];
    let prev = START;
    while (out.length < maxTokens) {
      const t = this.pick(this.next.get(prev) ?? [END]);
      if (t === END) break;
      out.push(t);
      prev = t;
    }
    return out.join(' ');
  }

  /** A short phrase for a title or heading: the start of a sentence, 2 to 6 words. */
  phrase(): string {
    const words = this.sentence(2 + Math.floor(this.random() * 5)).replace(/[.,;:]+$/, '');
    return words || 'Overview';
  }

  /** Chunk text of a length drawn from the manual's chunk lengths, in paragraphs. */
  chunkText(): string {
    const target = this.pick(this.chunkLengths);
    const paragraphs: string[] = [];
    let para: string[] = [];
    let size = 0;
    while (size < target) {
      const s = this.sentence();
      if (!s) continue;
      para.push(s);
      size += s.length + 1;
      if (para.length >= 2 + Math.floor(this.random() * 4)) {
        paragraphs.push(para.join(' '));
        para = [];
      }
    }
    if (para.length) paragraphs.push(para.join(' '));
    return paragraphs.join('\n\n');
  }

  chunkCount(): number {
    return this.pick(this.chunksPerPage);
  }
}
