import { DEFAULT_EF_SEARCH, DEFAULT_IVFFLAT_PROBES, type Database, type Queryable } from '../db/database.ts';
import { KbError } from '../errors.ts';

/**
 * The vector index: which embedding model the stored vectors come from (the embedding space,
 * recorded in kb_settings; the store never mixes models), and the index over chunks.embedding,
 * HNSW (default) or IVFFlat. The index is an expression index over `embedding::halfvec(<dim>)`
 * on server PostgreSQL (half-precision keys make an HNSW graph half the size, so more of it
 * stays in memory, at the same recall) and over `embedding::vector(<dim>)` on PGlite, whose
 * WebAssembly build converts half floats in software (HNSW builds ~6× slower). It is partial
 * on the recorded dimension; the table keeps full-precision vectors for exact distances (see
 * vectorSearch.ts for the queries). Its build parameters are the index's own storage options
 * (pg_class.reloptions, always written explicitly), so the index records what it was built
 * with and nothing else has to remember it. The dimension is validated as an integer in range
 * before it is written into DDL.
 */
export type VectorPrecision = 'halfvec' | 'vector';
export const vectorPrecision = (kind: Database['kind']): VectorPrecision => (kind === 'pglite' ? 'vector' : 'halfvec');

export function checkedDimension(dimension: number): number {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 2000) {
    throw new KbError('input/invalid_argument', `Embedding dimension ${dimension} is not supported (1 to 2000)`);
  }
  return dimension;
}

export type VectorIndexKind = 'hnsw' | 'ivfflat';
export const VECTOR_INDEX_KINDS: readonly VectorIndexKind[] = ['hnsw', 'ivfflat'];

/** What is configured (VECTOR_INDEX, HNSW_M, HNSW_EF_CONSTRUCTION, IVFFLAT_LISTS); unset values follow the table's size. */
export interface VectorIndexOptions {
  kind: VectorIndexKind;
  m?: number;
  efConstruction?: number;
  lists?: number;
}

/** Search-time settings (HNSW_EF_SEARCH, IVFFLAT_PROBES), applied to each vector query. */
export interface VectorSearchOptions {
  efSearch: number;
  probes: number;
}

/** Build parameters of one index, as wanted or as found in the catalogue. */
export type VectorIndexParams = { kind: 'hnsw'; m: number; efConstruction: number } | { kind: 'ivfflat'; lists: number };

export const defaultVectorIndex: VectorIndexOptions = { kind: 'hnsw' };

export const defaultVectorSearch: VectorSearchOptions = { efSearch: DEFAULT_EF_SEARCH, probes: DEFAULT_IVFFLAT_PROBES };

/**
 * HNSW build parameters (see BENCHMARKS.md, HNSW recall): m = 16, and ef_construction by
 * the number of rows the index covers. Up to SMALL_INDEX_ROWS, pgvector's default 64: the
 * graph is small enough that a search walks most of it (recall@10 0.997 on the manual's
 * 8,158 chunks at ef_search 300, the same as with ef_construction 200) and the build takes half the time. Above it, 200 on a
 * server, which lifts recall@10 at 100k chunks from ~0.94–0.95 (128) to ~0.96, and 128 on
 * PGlite, whose WebAssembly build is several times slower. An index built small is rebuilt
 * once the table outgrows it (createVectorIndex).
 */
export const HNSW_M = 16;
export const SMALL_INDEX_ROWS = 12_000;
export const hnswEfConstruction = (precision: VectorPrecision, rows: number): number => (rows <= SMALL_INDEX_ROWS ? 64 : precision === 'halfvec' ? 200 : 128);

/** IVFFlat lists by table size, as pgvector advises: rows / 1000 up to a million rows, √rows beyond. */
export const defaultIvfflatLists = (rows: number): number => Math.max(1, Math.round(rows <= 1_000_000 ? rows / 1000 : Math.sqrt(rows)));

export function vectorIndexName(dimension: number, precision: VectorPrecision, kind: VectorIndexKind = 'hnsw'): string {
  const dim = checkedDimension(dimension);
  return `chunks_embedding_${kind}${precision === 'halfvec' ? '_half' : ''}_${dim}`;
}

/** Every vector index name a dimension can have (both kinds, both precisions). */
export const allVectorIndexNames = (dimension: number): string[] =>
  VECTOR_INDEX_KINDS.flatMap((kind) => (['halfvec', 'vector'] as const).map((precision) => vectorIndexName(dimension, precision, kind)));

