import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { runMaintenance, type Database } from '../db/database.ts';
import { checkedDimension, createVectorIndex, EMBEDDING_SPACE_LOCK, readEmbeddingSpace, replaceEmbeddingSpace, vectorPrecision, type EmbeddingSpace, type VectorIndexOptions } from '../store/vectorIndex.ts';
import { toVectorLiteral } from '../store/vectorSearch.ts';
import { embeddingText } from './ingest.ts';

/**
 * Re-embeds every chunk with the configured model (explicit: `kb reembed`), in one
 * transaction: readers see the old vectors and model until it commits, never a mix. It runs
 * without the query statement timeout (every vector is rewritten, then the index rebuilt).
 */
export async function reembed(deps: { db: Database; embeddings: EmbeddingsInterface; space: EmbeddingSpace; vectorIndex?: VectorIndexOptions }): Promise<number> {
  const { db, embeddings, space } = deps;
  const dim = checkedDimension(space.dimension);
  return runMaintenance(db, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [EMBEDDING_SPACE_LOCK]);
    await replaceEmbeddingSpace(tx, await readEmbeddingSpace(tx), { model: space.model, dimension: dim });
    let lastId = '0';
    let total = 0;
    for (;;) {
      const r = await tx.query<{ id: string; title: string; heading: string; content: string }>(
        'SELECT c.id::text AS id, d.title, c.heading, c.content FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id > $1::bigint ORDER BY c.id LIMIT 256',
        [lastId],
      );
      if (!r.rows.length) break;
      const vectors = await embeddings.embedDocuments(r.rows.map((x) => embeddingText(x.title, x.heading, x.content)));
      await tx.query('UPDATE chunks c SET embedding = u.emb::vector FROM unnest($1::bigint[], $2::text[]) AS u(id, emb) WHERE c.id = u.id', [r.rows.map((x) => x.id), vectors.map(toVectorLiteral)]);
      total += r.rows.length;
      lastId = r.rows[r.rows.length - 1]!.id;
    }
    await createVectorIndex(tx, dim, vectorPrecision(db.kind), { index: deps.vectorIndex });
    return total;
  });
}
