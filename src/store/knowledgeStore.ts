import type { Database, Queryable } from '../db/database.ts';
import { checkedDimension } from './embeddingSpace.ts';
import { compareIds } from '../retrieval/rrf.ts';

/** BM25F: k1 saturation, b length normalisation, weight of a title/heading occurrence. */
export interface Bm25Params {
  k1: number;
  b: number;
  headingBoost: number;
}

export const defaultBm25: Bm25Params = { k1: 1.2, b: 0.75, headingBoost: 4 };

export interface NewChunk {
  ord: number;
  heading: string;
  anchor?: string;
  content: string;
  embedding: number[];
}

export interface NewDocument {
  source: string;
  title: string;
  url?: string;
  contentHash: string;
  chunks: NewChunk[];
}

export interface ChunkRow {
  id: string;
  document_id: string;
  collection: string;
  source: string;
  title: string;
  url: string | null;
  heading: string;
  anchor: string | null;
  content: string;
  content_hash: string;
}

export interface RankedChunk {
  id: string;
  score: number;
}

export const toVectorLiteral = (v: number[]): string => `[${v.map((x) => (Number.isFinite(x) ? Math.fround(x) : 0)).join(',')}]`;

/** Subtracts the BM25 statistics of the given documents' chunks, then deletes them. */
async function removeDocuments(tx: Queryable, collection: string, documentIds: string[]): Promise<void> {
  if (!documentIds.length) return;
  await tx.query(
    `UPDATE term_stats ts SET df = ts.df - x.n
       FROM (SELECT ct.term, count(*)::int AS n FROM chunk_terms ct JOIN chunks c ON c.id = ct.chunk_id
              WHERE c.document_id = ANY($2::bigint[]) GROUP BY ct.term ORDER BY ct.term) x
      WHERE ts.collection = $1 AND ts.term = x.term`,
    [collection, documentIds],
  );
  await tx.query(
    `UPDATE collection_stats cs SET chunk_count = cs.chunk_count - x.n, total_length = cs.total_length - x.len
       FROM (SELECT count(*) AS n, coalesce(sum(length), 0) AS len FROM chunks WHERE document_id = ANY($2::bigint[])) x
      WHERE cs.collection = $1`,
    [collection, documentIds],
  );
  await tx.query('DELETE FROM documents WHERE id = ANY($1::bigint[])', [documentIds]);
  await tx.query('DELETE FROM term_stats WHERE collection = $1 AND df <= 0', [collection]);
}

/**
 * SQL access to documents, chunks and BM25 statistics. Writes happen in whole batches of
 * documents inside one transaction, so a reader never sees half a document.
 */
export class KnowledgeStore {
  constructor(private readonly db: Database) {}

  async documentHashes(collection: string): Promise<Map<string, string>> {
    const r = await this.db.query<{ source: string; content_hash: string }>('SELECT source, content_hash FROM documents WHERE collection = $1', [collection]);
    return new Map(r.rows.map((x) => [x.source, x.content_hash]));
  }

