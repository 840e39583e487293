import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import { Document } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { defaultBm25, type Bm25Params, type KnowledgeStore } from '../store/knowledgeStore.ts';
import { limitPerDocument, reciprocalRankFusion } from './rrf.ts';
import { scoreEvidence } from './evidence.ts';
import type { Retrieval, RetrievedChunk } from './types.ts';

export type { Retrieval, RetrievedChunk } from './types.ts';

export type RetrievalMode = 'hybrid' | 'bm25' | 'vector' | 'seed';

export interface RetrievalSettings {
  rrfK: number;
  weightBm25: number;
  weightVector: number;
  /** Weight of the title/heading-match list (0 turns it off). */
  weightTitle: number;
  /** Candidates taken from each list before fusion. */
  candidates: number;
  perDocument: number;
  bm25: Bm25Params;
  /** Weight of a document's second-best chunk in its score (0: best chunk only). */
  secondChunkWeight: number;
  /**
   * 'document': in each list a chunk is ranked by its document's position among distinct
   * documents, so a page's second passage is not pushed below other pages' repeats.
   */
  listRanks: 'chunk' | 'document';
  /** Pseudo-relevance feedback: terms taken from the top BM25 chunks (0 turns it off). */
  feedbackTerms: number;
  feedbackDocs: number;
  feedbackWeight: number;
}

export const defaultRetrievalSettings: RetrievalSettings = { rrfK: 60, weightBm25: 1, weightVector: 0.8, weightTitle: 0, candidates: 40, perDocument: 2, bm25: defaultBm25, secondChunkWeight: 0, listRanks: 'chunk', feedbackTerms: 5, feedbackDocs: 3, feedbackWeight: 0.3 };

export interface HybridRetrieverInput extends BaseRetrieverInput {
  store: KnowledgeStore;
  embeddings: EmbeddingsInterface;
  dimension: number;
  collections: string[];
  mode?: RetrievalMode;
  k?: number;
  settings?: Partial<RetrievalSettings>;
}

/**
 * Hybrid retrieval in PostgreSQL: BM25 over stored postings and pgvector HNSW cosine
 * search, fused by reciprocal rank fusion keyed by chunk id, at most `perDocument`
 * chunks per document. `seed` reproduces the common baseline recipe (plainto_tsquery +
 * ts_rank fused with vector search) for comparison.
 */
export class HybridRetriever extends BaseRetriever {
  override lc_namespace = ['kb', 'retrievers'];
  static override lc_name() {
    return 'HybridRetriever';
  }

  private readonly store: KnowledgeStore;
  private readonly embeddings: EmbeddingsInterface;
  private readonly dimension: number;
  readonly collections: string[];
  readonly mode: RetrievalMode;
  readonly k: number;
  private readonly settings: RetrievalSettings;

  constructor(input: HybridRetrieverInput) {
    super(input);
    this.store = input.store;
    this.embeddings = input.embeddings;
    this.dimension = input.dimension;
    this.collections = input.collections;
    this.mode = input.mode ?? 'hybrid';
    this.k = input.k ?? 6;
    this.settings = { ...defaultRetrievalSettings, ...input.settings };
  }

