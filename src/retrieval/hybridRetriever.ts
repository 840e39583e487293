import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import { Document } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { QueryTerm } from '../store/bm25Statement.ts';
import type { ChunkRow, RankedChunk } from '../store/chunkRows.ts';
import type { Database } from '../db/database.ts';
import type { KnowledgeStore } from '../store/knowledgeStore.ts';
import { DEFAULT_POSTINGS_PER_TERM } from '../store/postings.ts';
import { limitPerDocument, reciprocalRankFusion, type Fused } from './rrf.ts';
import { scoreEvidence } from './evidence.ts';
import type { Retrieval, RetrievedChunk } from './types.ts';
import type { MetadataFilter } from '../store/metadata.ts';

export type { Retrieval, RetrievedChunk } from './types.ts';

export type RetrievalMode = 'hybrid' | 'bm25' | 'vector';

export interface RetrievalSettings {
  rrfK: number;
  weightBm25: number;
  weightVector: number;
  /** Candidates taken from each list before fusion. */
  candidates: number;
  perDocument: number;
  /** BM25 postings read per query term and collection (BM25_POSTINGS_PER_TERM). */
  postingsPerTerm: number;
  /** Pseudo-relevance feedback: terms taken from the top BM25 chunks (0 turns it off). */
  feedbackTerms: number;
  feedbackDocs: number;
  feedbackWeight: number;
}

export const defaultRetrievalSettings: RetrievalSettings = { rrfK: 60, weightBm25: 1, weightVector: 0.8, candidates: 40, perDocument: 2, postingsPerTerm: DEFAULT_POSTINGS_PER_TERM, feedbackTerms: 5, feedbackDocs: 3, feedbackWeight: 0.3 };

/**
 * A lexical list in place of BM25: the `k` best chunks of the collections with their rows, and
 * the query terms' statistics (a baseline recipe's, see RetrievalRecipe).
 */
export interface LexicalSearch {
  search(query: string, collections: string[], k: number, filter?: MetadataFilter): Promise<{ hits: RankedChunk[]; queryTerms: QueryTerm[] }>;
}

/**
 * Another recipe to measure against (`kb eval --mode <name>`): its lexical list, fused with
 * the same vector search by its own settings. The project's own modes need none; the seed
 * recipe's baseline lives in bench/seedRecipe.ts.
 */
export interface RetrievalRecipe {
  name: string;
  /** Its lexical list over the knowledge base (`db` for its own statements, `store` for query-term statistics). */
  lexical(db: Database, store: KnowledgeStore): LexicalSearch;
  /** Its fusion settings for a final list of `k` chunks. */
  settings(k: number): Partial<RetrievalSettings>;
}

export interface HybridRetrieverInput extends BaseRetrieverInput {
  store: Pick<KnowledgeStore, 'lexical' | 'vectors' | 'documents'>;
  embeddings: EmbeddingsInterface;
  dimension: number;
  collections: string[];
  /** Only chunks of documents whose metadata contains every pair (keys checked by the caller against the allow-list). */
  filter?: MetadataFilter;
  mode?: RetrievalMode;
  /** The lexical list, when it is not the lexical index's BM25 (a RetrievalRecipe's). */
  lexical?: LexicalSearch;
  k?: number;
  settings?: Partial<RetrievalSettings>;
  /** Called with the time each retrieval took (for the latency metric). */
  onRetrieved?: (seconds: number) => void;
}

/**
 * Hybrid retrieval in PostgreSQL: BM25 over stored postings and pgvector HNSW cosine
 * search, fused by reciprocal rank fusion keyed by chunk id, at most `perDocument`
 * chunks per document. `bm25` and `vector` modes use one list alone, for comparison.
 */
export class HybridRetriever extends BaseRetriever {
  override lc_namespace = ['kb', 'retrievers'];
  static override lc_name() {
    return 'HybridRetriever';
  }

