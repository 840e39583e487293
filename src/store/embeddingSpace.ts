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
 * HNSW build parameters (see BENCHMARKS.md, HNSW recall): m = 16, and ef_construction by
 * the number of rows the index covers. Up to SMALL_INDEX_ROWS, pgvector's default 64: the
 * graph is small enough that ef_search 300 walks most of it (recall@10 0.997 on the manual's
 * 8,158 chunks, the same as with 200) and the build takes half the time. Above it, 200 on a
 * server, which lifts recall@10 at 100k chunks from ~0.94–0.95 (128) to ~0.96, and 128 on
 * PGlite, whose WebAssembly build is several times slower. An index built small is rebuilt
 * once the table outgrows it (createVectorIndex).
 */
export const HNSW_M = 16;
export const SMALL_INDEX_ROWS = 12_000;
export const hnswEfConstruction = (precision: VectorPrecision, rows: number): number => (rows <= SMALL_INDEX_ROWS ? 64 : precision === 'halfvec' ? 200 : 128);

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

/**
 * Builds the HNSW index for this backend's precision (if missing) and drops the other one.
 * An existing index built with a smaller ef_construction than the table now calls for
 * (it was built when the table was small) is rebuilt under a temporary name and swapped in,
 * so readers keep an index until the new one is ready. `rows` defaults to the chunks the
 * collections hold. Run it in a transaction (`db` a transaction's Queryable): an advisory
 * lock then serialises concurrent ingests, and the swap is atomic.
 */
export async function createVectorIndex(db: Queryable, dimension: number, precision: VectorPrecision, rows?: number): Promise<void> {
  const dim = checkedDimension(dimension);
  const name = vectorIndexName(dim, precision);
  const rebuilding = `${name}_rebuild`;
  await db.query('SELECT pg_advisory_xact_lock(724111003)');
  const wanted = hnswEfConstruction(precision, rows ?? (await chunkCount(db)));
  // Partial on the dimension: an index build also reads row versions an uncommitted
  // re-embed has just replaced, and those must not be cast to the new dimension.
  const build = (as: string) =>
    db.query(
      `CREATE INDEX ${as} ON chunks USING hnsw ((embedding::${precision}(${dim})) ${precision}_cosine_ops)
         WITH (m = ${HNSW_M}, ef_construction = ${wanted}) WHERE vector_dims(embedding) = ${dim}`,
    );
  const built = await builtEfConstruction(db, name);
  if (built === undefined) {
    // A rebuild that was swapped in only halfway (outside a transaction) left the new index.
    if ((await builtEfConstruction(db, rebuilding)) !== undefined) await db.query(`ALTER INDEX ${rebuilding} RENAME TO ${name}`);
    // IF NOT EXISTS: a caller outside a transaction is not serialised by the lock.
    else await build(`IF NOT EXISTS ${name}`);
  } else if (built < wanted) {
    await db.query(`DROP INDEX IF EXISTS ${rebuilding}`);
    await build(rebuilding);
    await db.query(`DROP INDEX ${name}`);
    await db.query(`ALTER INDEX ${rebuilding} RENAME TO ${name}`);
  }
  await db.query(`DROP INDEX IF EXISTS ${vectorIndexName(dim, other(precision))}`);
}

/** Chunks in all collections (the HNSW index covers every collection). */
async function chunkCount(db: Queryable): Promise<number> {
  const r = await db.query<{ n: string | number }>('SELECT coalesce(sum(chunk_count), 0) AS n FROM collection_stats');
  return Number(r.rows[0]?.n ?? 0);
}

/** The ef_construction the named index was built with; undefined when there is no such index. */
export async function builtEfConstruction(db: Queryable, index: string): Promise<number | undefined> {
  const r = await db.query<{ options: string[] | null }>("SELECT c.reloptions AS options FROM pg_class c WHERE c.relname = $1 AND c.relkind = 'i'", [index]);
  if (!r.rows.length) return undefined;
  const option = (r.rows[0]!.options ?? []).find((o) => o.startsWith('ef_construction='));
  // pgvector's default when the option is absent.
  return option ? Number(option.slice('ef_construction='.length)) : 64;
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