  private async lexical(query: string, cols: string[], candidates: number) {
    const first = await this.store.bm25(query, cols, candidates, this.settings.bm25);
    const { feedbackTerms, feedbackDocs, feedbackWeight } = this.settings;
    // Feedback is part of the hybrid recipe; `bm25` mode stays plain BM25 for comparison.
    if (this.mode !== 'hybrid' || !feedbackTerms || !first.length) return first;
    const terms = await this.store.feedbackTerms(query, first.slice(0, feedbackDocs).map((x) => x.id), cols, feedbackTerms);
    return terms.length ? this.store.bm25(query, cols, candidates, this.settings.bm25, { terms, weight: feedbackWeight }) : first;
  }

  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    const r = await this.retrieve(query);
    return r.chunks.map(
      (c) =>
        new Document({
          id: c.chunk.id,
          pageContent: c.chunk.content,
          metadata: {
            chunkId: c.chunk.id,
            source: c.chunk.source,
            title: c.chunk.title,
            heading: c.chunk.heading,
            anchor: c.chunk.anchor,
            url: c.chunk.url,
            collection: c.chunk.collection,
            contentHash: c.chunk.content_hash,
            bm25Rank: c.bm25Rank,
            vectorRank: c.vectorRank,
            fusedScore: c.fusedScore,
            confidence: r.confidence,
          },
        }),
    );
  }

  async retrieve(query: string, options: { followUp?: boolean } = {}): Promise<Retrieval> {
    const { rrfK } = this.settings;
    // The seed recipe takes the final k from each list, as the guide it reproduces does.
    const candidates = this.mode === 'seed' ? this.k : this.settings.candidates;
    const cols = this.collections;
    const useLexical = this.mode !== 'vector';
    const useVector = this.mode !== 'bm25';
    const useTitle = this.mode === 'hybrid' && this.settings.weightTitle > 0;
    const [lexical, vector, titles] = await Promise.all([
      useLexical ? (this.mode === 'seed' ? this.store.tsRank(query, cols, candidates) : this.lexical(query, cols, candidates)) : Promise.resolve([]),
      useVector ? this.embeddings.embedQuery(query).then((v) => this.store.vector(v, this.dimension, cols, candidates)) : Promise.resolve([]),
      useTitle ? this.store.titleMatch(query, cols, candidates) : Promise.resolve([]),
    ]);
    const rows = await this.store.chunks([...new Set([...lexical, ...vector, ...titles].map((x) => x.id))]);
    const byDocument = this.mode !== 'seed' && this.settings.listRanks === 'document';
    const ranked = (list: { id: string }[]) => (byDocument ? documentRanks(list.map((x) => x.id), (id) => rows.get(id)?.document_id ?? id) : undefined);
    const fused = reciprocalRankFusion(
      [
        { ids: lexical.map((x) => x.id), ranks: ranked(lexical), weight: this.mode === 'seed' ? 1 : this.settings.weightBm25 },
        { ids: vector.map((x) => x.id), ranks: ranked(vector), weight: this.mode === 'seed' ? 1 : this.settings.weightVector },
        { ids: titles.map((x) => x.id), ranks: ranked(titles), weight: this.settings.weightTitle },
      ],
      rrfK,
    );
    const lexScore = new Map(lexical.map((x) => [x.id, x.score]));
    const cosine = new Map(vector.map((x) => [x.id, x.score]));
    const all: RetrievedChunk[] = fused
      .filter((f) => rows.has(f.id))
      .map((f) => ({ chunk: rows.get(f.id)!, fusedScore: f.score, bm25Rank: f.ranks[0], vectorRank: f.ranks[1], bm25Score: lexScore.get(f.id), cosine: cosine.get(f.id) }));
    const chunks = this.mode === 'seed' ? all.slice(0, this.k) : limitPerDocument(rankByDocument(all, this.settings.secondChunkWeight), (c) => c.chunk.document_id, this.settings.perDocument, this.k);
    const confidence = await scoreEvidence(this.store, query, cols, chunks, { topCosine: useVector ? (vector[0]?.score ?? 0) : undefined, followUp: options.followUp });
    return { chunks, confidence };
  }
}

/**
 * Orders chunks by their document's score (best chunk, plus a share of the second best:
 * a page with two strong passages beats one with a single lucky one), keeping fused
 * order within a document.
 */
function rankByDocument(chunks: RetrievedChunk[], secondWeight: number): RetrievedChunk[] {
  if (!secondWeight) return chunks;
  const scores = new Map<string, number[]>();
  for (const c of chunks) {
    const s = scores.get(c.chunk.document_id) ?? [];
    if (s.length < 2) s.push(c.fusedScore);
    scores.set(c.chunk.document_id, s);
  }
  const docScore = (id: string) => {
    const s = scores.get(id)!;
    return s[0]! + secondWeight * (s[1] ?? 0);
  };
  return chunks
    .map((c, i) => ({ c, i, d: docScore(c.chunk.document_id) }))
    .sort((a, b) => b.d - a.d || a.i - b.i)
    .map((x) => x.c);
}

/** Rank of each chunk's document among the distinct documents of a list (1-based). */
function documentRanks(ids: string[], documentOf: (id: string) => string): number[] {
  const order = new Map<string, number>();
  return ids.map((id) => {
    const d = documentOf(id);
    if (!order.has(d)) order.set(d, order.size + 1);
    return order.get(d)!;
  });
}
