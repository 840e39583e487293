import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Database } from '../db/database.ts';
import { createVectorIndex, ensureEmbeddingSpace, type EmbeddingSpace } from '../store/embeddingSpace.ts';
import { toVectorLiteral } from '../store/knowledgeStore.ts';
import { embeddingText } from './ingest.ts';

/** Re-embeds every chunk with the configured model (explicit: `kb reembed`). */
export async function reembed(deps: { db: Database; embeddings: EmbeddingsInterface; space: EmbeddingSpace }): Promise<number> {
  const { db, embeddings, space } = deps;
  await ensureEmbeddingSpace(db, space, true);
  let lastId = '0';
  let total = 0;
  for (;;) {
    const r = await db.query<{ id: string; title: string; heading: string; content: string }>(
      'SELECT c.id::text AS id, d.title, c.heading, c.content FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id > $1::bigint ORDER BY c.id LIMIT 256',
      [lastId],
    );
    if (!r.rows.length) break;
    const vectors = await embeddings.embedDocuments(r.rows.map((x) => embeddingText(x.title, x.heading, x.content)));
    await db.query('UPDATE chunks c SET embedding = u.emb::vector FROM unnest($1::bigint[], $2::text[]) AS u(id, emb) WHERE c.id = u.id', [r.rows.map((x) => x.id), vectors.map(toVectorLiteral)]);
    total += r.rows.length;
    lastId = r.rows[r.rows.length - 1]!.id;
  }
  await createVectorIndex(db, space.dimension);
  return total;
}