/** The parameters an index for `rows` rows is built with under `options`. */
export function wantedVectorIndex(options: VectorIndexOptions, precision: VectorPrecision, rows: number): VectorIndexParams {
  if (options.kind === 'ivfflat') return { kind: 'ivfflat', lists: options.lists ?? defaultIvfflatLists(rows) };
  return { kind: 'hnsw', m: options.m ?? HNSW_M, efConstruction: options.efConstruction ?? hnswEfConstruction(precision, rows) };
}

/**
 * Whether an index built with `built` should be rebuilt for `options` at `rows` rows. A
 * configured parameter must match exactly; one left to the table's size only when the table
 * has outgrown it (HNSW: a larger ef_construction is due; IVFFlat: the lists are off by a
 * factor of two or more either way, whose centroids are by then stale as well). With
 * `configuredOnly`, size-driven changes are left to the next ingest.
 */
export function needsRebuild(built: VectorIndexParams, options: VectorIndexOptions, precision: VectorPrecision, rows: number, configuredOnly = false): boolean {
  if (built.kind !== options.kind) return true;
  const wanted = wantedVectorIndex(options, precision, rows);
  if (built.kind === 'hnsw' && wanted.kind === 'hnsw') {
    if (built.m !== wanted.m) return true;
    if (options.efConstruction !== undefined) return built.efConstruction !== options.efConstruction;
    return !configuredOnly && built.efConstruction < wanted.efConstruction;
  }
  if (built.kind === 'ivfflat' && wanted.kind === 'ivfflat') {
    if (options.lists !== undefined) return built.lists !== options.lists;
    return !configuredOnly && (built.lists * 2 <= wanted.lists || built.lists >= wanted.lists * 2);
  }
  return true;
}

const option = (options: string[], name: string, fallback: number): number => {
  const o = options.find((x) => x.startsWith(`${name}=`));
  return o ? Number(o.slice(name.length + 1)) : fallback;
};

