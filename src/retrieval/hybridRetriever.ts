import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import { Document } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { defaultBm25, type Bm25Params, type ChunkRow, type KnowledgeStore, type QueryTerm, type RankedChunk } from '../store/knowledgeStore.ts';
import { limitPerDocument, reciprocalRankFusion } from './rrf.ts';
import { scoreEvidence } from './evidence.ts';
import type { Retrieval, RetrievedChunk } from './types.ts';
import type { MetadataFilter } from '../store/metadata.ts';

export type { Retrieval, RetrievedChunk } from './types.ts';

export type RetrievalMode = 'hybrid' | 'bm25' | 'vector' | 'seed';

export interface RetrievalSettings {
  rrfK: number;
  weightBm25: number;
  weightVector: number;
  /** Candidates taken from each list before fusion. */
  candidates: number;
  perDocument: number;
  bm25: Bm25Params;
  /** Pseudo-relevance feedback: terms taken from the top BM25 chunks (0 turns it off). */
  feedbackTerms: number;
  feedbackDocs: number;
  feedbackWeight: number;
}

export const defaultRetrievalSettings: RetrievalSettings = { rrfK: 60, weightBm25: 1, weightVector: 0.8, candidates: 40, perDocument: 2, bm25: defaultBm25, feedbackTerms: 5, feedbackDocs: 3, feedbackWeight: 0.3 };

export interface HybridRetrieverInput extends BaseRetrieverInput {
  store: KnowledgeStore;
  embeddings: EmbeddingsInterface;
  dimension: number;
  collections: string[];
  /** Only chunks of documents whose metadata contains every pair (keys checked by the caller against the allow-list). */
  filter?: MetadataFilter;
  mode?: RetrievalMode;
  k?: number;
  settings?: Partial<RetrievalSettings>;
  /** Called with the time each retrieval took (for the latency metric). */
  onRetrieved?: (seconds: number) => void;
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
  readonly filter?: MetadataFilter;
  readonly mode: RetrievalMode;
  readonly k: number;
  private readonly settings: RetrievalSettings;
  private readonly onRetrieved?: (seconds: number) => void;

  constructor(input: HybridRetrieverInput) {
    super(input);
    this.store = input.store;
    this.embeddings = input.embeddings;
    this.dimension = input.dimension;
    this.collections = input.collections;
    this.filter = input.filter;
    this.mode = input.mode ?? 'hybrid';
    this.k = input.k ?? 6;
    this.settings = { ...defaultRetrievalSettings, ...input.settings };
    this.onRetrieved = input.onRetrieved;
  }

  /** The lexical list with its rows, and the query terms' statistics. */
  private lexical(query: string, cols: string[], candidates: number): Promise<{ hits: RankedChunk[]; queryTerms: QueryTerm[] }> {
    if (this.mode === 'seed') {
      return Promise.all([this.store.tsRank(query, cols, candidates, { rows: true, filter: this.filter }), this.store.queryTerms(query, cols)]).then(([hits, queryTerms]) => ({ hits, queryTerms }));
    }
    const { feedbackTerms, feedbackDocs, feedbackWeight } = this.settings;
    // Feedback is part of the hybrid recipe; `bm25` mode stays plain BM25 for comparison.
    const feedback = this.mode === 'hybrid' ? { terms: feedbackTerms, chunks: feedbackDocs, weight: feedbackWeight } : undefined;
    return this.store.bm25WithRows(query, cols, candidates, this.settings.bm25, feedback, this.filter);
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
    const started = performance.now();
    const { rrfK } = this.settings;
    // The seed recipe takes the final k from each list, as the guide it reproduces does.
    const candidates = this.mode === 'seed' ? this.k : this.settings.candidates;
    const cols = this.collections;
    const useLexical = this.mode !== 'vector';
    const useVector = this.mode !== 'bm25';
    // The lexical and the vector list run together, each bringing its chunks' rows; the
    // lexical statement also brings the query terms' statistics (for the evidence score).
    const [{ hits: lexical, queryTerms }, vector] = await Promise.all([
      useLexical ? this.lexical(query, cols, candidates) : this.store.queryTerms(query, cols).then((queryTerms) => ({ hits: [], queryTerms })),
      useVector ? this.embeddings.embedQuery(query).then((v) => this.store.vector(v, this.dimension, cols, candidates, { rowsFor: query, filter: this.filter })) : Promise.resolve([]),
    ]);
    const rows = new Map<string, ChunkRow>();
    for (const x of [...lexical, ...vector]) if (x.row) rows.set(x.id, x.row);
    const fused = reciprocalRankFusion(
      [
        { ids: lexical.map((x) => x.id), weight: this.mode === 'seed' ? 1 : this.settings.weightBm25 },
        { ids: vector.map((x) => x.id), weight: this.mode === 'seed' ? 1 : this.settings.weightVector },
      ],
      rrfK,
    );
    const lexScore = new Map(lexical.map((x) => [x.id, x.score]));
    const cosine = new Map(vector.map((x) => [x.id, x.score]));
    const all: RetrievedChunk[] = fused
      .filter((f) => rows.has(f.id))
      .map((f) => ({ chunk: rows.get(f.id)!, fusedScore: f.score, bm25Rank: f.ranks[0], vectorRank: f.ranks[1], bm25Score: lexScore.get(f.id), cosine: cosine.get(f.id) }));
    const chunks = this.mode === 'seed' ? all.slice(0, this.k) : limitPerDocument(all, (c) => c.chunk.document_id, this.settings.perDocument, this.k);
    const confidence = scoreEvidence(queryTerms, chunks, { topCosine: useVector ? (vector[0]?.score ?? 0) : undefined, followUp: options.followUp });
    this.onRetrieved?.((performance.now() - started) / 1000);
    return { chunks, confidence, queryTerms };
  }
}

