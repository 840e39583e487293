import type { FeedbackRecord } from '../assistant/types.ts';
import type { Database } from '../db/database.ts';

export interface FeedbackRow {
  id: string;
  platform: string;
  vote: string;
  question: string;
  user_id: string;
  channel_id: string;
  created_at: Date;
}

export interface FeedbackSummary {
  perDay: Array<{ day: string; up: number; down: number }>;
  /** Sources cited by the answers that got a vote, most 👎 first. */
  perSource: Array<{ title: string; location: string; up: number; down: number }>;
}

const MAX_TEXT = 20_000;
const MAX_ID = 200;

export class FeedbackStore {
  constructor(private readonly db: Database) {}

  /** One vote per user per answer (migrations/007): voting again on the same answer replaces the vote. */
  async record(f: FeedbackRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO feedback (platform, vote, answer_id, question, answer, citations, user_id, channel_id) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
       ON CONFLICT (platform, answer_id, user_id) DO UPDATE SET vote = EXCLUDED.vote, channel_id = EXCLUDED.channel_id, created_at = now()`,
      [f.platform, f.vote, f.answerId.slice(0, MAX_ID), f.question.slice(0, MAX_TEXT), f.answer.slice(0, MAX_TEXT), JSON.stringify(f.citations.slice(0, 50)), f.user, f.channel],
    );
  }

  async recent(vote: 'up' | 'down', limit: number): Promise<FeedbackRow[]> {
    const r = await this.db.query<FeedbackRow>(
      'SELECT id::text, platform, vote, question, user_id, channel_id, created_at FROM feedback WHERE vote = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
      [vote, limit],
    );
    return r.rows;
  }

  /** Votes of the last `days` per UTC day (newest first) and per cited source. */
  async summary(days: number, sources = 20): Promise<FeedbackSummary> {
    const since = 'created_at > now() - make_interval(days => $1::int)';
    const perDay = await this.db.query<FeedbackSummary['perDay'][number]>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) FILTER (WHERE vote = 'up')::int AS up, count(*) FILTER (WHERE vote = 'down')::int AS down
       FROM feedback WHERE ${since} GROUP BY 1 ORDER BY 1 DESC`,
      [days],
    );
    const perSource = await this.db.query<FeedbackSummary['perSource'][number]>(
      `SELECT c->>'title' AS title, coalesce(c->>'location', '') AS location, count(*) FILTER (WHERE vote = 'up')::int AS up, count(*) FILTER (WHERE vote = 'down')::int AS down
       FROM feedback, jsonb_array_elements(citations) AS c WHERE ${since}
       GROUP BY 1, 2 ORDER BY down DESC, up DESC, title LIMIT $2`,
      [days, sources],
    );
    return { perDay: perDay.rows, perSource: perSource.rows };
  }
}
