import { KbError } from '../errors.ts';
import type { Database, Queryable } from '../db/database.ts';
import { checkedDimension, dropVectorIndexes } from './vectorIndex.ts';

/**
 * The store records which embedding model its vectors come from. The vector index
 * (vectorIndex.ts) is an expression index over `embedding::halfvec(<dim>)` on server
 * PostgreSQL (half-precision keys make an HNSW graph half the size, so more of it stays in
 * memory, at the same recall) and over `embedding::vector(<dim>)` on PGlite, whose
 * WebAssembly build converts half floats in software (HNSW builds ~6× slower). The index is
 * partial (rows of the recorded dimension); the table keeps full-precision vectors for exact
 * distances. The dimension is validated as an integer in range before it is written into DDL.
 */

export interface EmbeddingSpace {
  model: string;
  dimension: number;
}

export async function readEmbeddingSpace(db: Queryable): Promise<EmbeddingSpace | undefined> {
  const r = await db.query<{ key: string; value: string }>("SELECT key, value FROM kb_settings WHERE key IN ('embedding_model', 'embedding_dimension')");
  const m = new Map(r.rows.map((x) => [x.key, x.value]));
  const model = m.get('embedding_model');
  const dim = m.get('embedding_dimension');
  return model && dim ? { model, dimension: Number(dim) } : undefined;
}

/** Records the model on first use; refuses a different one unless `replace` (kb reembed). */
export async function ensureEmbeddingSpace(db: Database, wanted: EmbeddingSpace, replace = false): Promise<void> {
  const dim = checkedDimension(wanted.dimension);
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(724111002)');
    const current = await readEmbeddingSpace(tx);
    if (current && current.model === wanted.model && current.dimension === dim) return;
    if (current && !replace) {
      throw new KbError(
        'store/model_mismatch',
        `The knowledge base was embedded with ${current.model} (${current.dimension} dimensions) but ${wanted.model} (${dim}) is configured: run \`kb reembed\` to switch, or set EMBEDDINGS back.`,
      );
    }
    if (current) await dropVectorIndexes(tx, current.dimension);
    await tx.query(
      "INSERT INTO kb_settings (key, value) VALUES ('embedding_model', $1), ('embedding_dimension', $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
      [wanted.model, String(dim)],
    );
  });
}
