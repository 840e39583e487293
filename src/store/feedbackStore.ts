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

const MAX_TEXT = 20_000;

export class FeedbackStore {
  constructor(private readonly db: Database) {}

  async record(f: FeedbackRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO feedback (platform, vote, question, answer, citations, user_id, channel_id) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)',
      [f.platform, f.vote, f.question.slice(0, MAX_TEXT), f.answer.slice(0, MAX_TEXT), JSON.stringify(f.citations.slice(0, 50)), f.user, f.channel],
    );
  }

  async recent(vote: 'up' | 'down', limit: number): Promise<FeedbackRow[]> {
    const r = await this.db.query<FeedbackRow>(
      'SELECT id::text, platform, vote, question, user_id, channel_id, created_at FROM feedback WHERE vote = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
      [vote, limit],
    );
    return r.rows;
  }
}