  /** Replaces (or adds) the given documents, and removes `removeSources`, atomically. */
  async writeDocuments(collection: string, docs: NewDocument[], removeSources: string[] = []): Promise<void> {
    await this.db.transaction(async (tx) => {
      const sources = [...docs.map((d) => d.source), ...removeSources];
      const old = await tx.query<{ id: string }>('SELECT id FROM documents WHERE collection = $1 AND source = ANY($2::text[]) ORDER BY id FOR UPDATE', [collection, sources]);
      await removeDocuments(tx, collection, old.rows.map((r) => r.id));
      if (!docs.length) return;

      const inserted = await tx.query<{ id: string; source: string }>(
        `INSERT INTO documents (collection, source, title, url, content_hash, chunk_count)
         SELECT $1, u.source, u.title, u.url, u.hash, u.n
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS u(source, title, url, hash, n)
         RETURNING id, source`,
        [collection, docs.map((d) => d.source), docs.map((d) => d.title), docs.map((d) => d.url ?? null), docs.map((d) => d.contentHash), docs.map((d) => d.chunks.length)],
      );
      const idBySource = new Map(inserted.rows.map((r) => [r.source, r.id]));
      const docIds: string[] = [];
      const cols = { doc: [] as string[], ord: [] as number[], heading: [] as string[], anchor: [] as (string | null)[], content: [] as string[], emb: [] as string[] };
      for (const d of docs) {
        const id = idBySource.get(d.source)!;
        docIds.push(id);
        for (const c of d.chunks) {
          cols.doc.push(id);
          cols.ord.push(c.ord);
          cols.heading.push(c.heading);
          cols.anchor.push(c.anchor ?? null);
          cols.content.push(c.content);
          cols.emb.push(toVectorLiteral(c.embedding));
        }
      }
      await tx.query(
        `INSERT INTO chunks (document_id, collection, ord, heading, anchor, content, length, embedding)
         SELECT u.doc, $1, u.ord, u.heading, u.anchor, u.content, 0, u.emb::vector
           FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(doc, ord, heading, anchor, content, emb)`,
        [collection, cols.doc, cols.ord, cols.heading, cols.anchor, cols.content, cols.emb],
      );
      // Postings: body and title/heading occurrences, tokenised and stemmed by
      // PostgreSQL's english configuration (the same one queries go through).
      await tx.query(
        `INSERT INTO chunk_terms (term, chunk_id, collection, tf, tf_head, length)
         SELECT term, id, $2, tf, tf_head, sum(tf) OVER (PARTITION BY id)
           FROM (SELECT id, term, sum(body)::real AS tf, sum(head)::real AS tf_head FROM (
                   SELECT c.id, t.lexeme AS term, coalesce(array_length(t.positions, 1), 1) AS body, 0 AS head
                     FROM chunks c CROSS JOIN LATERAL unnest(to_tsvector('english', c.content)) t
                    WHERE c.document_id = ANY($1::bigint[])
                   UNION ALL
                   SELECT c.id, t.lexeme, 0, coalesce(array_length(t.positions, 1), 1)
                     FROM chunks c JOIN documents d ON d.id = c.document_id
                     CROSS JOIN LATERAL unnest(to_tsvector('english', d.title || ' ' || c.heading)) t
                    WHERE c.document_id = ANY($1::bigint[])) occ
                 GROUP BY id, term) agg`,
        [docIds, collection],
      );
      await tx.query(
        `UPDATE chunks c SET length = x.len FROM (SELECT chunk_id, max(length) AS len FROM chunk_terms WHERE chunk_id IN (SELECT id FROM chunks WHERE document_id = ANY($1::bigint[])) GROUP BY chunk_id) x
          WHERE c.id = x.chunk_id`,
        [docIds],
      );
      await tx.query(
        `INSERT INTO term_stats (collection, term, df)
         SELECT $2, ct.term, count(*) FROM chunk_terms ct JOIN chunks c ON c.id = ct.chunk_id
          WHERE c.document_id = ANY($1::bigint[]) GROUP BY ct.term ORDER BY ct.term
         ON CONFLICT (term, collection) DO UPDATE SET df = term_stats.df + EXCLUDED.df`,
        [docIds, collection],
      );
      await tx.query(
        `INSERT INTO collection_stats (collection, chunk_count, total_length)
         SELECT $2, count(*), coalesce(sum(length), 0) FROM chunks WHERE document_id = ANY($1::bigint[])
         ON CONFLICT (collection) DO UPDATE SET chunk_count = collection_stats.chunk_count + EXCLUDED.chunk_count,
                                                total_length = collection_stats.total_length + EXCLUDED.total_length`,
        [docIds, collection],
      );
    });
  }

  /** Current content hashes of the given documents, keyed `collection/source`. */
  async currentHashes(docs: { collection: string; source: string }[]): Promise<Map<string, string>> {
    if (!docs.length) return new Map();
    const r = await this.db.reader().query<{ collection: string; source: string; content_hash: string }>(
      'SELECT d.collection, d.source, d.content_hash FROM documents d JOIN unnest($1::text[], $2::text[]) AS u(collection, source) ON d.collection = u.collection AND d.source = u.source',
      [docs.map((d) => d.collection), docs.map((d) => d.source)],
    );
    return new Map(r.rows.map((x) => [`${x.collection}/${x.source}`, x.content_hash]));
  }

