import type { QueryTerm } from '../store/bm25Statement.ts';
import type { ChunkRow } from '../store/chunkRows.ts';

export interface RetrievedChunk {
  chunk: ChunkRow;
  fusedScore: number;
  bm25Rank?: number;
  vectorRank?: number;
  bm25Score?: number;
  cosine?: number;
}

export interface Retrieval {
  chunks: RetrievedChunk[];
  /** 0..1: how well the best evidence covers the question (see evidence.ts). */
  confidence: number;
  /** The question's terms with their collection statistics (IDF weighs them in the answer). */
  queryTerms: QueryTerm[];
}
