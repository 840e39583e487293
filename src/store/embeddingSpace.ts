import { KbError } from '../errors.ts';
import type { Database, Queryable } from '../db/database.ts';

/**
 * The store records which embedding model its vectors come from. The HNSW index is an
 * expression index over `embedding::halfvec(<dim>)` on server PostgreSQL (half-precision
 * keys make the graph half the size, so more of it stays in memory, at the same recall) and
 * over `embedding::vector(<dim>)` on PGlite, whose WebAssembly build converts half floats in
 * software (HNSW builds ~6× slower). The index is partial (rows of the recorded dimension);
 * the table keeps full-precision vectors for exact distances. The dimension is validated as
 * an integer in range before it is written into DDL.
 */

export type VectorPrecision = 'halfvec' | 'vector';

/**
 * HNSW build parameters (see BENCHMARKS.md, HNSW recall): m = 16; ef_construction = 200 on
 * a server, where it lifts recall@10 at 100k chunks from ~0.94–0.95 to ~0.96 for a 1.2–1.8×
 * longer build, and 128 on PGlite, whose knowledge bases are small (recall 0.997 at 10k)
 * and whose WebAssembly build is several times slower.
 */
export const HNSW_M = 16;
export const hnswEfConstruction = (precision: VectorPrecision): number => (precision === 'halfvec' ? 200 : 128);

export const vectorPrecision = (kind: Database['kind']): VectorPrecision => (kind === 'pglite' ? 'vector' : 'halfvec');

export const vectorIndexName = (dimension: number, precision: VectorPrecision) =>
  precision === 'halfvec' ? `chunks_embedding_hnsw_half_${checkedDimension(dimension)}` : `chunks_embedding_hnsw_${checkedDimension(dimension)}`;
const other = (precision: VectorPrecision): VectorPrecision => (precision === 'halfvec' ? 'vector' : 'halfvec');

export interface EmbeddingSpace {
  model: string;
  dimension: number;
}

export function checkedDimension(dimension: number): number {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 2000) {
    throw new KbError('input/invalid_argument', `Embedding dimension ${dimension} is not supported (1 to 2000)`);
  }
  return dimension;
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

/** Drops the HNSW indexes (either precision) of the given dimension. */
export async function dropVectorIndexes(db: Queryable, dimension: number): Promise<void> {
  for (const precision of ['halfvec', 'vector'] as const) await db.query(`DROP INDEX IF EXISTS ${vectorIndexName(dimension, precision)}`);
}

/** Builds the HNSW index for this backend's precision (if missing) and drops the other one. */
export async function createVectorIndex(db: Queryable, dimension: number, precision: VectorPrecision): Promise<void> {
  const dim = checkedDimension(dimension);
  // Partial on the dimension: an index build also reads row versions an uncommitted
  // re-embed has just replaced, and those must not be cast to the new dimension.
  await db.query(
    `CREATE INDEX IF NOT EXISTS ${vectorIndexName(dim, precision)} ON chunks USING hnsw ((embedding::${precision}(${dim})) ${precision}_cosine_ops)
       WITH (m = ${HNSW_M}, ef_construction = ${hnswEfConstruction(precision)}) WHERE vector_dims(embedding) = ${dim}`,
  );
  await db.query(`DROP INDEX IF EXISTS ${vectorIndexName(dim, other(precision))}`);
}

/**
 * A knowledge base built with the other precision's index (a server knowledge base from an
 * earlier version had a full-precision one), which today's queries cannot use: builds the
 * current one and drops the old. Returns whether it did.
 */
export async function upgradeVectorIndex(db: Queryable, dimension: number, precision: VectorPrecision): Promise<boolean> {
  const r = await db.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [vectorIndexName(dimension, other(precision))]);
  if (!r.rows[0]?.found) return false;
  await createVectorIndex(db, dimension, precision);
  return true;
}
