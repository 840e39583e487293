import type { Database } from '../src/db/database.ts';
import type { LexicalSearch, RetrievalMode, RetrievalRecipe } from '../src/retrieval/hybridRetriever.ts';
import { filteredChunks, listed, ranked, type RankedChunk, type RankedRow } from '../src/store/chunkRows.ts';
import type { KnowledgeStore } from '../src/store/knowledgeStore.ts';
import type { MetadataFilter } from '../src/store/metadata.ts';
import { SqlParams } from '../src/store/sqlParams.ts';

/**
 * The seed recipe, the common baseline the benchmarks and `kb eval --mode seed` compare
 * with: plainto_tsquery + ts_rank over to_tsvector(content) computed at query time, fused
 * by RRF with the same vector search at equal weights, taking the final k from each list
 * and no per-document limit, as the guide it reproduces does.
 */
export async function tsRank(db: Database, query: string, collections: string[], k: number, options: { rows?: boolean; filter?: MetadataFilter } = {}): Promise<RankedChunk[]> {
  const p = new SqlParams();
  const [q, cols, limit] = [p.add(query), p.add(collections), p.add(k)];
  const filtered = options.filter ? `AND id IN (${filteredChunks(cols, p.add(JSON.stringify(options.filter)))})` : '';
  const matched = `SELECT id AS chunk_id, ts_rank(to_tsvector('english', content), plainto_tsquery('english', ${q}))::float8 AS score FROM chunks
      WHERE collection = ANY(${cols}::text[]) AND to_tsvector('english', content) @@ plainto_tsquery('english', ${q}) ${filtered}
      ORDER BY score DESC, id LIMIT ${limit}`;
  return ranked(await db.reader().query<RankedRow>(`WITH matched AS (${matched}) ${listed('matched', options.rows ? { query: q } : undefined)}`, p.values));
}

/** The seed recipe's lexical list, with the query terms' statistics from the lexical index (for the evidence score). */
export const tsRankSearch = (db: Database, store: Pick<KnowledgeStore, 'lexical'>): LexicalSearch => ({
  search: async (query, collections, k, filter) => {
    const [hits, queryTerms] = await Promise.all([tsRank(db, query, collections, k, { rows: true, filter }), store.lexical.queryTerms(query, collections)]);
    return { hits, queryTerms };
  },
});

/** The modes a benchmark measures: the project's, and the seed recipe as the baseline. */
export type BenchMode = RetrievalMode | 'seed';

export const seedRecipe: RetrievalRecipe = {
  name: 'seed',
  lexical: tsRankSearch,
  settings: (k) => ({ candidates: k, weightBm25: 1, weightVector: 1, perDocument: Infinity }),
};
