import type { Database } from '../db/database.ts';
import type { InsightsFilter, InteractionRow, Outcome } from '../insights/types.ts';

const DELETE_BATCH = 10_000;

export interface GapCandidate {
  question: string;
  standalone_question: string;
  outcome: Outcome;
  confidence: number | null;
  created_at: Date;
}

export interface DownvotedRow {
  created_at: Date;
  platform: string;
  question: string;
  answer: string | null;
  sources: InteractionRow['sources'];
}

export interface SourceCount {
  title: string;
  location: string;
  url: string | null;
  n: number;
}

/** Counts and latency percentiles of one group of interactions (a day, or a platform). */
export interface RateRow {
  key: string;
  total: number;
  answered: number;
  refused: number;
  degraded: number;
  rate_limited: number;
  error: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

/** The shared WHERE of every admin query: $1 from, $2 to, $3 platform or null, $4 collection or null. */
const FILTER = 'created_at >= $1 AND created_at < $2 AND ($3::text IS NULL OR platform = $3) AND ($4::text IS NULL OR $4 = ANY(collections))';
const filterParams = (f: InsightsFilter) => [f.from.toISOString(), f.to.toISOString(), f.platform ?? null, f.collection ?? null];

const RATES = `count(*)::int AS total,
  count(*) FILTER (WHERE outcome = 'answered')::int AS answered,
  count(*) FILTER (WHERE outcome = 'refused')::int AS refused,
  count(*) FILTER (WHERE degraded)::int AS degraded,
  count(*) FILTER (WHERE outcome = 'rate_limited')::int AS rate_limited,
  count(*) FILTER (WHERE outcome = 'error')::int AS error,
  (percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE outcome IN ('answered', 'refused')))::float8 AS p50_ms,
  (percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE outcome IN ('answered', 'refused')))::float8 AS p95_ms`;

/** The interactions table: written in batches by the recorder, read by the admin page. */
export class InteractionStore {
  constructor(private readonly db: Database) {}

  async insert(rows: InteractionRow[]): Promise<void> {
    if (!rows.length) return;
    await this.db.query(
      `INSERT INTO interactions (created_at, platform, conversation_hash, user_hash, collections, question, standalone_question, outcome, confidence, answer, sources, latency_ms, cache_hit, degraded)
       SELECT created_at, platform, conversation_hash, user_hash, collections, question, standalone_question, outcome, confidence, answer, sources, latency_ms, cache_hit, degraded
       FROM jsonb_to_recordset($1::jsonb) AS r(created_at timestamptz, platform text, conversation_hash text, user_hash text, collections text[], question text,
         standalone_question text, outcome text, confidence real, answer text, sources jsonb, latency_ms real, cache_hit boolean, degraded boolean)`,
      [JSON.stringify(rows)],
    );
  }

  /** Deletes rows older than `days` in batches (so a first run after a long pause holds no long lock); returns how many. */
  async deleteOlderThan(days: number): Promise<number> {
    let total = 0;
    for (;;) {
      const r = await this.db.query(
        `DELETE FROM interactions WHERE id IN (SELECT id FROM interactions WHERE created_at < now() - make_interval(days => $1::int) LIMIT ${DELETE_BATCH})`,
        [days],
      );
      total += r.rowCount;
      if (r.rowCount < DELETE_BATCH) return total;
    }
  }

  /**
   * Marks the latest answer (or refusal) of the last week to this question on this platform,
   * preferring the voter's own; returns whether one was found.
   */
  async markFeedback(platform: string, userHash: string, question: string, vote: 'up' | 'down'): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE interactions SET feedback = $4 WHERE id = (
         SELECT id FROM interactions
         WHERE platform = $1 AND outcome IN ('answered', 'refused') AND created_at > now() - interval '7 days' AND (question = $3 OR standalone_question = $3)
         ORDER BY (user_hash = $2) DESC, created_at DESC LIMIT 1)`,
      [platform, userHash, question, vote],
    );
    return r.rowCount > 0;
  }

  /** Refused questions, and answers whose confidence was under `lowConfidence`, newest first. */
  async gapCandidates(f: InsightsFilter, lowConfidence: number, limit: number): Promise<GapCandidate[]> {
    const r = await this.db.query<GapCandidate>(
      `SELECT question, standalone_question, outcome, confidence, created_at FROM interactions
       WHERE ${FILTER} AND (outcome = 'refused' OR (outcome = 'answered' AND confidence < $5))
       ORDER BY created_at DESC LIMIT $6`,
      [...filterParams(f), lowConfidence, limit],
    );
    return r.rows;
  }

  async downvoted(f: InsightsFilter, limit: number): Promise<DownvotedRow[]> {
    const r = await this.db.query<DownvotedRow>(
      `SELECT created_at, platform, question, answer, sources FROM interactions WHERE ${FILTER} AND feedback = 'down' ORDER BY created_at DESC LIMIT $5`,
      [...filterParams(f), limit],
    );
    return r.rows;
  }

  async topSources(f: InsightsFilter, limit: number): Promise<SourceCount[]> {
    const r = await this.db.query<SourceCount>(
      `SELECT s->>'title' AS title, s->>'location' AS location, s->>'url' AS url, count(*)::int AS n
       FROM interactions, jsonb_array_elements(sources) AS s
       WHERE ${FILTER} AND outcome = 'answered'
       GROUP BY 1, 2, 3 ORDER BY n DESC, title LIMIT $5`,
      [...filterParams(f), limit],
    );
    return r.rows;
  }

  /** Rates and latency per UTC day (key YYYY-MM-DD), oldest first. */
  async perDay(f: InsightsFilter): Promise<RateRow[]> {
    const r = await this.db.query<RateRow>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS key, ${RATES} FROM interactions WHERE ${FILTER} GROUP BY 1 ORDER BY 1`,
      filterParams(f),
    );
    return r.rows;
  }

  async perPlatform(f: InsightsFilter): Promise<RateRow[]> {
    const r = await this.db.query<RateRow>(`SELECT platform AS key, ${RATES} FROM interactions WHERE ${FILTER} GROUP BY 1 ORDER BY 1`, filterParams(f));
    return r.rows;
  }

  /** The platforms and collections seen in the last `days`, for the filter menus. */
  async facets(days: number): Promise<{ platforms: string[]; collections: string[] }> {
    const since = 'created_at > now() - make_interval(days => $1::int)';
    const p = await this.db.query<{ v: string }>(`SELECT DISTINCT platform AS v FROM interactions WHERE ${since} ORDER BY 1`, [days]);
    const c = await this.db.query<{ v: string }>(`SELECT DISTINCT unnest(collections) AS v FROM interactions WHERE ${since} ORDER BY 1`, [days]);
    return { platforms: p.rows.map((x) => x.v), collections: c.rows.map((x) => x.v) };
  }
}