  async removeDocuments(collection: string, sources: string[]): Promise<void> {
    if (sources.length) await this.writeDocuments(collection, [], sources);
  }

  /** Real BM25 (IDF, k1 saturation, b length normalisation) over the stored postings. */
  async bm25(query: string, collections: string[], k: number, params: Bm25Params = defaultBm25, expansion: { terms: string[]; weight: number } = { terms: [], weight: 0 }): Promise<RankedChunk[]> {
    const r = await this.db.reader().query<{ chunk_id: string; score: number }>(
      `WITH asked AS (SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', $1))),
            q AS (SELECT term, 1.0::float8 AS qw FROM asked
                  UNION ALL
                  SELECT DISTINCT e.term, $8::float8 FROM unnest($7::text[]) AS e(term) WHERE e.term NOT IN (SELECT term FROM asked)),
            cs AS (SELECT sum(chunk_count)::float8 AS n, sum(total_length)::float8 / greatest(sum(chunk_count), 1) AS avgdl
                     FROM collection_stats WHERE collection = ANY($2::text[])),
            idf AS (SELECT q.term, q.qw * ln(1 + (cs.n - sum(ts.df) + 0.5) / (sum(ts.df) + 0.5)) AS idf
                      FROM q JOIN term_stats ts ON ts.term = q.term AND ts.collection = ANY($2::text[]) CROSS JOIN cs
                     GROUP BY q.term, q.qw, cs.n)
       SELECT ct.chunk_id, sum(idf.idf * w.tf * ($4::float8 + 1) / (w.tf + $4::float8 * (1 - $5::float8 + $5::float8 * ct.length / cs.avgdl)))::float8 AS score
         FROM idf JOIN chunk_terms ct ON ct.term = idf.term AND ct.collection = ANY($2::text[]) CROSS JOIN cs
        CROSS JOIN LATERAL (SELECT ct.tf + $6::float8 * ct.tf_head AS tf) w
        GROUP BY ct.chunk_id
        ORDER BY score DESC, ct.chunk_id
        LIMIT $3`,
      [query, collections, k, params.k1, params.b, params.headingBoost, expansion.terms, expansion.weight],
    );
    return r.rows.map((x) => ({ id: String(x.chunk_id), score: Number(x.score) }));
  }

  /**
   * Pseudo-relevance feedback: the terms that weigh most (tf × idf) in the given chunks,
   * other than the query's own, seen in at least two chunks of the collections.
   */
  async feedbackTerms(query: string, chunkIds: string[], collections: string[], n: number): Promise<string[]> {
    if (!chunkIds.length || n <= 0) return [];
    const r = await this.db.reader().query<{ term: string }>(
      `WITH cs AS (SELECT sum(chunk_count)::float8 AS n FROM collection_stats WHERE collection = ANY($3::text[])),
            asked AS (SELECT lexeme AS term FROM unnest(to_tsvector('english', $1)))
       SELECT ct.term FROM chunk_terms ct
         JOIN (SELECT term, sum(df) AS df FROM term_stats WHERE collection = ANY($3::text[]) GROUP BY term) ts ON ts.term = ct.term
         CROSS JOIN cs
        WHERE ct.chunk_id = ANY($2::bigint[]) AND ts.df >= 2 AND ct.term NOT IN (SELECT term FROM asked) AND length(ct.term) > 2
        GROUP BY ct.term, ts.df, cs.n
        ORDER BY sum(ct.tf + ct.tf_head) * ln(1 + (cs.n - ts.df + 0.5) / (ts.df + 0.5)) DESC, ct.term
        LIMIT $4`,
      [query, chunkIds, collections, n],
    );
    return r.rows.map((x) => x.term);
  }