/** The kind and build parameters of the named index, from the catalogue; undefined when there is no such index. */
export async function builtVectorIndex(db: Queryable, index: string): Promise<VectorIndexParams | undefined> {
  const r = await db.query<{ am: string; options: string[] | null }>(
    "SELECT a.amname AS am, c.reloptions AS options FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.relname = $1 AND c.relkind = 'i'",
    [index],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  const options = row.options ?? [];
  // pgvector's defaults where an option is absent (an index built by an earlier version).
  if (row.am === 'ivfflat') return { kind: 'ivfflat', lists: option(options, 'lists', 100) };
  return { kind: 'hnsw', m: option(options, 'm', 16), efConstruction: option(options, 'ef_construction', 64) };
}

/** The ef_construction the named HNSW index was built with; undefined when there is no such index. */
export async function builtEfConstruction(db: Queryable, index: string): Promise<number | undefined> {
  const built = await builtVectorIndex(db, index);
  return built?.kind === 'hnsw' ? built.efConstruction : undefined;
}

/** The CREATE INDEX statement (name may carry IF NOT EXISTS). Every value is a validated integer. */
function indexDdl(name: string, dim: number, precision: VectorPrecision, p: VectorIndexParams): string {
  const int = (n: number) => {
    if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new Error(`vector index parameter ${n} out of range`);
    return n;
  };
  const using = p.kind === 'hnsw' ? `hnsw ((embedding::${precision}(${dim})) ${precision}_cosine_ops) WITH (m = ${int(p.m)}, ef_construction = ${int(p.efConstruction)})` : `ivfflat ((embedding::${precision}(${dim})) ${precision}_cosine_ops) WITH (lists = ${int(p.lists)})`;
  // Partial on the dimension: an index build also reads row versions an uncommitted
  // re-embed has just replaced, and those must not be cast to the new dimension.
  return `CREATE INDEX ${name} ON chunks USING ${using} WHERE vector_dims(embedding) = ${dim}`;
}

/**
 * Builds the vector index `options` asks for, for this backend's precision, when it is missing
 * or was built with other parameters (see needsRebuild), and drops every other vector index of
 * the dimension (the other kind, the other precision). A different index is built under a
 * temporary name and swapped in, so readers keep an index until the new one is ready; the old
 * one is dropped only then. `rows` defaults to the chunks the collections hold. Run it in a
 * transaction (`db` a transaction's Queryable): an advisory lock then serialises concurrent
 * ingests, and the swap is atomic. Returns whether it built an index.
 */
export async function createVectorIndex(
  db: Queryable,
  dimension: number,
  precision: VectorPrecision,
  o: { index?: VectorIndexOptions; rows?: number; configuredOnly?: boolean } = {},
): Promise<boolean> {
  const dim = checkedDimension(dimension);
  const options = o.index ?? defaultVectorIndex;
  const name = vectorIndexName(dim, precision, options.kind);
  const rebuilding = `${name}_rebuild`;
  await db.query('SELECT pg_advisory_xact_lock(724111003)');
  const rows = o.rows ?? (await chunkCount(db));
  const wanted = wantedVectorIndex(options, precision, rows);
  let builtOne = false;
  let built = await builtVectorIndex(db, name);
  if (built === undefined) {
    // A rebuild that was swapped in only halfway (outside a transaction) left the new index.
    const half = await builtVectorIndex(db, rebuilding);
    if (half !== undefined) {
      await db.query(`ALTER INDEX ${rebuilding} RENAME TO ${name}`);
      built = half;
    }
  }
  if (built === undefined) {
    // IF NOT EXISTS: a caller outside a transaction is not serialised by the lock.
    await db.query(indexDdl(`IF NOT EXISTS ${name}`, dim, precision, wanted));
    builtOne = true;
  } else if (needsRebuild(built, options, precision, rows, o.configuredOnly)) {
    await db.query(`DROP INDEX IF EXISTS ${rebuilding}`);
    await db.query(indexDdl(rebuilding, dim, precision, wanted));
    await db.query(`DROP INDEX ${name}`);
    await db.query(`ALTER INDEX ${rebuilding} RENAME TO ${name}`);
    builtOne = true;
  }
  for (const other of allVectorIndexNames(dim)) if (other !== name) await db.query(`DROP INDEX IF EXISTS ${other}`);
  return builtOne;
}

/** Chunks in all collections (the vector index covers every collection). */
async function chunkCount(db: Queryable): Promise<number> {
  const r = await db.query<{ n: string | number }>('SELECT coalesce(sum(chunk_count), 0) AS n FROM collection_stats');
  return Number(r.rows[0]?.n ?? 0);
}

/** Drops the vector indexes (either kind, either precision) of the given dimension. */
export async function dropVectorIndexes(db: Queryable, dimension: number): Promise<void> {
  for (const name of allVectorIndexNames(dimension)) await db.query(`DROP INDEX IF EXISTS ${name}`);
}

/**
 * At start-up: a knowledge base whose vector index is not the configured one (another kind,
 * another precision, or configured build parameters it was not built with) gets the configured
 * one, built and swapped in; one that has no vector index yet is left to the first ingest.
 * Returns whether it rebuilt.
 */
export async function upgradeVectorIndex(db: Queryable, dimension: number, precision: VectorPrecision, index: VectorIndexOptions = defaultVectorIndex): Promise<boolean> {
  const r = await db.query<{ found: string | null }>('SELECT to_regclass(n)::text AS found FROM unnest($1::text[]) AS n WHERE to_regclass(n) IS NOT NULL', [allVectorIndexNames(dimension)]);
  if (!r.rows.length) return false;
  const current = vectorIndexName(dimension, precision, index.kind);
  const built = r.rows.some((x) => x.found === current) ? await builtVectorIndex(db, current) : undefined;
  if (r.rows.length === 1 && built && !needsRebuild(built, index, precision, 0, true)) return false;
  return createVectorIndex(db, dimension, precision, { index, configuredOnly: true });
}

/** Advisory lock serialising changes of the embedding space (first ingest, `kb reembed`). */
export const EMBEDDING_SPACE_LOCK = 724_111_002;

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
    await tx.query('SELECT pg_advisory_xact_lock($1)', [EMBEDDING_SPACE_LOCK]);
    const current = await readEmbeddingSpace(tx);
    if (current && current.model === wanted.model && current.dimension === dim) return;
    if (current && !replace) {
      throw new KbError(
        'store/model_mismatch',
        `The knowledge base was embedded with ${current.model} (${current.dimension} dimensions) but ${wanted.model} (${dim}) is configured: run \`kb reembed\` to switch, or set EMBEDDINGS back.`,
      );
    }
    await replaceEmbeddingSpace(tx, current, { model: wanted.model, dimension: dim });
  });
}

/**
 * Records `space` as the stored vectors' model, dropping the vector indexes of the `current`
 * one. Run it in a transaction holding EMBEDDING_SPACE_LOCK.
 */
export async function replaceEmbeddingSpace(tx: Queryable, current: EmbeddingSpace | undefined, space: EmbeddingSpace): Promise<void> {
  if (current) await dropVectorIndexes(tx, current.dimension);
  await tx.query(
    "INSERT INTO kb_settings (key, value) VALUES ('embedding_model', $1), ('embedding_dimension', $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
    [space.model, String(checkedDimension(space.dimension))],
  );
}