  private readonly store: Pick<KnowledgeStore, 'lexical' | 'vectors' | 'documents'>;
  private readonly lexicalSearch?: LexicalSearch;
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
    this.lexicalSearch = input.lexical;
    this.k = input.k ?? 6;
    this.settings = { ...defaultRetrievalSettings, ...input.settings };
    this.onRetrieved = input.onRetrieved;
  }

  /**
   * The lexical list and the query terms' statistics, with the rows of its best 2k hits
   * (read while the vector list may still be running).
   */
  private async lexical(query: string, cols: string[], candidates: number): Promise<{ hits: RankedChunk[]; queryTerms: QueryTerm[] }> {
    if (this.lexicalSearch) return this.lexicalSearch.search(query, cols, candidates, this.filter);
    const { feedbackTerms, feedbackDocs, feedbackWeight, postingsPerTerm } = this.settings;
    // Feedback is part of the hybrid recipe; `bm25` mode stays plain BM25 for comparison.
    const feedback = this.mode === 'hybrid' ? { terms: feedbackTerms, chunks: feedbackDocs, weight: feedbackWeight } : undefined;
    // The feedback statement brings the rows of the first pass's best (twice as many as the
    // list needs: feedback reorders them a little); the few of the best hits still without one come next.
    const rowsFor = { query, best: 2 * this.rowsPerList };
    const found = await this.store.lexical.bm25WithTerms(query, cols, candidates, { postingsPerTerm, feedback, filter: this.filter, rowsFor });
    const rows = await this.store.documents.chunks(
      found.hits
        .slice(0, this.rowsPerList)
        .filter((h) => !h.row)
        .map((h) => h.id),
      query,
    );
    return { ...found, hits: found.hits.map((h) => (rows.has(h.id) ? { ...h, row: rows.get(h.id)! } : h)) };
  }

  /** Rows each list brings with its best hits: the fused best chunks mostly come from the top of either list. */
  private get rowsPerList(): number {
    return 2 * this.k;
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
    const { rrfK, candidates } = this.settings;
    const cols = this.collections;
    const useLexical = this.mode !== 'vector';
    const useVector = this.mode !== 'bm25';
    // The lexical and the vector list run together, each bringing its chunks' rows; the
    // lexical statement also brings the query terms' statistics (for the evidence score).
    const [{ hits: lexical, queryTerms }, vector] = await Promise.all([
      useLexical ? this.lexical(query, cols, candidates) : this.store.lexical.queryTerms(query, cols).then((queryTerms) => ({ hits: [], queryTerms })),
      useVector ? this.embeddings.embedQuery(query).then((v) => this.store.vectors.vector(v, this.dimension, cols, candidates, { filter: this.filter, rowsFor: { query, best: this.rowsPerList } })) : Promise.resolve([]),
    ]);
    const fused = reciprocalRankFusion(
      [
        { ids: lexical.map((x) => x.id), weight: this.settings.weightBm25 },
        { ids: vector.map((x) => x.id), weight: this.settings.weightVector },
      ],
      rrfK,
    );
    const lexScore = new Map(lexical.map((x) => [x.id, x.score]));
    const cosine = new Map(vector.map((x) => [x.id, x.score]));
    const chunks = await this.bestChunks(fused, [...lexical, ...vector], query, (f, chunk) => ({ chunk, fusedScore: f.score, bm25Rank: f.ranks[0], vectorRank: f.ranks[1], bm25Score: lexScore.get(f.id), cosine: cosine.get(f.id) }));
    const confidence = scoreEvidence(queryTerms, chunks, { topCosine: useVector ? (vector[0]?.score ?? 0) : undefined, followUp: options.followUp });
    this.onRetrieved?.((performance.now() - started) / 1000);
    return { chunks, confidence, queryTerms };
  }

  /**
   * The first `k` fused chunks, at most `perDocument` from one document, with their rows. Each
   * list brings the rows of its best 2k hits (a recipe's list may bring all); the rows of the
   * other fused candidates, with the query terms each contains, are read k at a time, only as
   * far down the fused list as the per-document limit makes it reach (rarely past the first k,
   * whose rows the lists have almost always brought).
   */
  private async bestChunks(fused: Fused[], hits: RankedChunk[], query: string, make: (f: Fused, chunk: ChunkRow) => RetrievedChunk): Promise<RetrievedChunk[]> {
    const rows = new Map<string, ChunkRow>();
    for (const x of hits) if (x.row) rows.set(x.id, x.row);
    const page = this.k;
    for (let end = page; ; end += page) {
      const missing = fused.slice(end - page, end).filter((f) => !rows.has(f.id)).map((f) => f.id);
      for (const [id, row] of await this.store.documents.chunks(missing, query)) rows.set(id, row);
      // A chunk deleted since the lists were read has no row.
      const all = fused.slice(0, end).flatMap((f) => (rows.has(f.id) ? [make(f, rows.get(f.id)!)] : []));
      const chunks = limitPerDocument(all, (c) => c.chunk.document_id, this.settings.perDocument, this.k);
      if (chunks.length >= this.k || end >= fused.length) return chunks;
    }
  }
}

