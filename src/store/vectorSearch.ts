import type { Database } from '../db/database.ts';
import { compareIds } from '../retrieval/rrf.ts';
import { listed, ranked, type RankedChunk, type RankedRow } from './chunkRows.ts';
import { filterKey, type MetadataFilter } from './metadata.ts';
import { SqlParams } from './sqlParams.ts';
import { checkedDimension, defaultVectorSearch, vectorPrecision, type VectorSearchOptions } from './vectorIndex.ts';

/**
 * pgvector's text form of a vector, each component rounded to single precision (what the
 * column stores) and written with 9 significant digits, which always read back as the same
 * single-precision value: a third shorter than a double's digits, for the client to build
 * and PostgreSQL to parse.
 */
export const toVectorLiteral = (v: number[]): string => {
  let s = '[';
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    s += (i ? ',' : '') + (Number.isFinite(x) ? Math.fround(x).toPrecision(9) : '0');
  }
  return s + ']';
};

export interface VectorQueryOptions {
  /** Rows for the best `best` hits, each with the query terms of `query` it contains (ChunkRow). */
  rowsFor?: { query: string; best: number };
  /** Scopes of at most this many rows (and under half of all rows) are scanned exactly (default 20,000). */
  exactScopeRows?: number;
  search?: Partial<VectorSearchOptions>;
  filter?: MetadataFilter;
}

/** Cosine nearest neighbours over chunks.embedding, with the choice between the vector index (vectorIndex.ts) and an exact scan. */
export class VectorSearch {
  private readonly scopeSizes = new Map<string, { scope: number; total: number; at: number }>();

  private readonly search: VectorSearchOptions;

  /** `search`: the search-time settings unless a query brings its own (default defaultVectorSearch). */
  constructor(
    private readonly db: Database,
    options: { search?: VectorSearchOptions } = {},
  ) {
    this.search = options.search ?? defaultVectorSearch;
  }

  /**
   * Cosine nearest neighbours. Through the vector index (HNSW or IVFFlat, whichever is
   * built), except when the scope is a small part of a larger table (at most `exactScopeRows`
   * rows and under half of all rows): there an index scan must discard most of what it visits
   * and misses true neighbours, while an exact scan of the scope is both cheap and complete.
   * An index scan that still returns fewer than `k` rows from a scope that holds more (its
   * iterative scan gave up) is answered by the exact scan instead, so a search never returns
   * fewer than `k` rows while the scope has `k`.
   *
   * With a metadata `filter`, the scope is the matching chunks of the collections (counted
   * through the metadata index), and the same rules apply: a selective filter is an exact scan
   * of its chunks; otherwise the index scan filters as it goes (iterative scans keep going
   * until k rows pass), with the exact scan behind it. A plain WHERE after a graph walk of
   * ef_search candidates would return only the few of them that match.
   *
   * The search-time settings (`search`, else the store's) apply to this query alone: they are
   * set in the statement itself, by an uncorrelated sub-select the planner evaluates once
   * before the index scan starts (set_config's `is_local` ends them with the statement's
   * transaction).
   */
  async vector(embedding: number[], dimension: number, collections: string[], k: number, options: VectorQueryOptions = {}): Promise<RankedChunk[]> {
    const { exactScopeRows = 20_000 } = options;
    const { scope, total } = await this.scopeSize(collections, options.filter);
    const exact = scope <= exactScopeRows && scope < total / 2;
    // An unfiltered scope of at least half the rows keeps enough of one graph walk's ef_search
    // candidates (at least 2k expected): the iterative scan (a tenth of the walk's time) is left off.
    const efSearch = options.search?.efSearch ?? this.search.efSearch;
    const oneWalk = !options.filter && scope >= total / 2 && (efSearch * scope) / total >= 2 * k;
    const hits = await this.nearest(embedding, dimension, collections, k, exact ? 'exact' : oneWalk ? 'one walk' : 'iterative', options);
    if (exact || hits.length >= k || hits.length >= scope) return hits;
    return this.nearest(embedding, dimension, collections, k, 'exact', options);
  }

