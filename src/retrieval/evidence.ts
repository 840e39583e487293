import type { KnowledgeStore } from '../store/knowledgeStore.ts';
import type { RetrievedChunk } from './types.ts';

/**
 * How well the retrieved evidence covers the question, from 0 to 1: the IDF-weighted
 * share of the question's terms found together in one of the top chunks. A term the
 * knowledge base has never seen counts with the highest possible IDF, so a question
 * about lasagna matched only on "good" scores low. Rank fusion scores cannot tell a
 * strong match from the least-bad one; this can.
 */
export async function scoreEvidence(store: KnowledgeStore, query: string, collections: string[], chunks: RetrievedChunk[], topCosine?: number): Promise<number> {
  const coverage = await termCoverage(store, query, collections, chunks);
  if (topCosine === undefined) return coverage;
  // Lexical coverage can be fooled by common words ("write a cover letter"); semantic
  // closeness can be fooled by generic phrasing. Requiring both is more robust.
  const closeness = Math.min(1, Math.max(0, (topCosine - 0.55) / 0.35));
  return 0.6 * coverage + 0.4 * closeness;
}

async function termCoverage(store: KnowledgeStore, query: string, collections: string[], chunks: RetrievedChunk[], top = 3): Promise<number> {
  if (!chunks.length) return 0;
  const terms = await store.queryTerms(query, collections);
  if (!terms.length) return 0;
  const maxIdf = Math.max(...terms.map((t) => t.idf));
  const weight = (t: { idf: number; df: number }) => (t.df === 0 ? Math.max(maxIdf, 8) : t.idf);
  const total = terms.reduce((s, t) => s + weight(t), 0);
  const heads = chunks.slice(0, top);
  const present = await store.termsInChunks(
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
