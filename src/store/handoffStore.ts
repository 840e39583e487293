import type { Handoff, HandoffRequest } from '../assistant/types.ts';
import type { Database } from '../db/database.ts';

interface HandoffRow {
  id: string;
  platform: 'slack' | 'discord';
  channel_id: string;
  thread_id: string | null;
  asker_id: string;
  question: string;
  citations: Handoff['citations'];
  responders: string[];
  status: 'open' | 'resolved';
  resolved_by: string | null;
}

const MAX_TEXT = 20_000;
const COLUMNS = 'id::text, platform, channel_id, thread_id, asker_id, question, citations, responders, status, resolved_by';

function toHandoff(r: HandoffRow): Handoff {
  return {
    id: r.id,
    platform: r.platform,
    channel: r.channel_id,
    thread: r.thread_id ?? undefined,
    asker: r.asker_id,
    question: r.question,
    citations: typeof r.citations === 'string' ? (JSON.parse(r.citations) as Handoff['citations']) : r.citations,
    responders: r.responders,
    status: r.status,
    resolvedBy: r.resolved_by ?? undefined,
  };
}

/** Hand-offs to human responders: opened by "I need a human", closed by "Resolved". */
export class HandoffStore {
  constructor(private readonly db: Database) {}

  async open(h: HandoffRequest): Promise<Handoff> {
    const r = await this.db.query<HandoffRow>(
      `INSERT INTO handoffs (platform, channel_id, thread_id, asker_id, question, citations, responders) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::text[]) RETURNING ${COLUMNS}`,
      [h.platform, h.channel, h.thread ?? null, h.asker, h.question.slice(0, MAX_TEXT), JSON.stringify(h.citations.slice(0, 50)), h.responders],
    );
    return toHandoff(r.rows[0]!);
  }

  async resolve(id: string, by: string): Promise<{ handoff: Handoff; changed: boolean } | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const updated = await this.db.query<HandoffRow>(
      `UPDATE handoffs SET status = 'resolved', resolved_by = $2, resolved_at = now() WHERE id = $1::bigint AND status = 'open' RETURNING ${COLUMNS}`,
      [id, by],
    );
    if (updated.rows[0]) return { handoff: toHandoff(updated.rows[0]), changed: true };
    const existing = await this.db.query<HandoffRow>(`SELECT ${COLUMNS} FROM handoffs WHERE id = $1::bigint`, [id]);
    return existing.rows[0] ? { handoff: toHandoff(existing.rows[0]), changed: false } : undefined;
  }
}
