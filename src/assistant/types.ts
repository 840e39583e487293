import type { Answer, Citation } from '../answer/types.ts';

/**
 * What adapters (Slack, Discord, CLI chat) talk to. The core owns this interface;
 * adapters receive an implementation and never touch SQL or Redis themselves.
 */
export interface ConversationKey {
  platform: 'slack' | 'discord' | 'cli';
  channel: string;
  /** Thread id (Slack thread_ts, Discord thread channel id, or a session id). */
  thread: string;
}

export interface AskRequest {
  question: string;
  /** Platform-qualified user id, used for the rate limit. */
  user: string;
  /** When set, earlier turns of this conversation are used and this turn is remembered. */
  conversation?: ConversationKey;
  /** Collections this channel may see (from the channel → collections map). */
  scope?: string[];
}

export interface FeedbackRecord {
  platform: 'slack' | 'discord';
  vote: 'up' | 'down';
  question: string;
  answer: string;
  citations: Pick<Citation, 'n' | 'title' | 'location' | 'url'>[];
  user: string;
  channel: string;
}

export interface Assistant {
  /** Throws KbError: input/*, rate/limited (userMessage says when to retry), db/unavailable. */
  answer(req: AskRequest): Promise<Answer>;
  recordFeedback(f: FeedbackRecord): Promise<void>;
  /** Exactly-once delivery: true the first time an event id is claimed (across processes). */
  claimEvent(eventId: string, ttlSeconds?: number): Promise<boolean>;
  /** Releases a claim when handling failed, so a redelivery is answered. */
  releaseEvent(eventId: string): Promise<void>;
}
