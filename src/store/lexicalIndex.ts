import { runMaintenance, type Database, type Queryable } from '../db/database.ts';
import { bm25OverHeads, canReadHeads, type HeadsSearch } from './bm25Heads.ts';
import { bm25Statement, queryLexemes, queryTermStats, toQueryTerm, type Feedback, type QueryTerm } from './bm25Statement.ts';
import { ranked, type RankedChunk, type RankedRow } from './chunkRows.ts';
import type { MetadataFilter } from './metadata.ts';
import { DEFAULT_POSTINGS_PER_TERM, defaultBm25, rebuildImpacts, recordedBm25, refreshHeads, sameBm25, type Bm25Params } from './postings.ts';
import { SqlParams } from './sqlParams.ts';

/** Advisory lock serialising impact rebuilds. */
const REBUILD_LOCK = 724_111_004;

/** Advisory lock serialising the postings' index drops and builds. */
const POSTINGS_INDEX_LOCK = 724_111_005;

/** How long a refresh of the heads waits for write transactions under way (ms). */
const HEADS_LOCK_TIMEOUT_MS = 30_000;

const postingsIndexesMissing = async (db: Queryable) =>
  (await db.query<{ missing: boolean }>("SELECT to_regclass('chunk_terms_impact_idx') IS NULL OR to_regclass('chunk_terms_chunk_idx') IS NULL AS missing")).rows[0]?.missing === true;

const postingsEmpty = async (db: Queryable) => (await db.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM chunk_terms) AS empty')).rows[0]?.empty === true;

/** How one search reads the index: postings per term, pseudo-relevance feedback, a metadata filter. */
export interface Bm25Options {
  postingsPerTerm?: number;
  feedback?: Feedback;
  filter?: MetadataFilter;
  /** Rows to bring along where the search can; other hits come without. */
  rowsFor?: HeadsSearch['rowsFor'];
}

/**
 * BM25F over the stored postings (postings.ts), with one parameter set: the one it is
 * constructed with, which is also the one the stored impacts are computed with once
 * ensureParameters() has run.
 */
export class LexicalIndex {
  constructor(
    private readonly db: Database,
    readonly params: Bm25Params = defaultBm25,
  ) {}

