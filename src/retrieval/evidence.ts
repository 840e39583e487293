import type { KnowledgeStore, QueryTerm } from '../store/knowledgeStore.ts';
import type { RetrievedChunk } from './types.ts';

/**
 * How well the retrieved evidence covers the question, from 0 to 1: the IDF-weighted
 * share of the question's terms found together in one of the top chunks. A term the
 * knowledge base has never seen counts with the highest possible IDF, so a question
 * about lasagna matched only on "good" scores low. Rank fusion scores cannot tell a
 * strong match from the least-bad one; this can.
 */
export interface EvidenceOptions {
  /** Cosine similarity of the best vector match (omitted in bm25-only mode). */
  topCosine?: number;
  /**
   * A follow-up whose topic was carried over from an answered turn: the topic already
   * shows the question is in the knowledge base's domain, so words the knowledge base
   * has never seen ("downsides") are phrasing, not a sign of an off-topic question.
   */
  followUp?: boolean;
  /** The query's terms with their IDF, when already fetched (see KnowledgeStore.queryTerms). */
  queryTerms?: QueryTerm[];
}

export async function scoreEvidence(store: KnowledgeStore, query: string, collections: string[], chunks: RetrievedChunk[], options: EvidenceOptions = {}): Promise<number> {
  const { topCosine, followUp = false } = options;
  const coverage = await termCoverage(store, query, collections, chunks, followUp, options.queryTerms);
  if (topCosine === undefined) return coverage;
  // Lexical coverage can be fooled by common words ("write a cover letter"); semantic
  // closeness can be fooled by generic phrasing. Requiring both is more robust.
  const closeness = Math.min(1, Math.max(0, (topCosine - 0.4) / 0.4));
  return 0.6 * coverage + 0.4 * closeness;
}

async function termCoverage(store: KnowledgeStore, query: string, collections: string[], chunks: RetrievedChunk[], followUp: boolean, known?: QueryTerm[], top = 3): Promise<number> {
  if (!chunks.length) return 0;
  const all = known ?? (await store.queryTerms(query, collections));
  const terms = followUp && all.some((t) => t.df > 0) ? all.filter((t) => t.df > 0) : all;
  if (!terms.length) return 0;
  const maxIdf = Math.max(...terms.map((t) => t.idf));
  const weight = (t: { idf: number; df: number }) => (t.df === 0 ? Math.max(maxIdf, 8) : t.idf);
  const total = terms.reduce((s, t) => s + weight(t), 0);
  const heads = chunks.slice(0, top);
  // Rows fetched with the query already say which of its terms they contain.
  const present = heads.every((c) => c.chunk.query_terms)
    ? new Map(heads.map((c) => [c.chunk.id, new Set(c.chunk.query_terms)]))
    : await store.termsInChunks(
        heads.map((c) => c.chunk.id),
        terms.map((t) => t.term),
      );
  let best = 0;
  for (const c of heads) {
    const has = present.get(c.chunk.id) ?? new Set<string>();
    const covered = terms.filter((t) => has.has(t.term)).reduce((s, t) => s + weight(t), 0);
    best = Math.max(best, covered / total);
  }
  return best;
}