  /** Query terms with their IDF, and terms the collections do not contain at all. */
  async queryTerms(query: string, collections: string[]): Promise<{ term: string; idf: number; df: number }[]> {
    const r = await this.db.reader().query<{ term: string; idf: number; df: number }>(
      `WITH q AS (SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', $1))),
            cs AS (SELECT coalesce(sum(chunk_count), 0)::float8 AS n FROM collection_stats WHERE collection = ANY($2::text[]))
       SELECT q.term, coalesce(sum(ts.df), 0)::int AS df, ln(1 + (cs.n - coalesce(sum(ts.df), 0) + 0.5) / (coalesce(sum(ts.df), 0) + 0.5))::float8 AS idf
         FROM q CROSS JOIN cs LEFT JOIN term_stats ts ON ts.term = q.term AND ts.collection = ANY($2::text[])
        GROUP BY q.term, cs.n ORDER BY q.term`,
      [query, collections],
    );
    return r.rows.map((x) => ({ term: x.term, idf: Number(x.idf), df: Number(x.df) }));
  }

  /** Which of the given terms each chunk contains (for evidence scoring). */
  async termsInChunks(chunkIds: string[], terms: string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (!chunkIds.length || !terms.length) return out;
    const r = await this.db.reader().query<{ chunk_id: string; term: string }>('SELECT chunk_id, term FROM chunk_terms WHERE chunk_id = ANY($1::bigint[]) AND term = ANY($2::text[])', [chunkIds, terms]);
    for (const row of r.rows) {
      const id = String(row.chunk_id);
      if (!out.has(id)) out.set(id, new Set());
      out.get(id)!.add(row.term);
    }
    return out;
  }

  /** Cosine nearest neighbours through the HNSW expression index. */
  async vector(embedding: number[], dimension: number, collections: string[], k: number): Promise<RankedChunk[]> {
    const dim = checkedDimension(dimension);
    const r = await this.db.reader().query<{ id: string; distance: number }>(
      `SELECT id, (embedding::vector(${dim}) <=> $1::vector(${dim}))::float8 AS distance FROM chunks
        WHERE collection = ANY($2::text[]) AND vector_dims(embedding) = ${dim}
        ORDER BY embedding::vector(${dim}) <=> $1::vector(${dim})
        LIMIT $3`,
      [toVectorLiteral(embedding), collections, k],
    );
    // Iterative index scans (relaxed order) may return neighbours slightly out of order.
    return r.rows
      .map((x) => ({ id: String(x.id), score: 1 - Number(x.distance) }))
      .sort((a, b) => b.score - a.score || compareIds(a.id, b.id));
  }

  /** Refreshes planner statistics after a bulk change. */
  async analyze(): Promise<void> {
    await this.db.query('ANALYZE chunks, chunk_terms, term_stats');
  }

  /** The seed recipe's lexical half: plainto_tsquery + ts_rank over to_tsvector(content). */
  async tsRank(query: string, collections: string[], k: number): Promise<RankedChunk[]> {
    const r = await this.db.reader().query<{ id: string; score: number }>(
      `SELECT id, ts_rank(to_tsvector('english', content), plainto_tsquery('english', $1))::float8 AS score FROM chunks
        WHERE collection = ANY($2::text[]) AND to_tsvector('english', content) @@ plainto_tsquery('english', $1)
        ORDER BY score DESC, id LIMIT $3`,
      [query, collections, k],
    );
    return r.rows.map((x) => ({ id: String(x.id), score: Number(x.score) }));
  }

  async chunks(ids: string[]): Promise<Map<string, ChunkRow>> {
    if (!ids.length) return new Map();
    const r = await this.db.reader().query<ChunkRow>(
      `SELECT c.id::text AS id, c.document_id::text AS document_id, c.collection, d.source, d.title, d.url, c.heading, c.anchor, c.content, d.content_hash
         FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY($1::bigint[])`,
      [ids],
    );
    return new Map(r.rows.map((x) => [x.id, x]));
  }

  async stats(collections?: string[]): Promise<{ documents: number; chunks: number }> {
    const r = await this.db.query<{ documents: string; chunks: string }>(
      'SELECT (SELECT count(*) FROM documents WHERE $1::text[] IS NULL OR collection = ANY($1::text[])) AS documents, (SELECT count(*) FROM chunks WHERE $1::text[] IS NULL OR collection = ANY($1::text[])) AS chunks',
      [collections ?? null],
    );
    return { documents: Number(r.rows[0]?.documents ?? 0), chunks: Number(r.rows[0]?.chunks ?? 0) };
  }
}