  /**
   * Makes the stored impacts agree with this index's parameters: when the recorded ones
   * differ (or are not known), every impact is recomputed and the new parameters recorded,
   * in one transaction without the statement timeout. Returns whether it rebuilt.
   */
  async ensureParameters(): Promise<boolean> {
    if (sameBm25(this.params, await recordedBm25(this.db))) return false;
    const rebuilt = await runMaintenance(this.db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [REBUILD_LOCK]);
      if (sameBm25(this.params, await recordedBm25(tx))) return false;
      await rebuildImpacts(tx, this.params);
      return true;
    });
    // The rebuild deleted every head (they are ordered by the old impacts).
    if (rebuilt) await this.refreshHeads();
    return rebuilt;
  }

  /**
   * Writes the heads (migrations/011) that writes have deleted or that were never written, in
   * one transaction without the statement timeout; nothing while the postings' indexes are
   * missing (checked under the lock that their drops and builds take). A refresh that cannot
   * have its lock within `lockTimeoutMs` (a write transaction left open) leaves them to the
   * next ingest: a query reads a missing head from the index. Returns how many it wrote.
   */
  async refreshHeads(lockTimeoutMs = HEADS_LOCK_TIMEOUT_MS): Promise<number> {
    if (await postingsIndexesMissing(this.db)) return 0;
    try {
      return await runMaintenance(this.db, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [POSTINGS_INDEX_LOCK]);
        if (await postingsIndexesMissing(tx)) return 0;
        await tx.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(lockTimeoutMs))}`);
        return refreshHeads(tx);
      });
    } catch (err) {
      // 55P03: lock_timeout gave up.
      if ((err as { code?: string } | null)?.code === '55P03') return 0;
      throw err;
    }
  }

  /**
   * Real BM25F (IDF, k1 saturation, b length normalisation, heading weight) over the stored
   * postings. Each query term contributes its `postingsPerTerm` highest-impact postings per
   * collection; a chunk's score sums the exact BM25 of the postings read. Rare terms are
   * always read in full; for a term in more chunks than that, a chunk outside its best
   * postings misses only that (low-IDF) term's share.
   *
   * Without a filter, and with no more postings per term than a head holds, the postings are
   * read from the terms' heads and scored in the client (bm25Heads.ts: two statements, one
   * value per term). Otherwise one statement reads them from the covering index and scores
   * them in PostgreSQL (bm25Statement.ts); a filter keeps each term's best postings among the
   * matching chunks. Both give the same ranking.
   *
   * With `feedback`, pseudo-relevance feedback follows the first pass: the `terms`
   * heaviest terms (tf × idf, seen in at least two chunks) of the `chunks` best first-pass
   * chunks join the query with `weight`, each read to an eighth of the postings (they
   * re-rank more than they find). Feedback scores are added to the first-pass scores of the
   * best 200 first-pass chunks; a chunk below that pool reached only through feedback terms
   * keeps its feedback score alone. (Summing feedback into every first-pass chunk, thousands
   * for common terms, doubled the statement's time and changed no ranking on the dev
   * questions.)
   */
  async bm25(query: string, collections: string[], k: number, options: Bm25Options = {}): Promise<RankedChunk[]> {
    if (this.readsHeads(options)) return (await this.overHeads(query, collections, k, options)).hits;
    return ranked(await this.db.reader().query<RankedRow>(...this.statement(query, collections, k, options)));
  }

  /**
   * bm25() and the query's term statistics (as queryTerms() gives them): from the same
   * statement when the search reads heads, else from a second one alongside.
   */
  async bm25WithTerms(query: string, collections: string[], k: number, options: Bm25Options = {}): Promise<{ hits: RankedChunk[]; queryTerms: QueryTerm[] }> {
    if (this.readsHeads(options)) return this.overHeads(query, collections, k, options);
    const [hits, queryTerms] = await Promise.all([this.bm25(query, collections, k, options), this.queryTerms(query, collections)]);
    return { hits, queryTerms };
  }

  /** Query terms with their IDF, and terms the collections do not contain at all. */
  async queryTerms(query: string, collections: string[]): Promise<QueryTerm[]> {
    const p = new SqlParams();
    const r = await this.db.reader().query<QueryTerm>(`WITH q AS (${queryLexemes(p.add(query))}) ${queryTermStats('q', p.add(collections))}`, p.values);
    return r.rows.map(toQueryTerm);
  }

  /**
   * After a bulk change: refreshes planner statistics and the visibility map (VACUUM), so
   * BM25 reads postings from the covering index alone, without visiting the table. Runs
   * without the query statement timeout (VACUUM cannot run in a transaction).
   */
  async refreshStatistics(): Promise<void> {
    await runMaintenance(this.db, (q) => q.query('VACUUM (ANALYZE) chunks, chunk_terms, term_stats'), { transaction: false });
  }

  /**
   * Runs an ingest's writes (`write`). A `large` one into a knowledge base with no postings
   * at all writes them into a bare table and sorts them into the two indexes once at the end
   * (migrations/010), also when it fails (the batches committed so far stay searchable as
   * usual; the run's own error is the one reported, a failed build is left to the next
   * ingest). Any other first builds the indexes if they are missing (an earlier ingest was
   * killed before it could).
   */
  async writing<T>(large: boolean, write: () => Promise<T>): Promise<T> {
    const deferred = large && (await this.deferIndexes());
    if (!deferred) await this.buildIndexes();
    let result: T;
    try {
      result = await write();
    } catch (err) {
      if (deferred) await this.buildIndexes().catch(() => undefined);
      throw err;
    }
    if (deferred) await this.buildIndexes();
    return result;
  }

  /** Drops the postings' indexes when no posting is stored at all; returns whether it did. */
  private async deferIndexes(): Promise<boolean> {
    if (!(await postingsEmpty(this.db))) return false;
    return runMaintenance(this.db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [POSTINGS_INDEX_LOCK]);
      // Writers and readers wait while this looks again and drops: no posting arrives in between.
      await tx.query('LOCK TABLE chunk_terms IN ACCESS EXCLUSIVE MODE');
      if (!(await postingsEmpty(tx))) return false;
      await tx.query('SELECT kb_postings_indexes(false)');
      return true;
    });
  }

  /**
   * Builds the postings' indexes where they are missing. Builds are serialised (two ingests
   * ending together build once). An ingest that runs while another's deferred first ingest
   * writes builds them early: that ingest then writes into indexed tables, slower but correct.
   */
  private async buildIndexes(): Promise<void> {
    if (!(await postingsIndexesMissing(this.db))) return;
    await runMaintenance(this.db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [POSTINGS_INDEX_LOCK]);
      if (await postingsIndexesMissing(tx)) await tx.query('SELECT kb_postings_indexes(true)');
    });
  }

  /** Whether a search reads the terms' heads (bm25Heads.ts) rather than the one-statement SQL (bm25Statement.ts). */
  private readsHeads(o: Bm25Options): boolean {
    return canReadHeads(o.postingsPerTerm ?? DEFAULT_POSTINGS_PER_TERM, o.filter !== undefined);
  }

  private overHeads(query: string, collections: string[], k: number, o: Bm25Options) {
    return bm25OverHeads(this.db.reader(), query, collections, k, this.params, { postingsPerTerm: o.postingsPerTerm ?? DEFAULT_POSTINGS_PER_TERM, feedback: o.feedback, rowsFor: o.rowsFor });
  }

  private statement(query: string, collections: string[], k: number, o: Bm25Options): [string, unknown[]] {
    return bm25Statement(query, collections, k, this.params, { postingsPerTerm: o.postingsPerTerm ?? DEFAULT_POSTINGS_PER_TERM, feedback: o.feedback, filter: o.filter });
  }
}
