import type { AskRequest } from '../assistant/types.ts';
import type { Answer } from '../answer/types.ts';

/** How one question ended, as recorded and as counted by /metrics. */
export type Outcome = 'answered' | 'refused' | 'rate_limited' | 'error';

/** One finished question: what the assistant was asked, what it answered, how long it took. */
export interface InteractionEvent {
  request: AskRequest;
  /** Undefined when the question failed (rate limit, database down, bad input). */
  answer?: Answer;
  outcome: Outcome;
  latencyMs: number;
  at: Date;
}

/**
 * Where finished questions go (the interactions table, through a buffer). The core calls
 * `record` after every answer and never waits for it: an implementation must return at once
 * and must not throw.
 */
export interface InteractionRecorder {
  record(event: InteractionEvent): void;
  /** A 👍/👎 on an answer: marks the interaction it was given to (best effort). */
  recordFeedback(f: { platform: string; user: string; question: string; vote: 'up' | 'down' }): void;
  /** Writes what is still buffered (bounded wait), then stops the retention timer. */
  close(): Promise<void>;
}

/** The row the store writes; ids are already hashed. */
export interface InteractionRow {
  created_at: string;
  platform: string;
  conversation_hash: string | null;
  user_hash: string;
  collections: string[];
  question: string;
  standalone_question: string;
  outcome: Outcome;
  confidence: number | null;
  answer: string | null;
  sources: Array<{ title: string; collection: string; source: string; location: string; url?: string }>;
  latency_ms: number;
  cache_hit: boolean;
  degraded: boolean;
}

/** What the admin page is asked for: a period and optional platform / collection. */
export interface InsightsFilter {
  from: Date;
  to: Date;
  platform?: string;
  collection?: string;
}
