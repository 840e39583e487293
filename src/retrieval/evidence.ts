import type { QueryTerm } from '../store/bm25Statement.ts';
import type { RetrievedChunk } from './types.ts';

export interface EvidenceOptions {
  /** Cosine similarity of the best vector match (omitted in bm25-only mode). */
  topCosine?: number;
  /**
   * A follow-up whose topic was carried over from an answered turn: the topic already
   * shows the question is in the knowledge base's domain, so words the knowledge base
   * has never seen ("downsides") are phrasing, not a sign of an off-topic question.
   */
  followUp?: boolean;
}

/**
 * A follow-up passes at this share of MIN_CONFIDENCE: its topic came from an answered turn,
 * which already shows the question is in the knowledge base's domain.
 */
export const FOLLOW_UP_CONFIDENCE_FACTOR = 0.6;

/** The refusal rule: an answer needs evidence (scoreEvidence) of at least MIN_CONFIDENCE, or its follow-up share. */
export function meetsThreshold(confidence: number, minConfidence: number, followUp = false): boolean {
  return confidence >= (followUp ? minConfidence * FOLLOW_UP_CONFIDENCE_FACTOR : minConfidence);
}

/**
 * How well the retrieved evidence covers the question, from 0 to 1: the IDF-weighted
 * share of the question's terms (`queryTerms`, from LexicalIndex.queryTerms) found
 * together in one of the top chunks (each row lists the query terms it contains, see
 * DocumentStore.chunks). A term the knowledge base has never seen counts with the highest
 * possible IDF, so a question about lasagna matched only on "good" scores low. Rank fusion
 * scores cannot tell a strong match from the least-bad one; this can.
 */
export function scoreEvidence(queryTerms: QueryTerm[], chunks: RetrievedChunk[], options: EvidenceOptions = {}): number {
  const { topCosine, followUp = false } = options;
  const coverage = termCoverage(queryTerms, chunks, followUp);
  if (topCosine === undefined) return coverage;
  // Lexical coverage can be fooled by common words ("write a cover letter"); semantic
  // closeness can be fooled by generic phrasing. Requiring both is more robust.
  const closeness = Math.min(1, Math.max(0, (topCosine - 0.4) / 0.4));
  return 0.6 * coverage + 0.4 * closeness;
}

function termCoverage(all: QueryTerm[], chunks: RetrievedChunk[], followUp: boolean, top = 3): number {
  if (!chunks.length) return 0;
  const terms = followUp && all.some((t) => t.df > 0) ? all.filter((t) => t.df > 0) : all;
  if (!terms.length) return 0;
  const maxIdf = Math.max(...terms.map((t) => t.idf));
  const weight = (t: QueryTerm) => (t.df === 0 ? Math.max(maxIdf, 8) : t.idf);
  const total = terms.reduce((s, t) => s + weight(t), 0);
  let best = 0;
  // The top fused chunks, and the best lexical matches, which fusion may rank lower when the
  // vectors miss a phrasing ("auto-increment" is in the serial types' text, not their vectors).
  const lexical = chunks.filter((c) => c.bm25Rank !== undefined && c.bm25Rank <= top);
  for (const c of new Set([...chunks.slice(0, top), ...lexical])) {
    const has = new Set(c.chunk.query_terms);
    const covered = terms.filter((t) => has.has(t.term)).reduce((s, t) => s + weight(t), 0);
    best = Math.max(best, covered / total);
  }
  return best;
}