  private async nearest(embedding: number[], dimension: number, collections: string[], k: number, scan: 'exact' | 'one walk' | 'iterative', options: VectorQueryOptions): Promise<RankedChunk[]> {
    const exact = scan === 'exact';
    const dim = checkedDimension(dimension);
    const type = vectorPrecision(this.db.kind);
    const p = new SqlParams();
    const [vec, cols, limit] = [p.add(toVectorLiteral(embedding)), p.add(collections), p.add(k)];
    const search = { ...this.search, ...options.search };
    // The matching documents' ids (fewer than their chunks) as a hashed set the scan probes.
    const filtered = options.filter ? `AND document_id IN (SELECT fd.id FROM documents fd WHERE fd.collection = ANY(${cols}::text[]) AND fd.metadata @> ${p.add(JSON.stringify(options.filter))}::jsonb)` : '';
    const iterative = scan === 'iterative' ? '' : `|| set_config('hnsw.iterative_scan', 'off', true) `;
    const settings = exact ? '' : `AND (SELECT set_config('hnsw.ef_search', ${p.add(String(Math.trunc(search.efSearch)))}, true) || set_config('ivfflat.probes', ${p.add(String(Math.trunc(search.probes)))}, true) ${iterative}) IS NOT NULL`;
    // The index orders by its key's distance (half precision on a server); the score
    // returned is the exact cosine. "+ 0" keeps the planner off the index: the exact plan
    // reads the scope through the collection index and sorts by distance.
    const nearest = `SELECT id AS chunk_id, (1 - (embedding::vector(${dim}) <=> ${vec}::vector(${dim})))::float8 AS score FROM chunks
        WHERE collection = ANY(${cols}::text[]) AND vector_dims(embedding) = ${dim} ${filtered} ${settings}
        ORDER BY ${exact ? `(embedding::vector(${dim}) <=> ${vec}::vector(${dim})) + 0, id` : `embedding::${type}(${dim}) <=> ${vec}::${type}(${dim})`}
        LIMIT ${limit}`;
    const rows = options.rowsFor && { query: p.add(options.rowsFor.query), best: p.add(options.rowsFor.best) };
    const r = await this.db.reader().query<RankedRow>(`WITH nearest AS (${nearest}) ${listed('nearest', rows)}`, p.values);
    // Iterative index scans (relaxed order) and half-precision keys may return neighbours
    // slightly out of exact order.
    return ranked(r).sort((a, b) => b.score - a.score || compareIds(a.id, b.id));
  }

  /**
   * Rows in the scope and in all collections, remembered for a few seconds (it only picks
   * the plan: both plans return correct neighbours).
   */
  private async scopeSize(collections: string[], filter?: MetadataFilter): Promise<{ scope: number; total: number }> {
    const key = JSON.stringify([collections, filterKey(filter)]);
    const hit = this.scopeSizes.get(key);
    if (hit && performance.now() - hit.at < 10_000) return hit;
    const r = await this.db.reader().query<{ scope: number; total: number }>(
      filter
        ? `SELECT (SELECT coalesce(sum(chunk_count), 0) FROM documents WHERE collection = ANY($1::text[]) AND metadata @> $2::jsonb)::float8 AS scope,
                  (SELECT coalesce(sum(chunk_count), 0) FROM collection_stats)::float8 AS total`
        : 'SELECT coalesce(sum(chunk_count) FILTER (WHERE collection = ANY($1::text[])), 0)::float8 AS scope, coalesce(sum(chunk_count), 0)::float8 AS total FROM collection_stats',
      filter ? [collections, JSON.stringify(filter)] : [collections],
    );
    const size = { scope: Number(r.rows[0]?.scope ?? 0), total: Number(r.rows[0]?.total ?? 0), at: performance.now() };
    if (this.scopeSizes.size > 1000) this.scopeSizes.clear();
    this.scopeSizes.set(key, size);
    return size;
  }
}
