import type { Answer, Citation, DraftListener } from '../answer/types.ts';
import type { MetadataFilter } from '../store/metadata.ts';

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
  /**
   * Collections this conversation may see (from the channel scope map, channelScope.ts).
   * Undefined: the default collection. `[]`: none; answer() throws scope/unassigned without
   * searching, caching or remembering anything.
   */
  scope?: string[];
  /**
   * `kb eval --answers`: the answer is computed afresh (the answer cache is neither read nor
   * written) and the per-user rate limit does not apply. Adapters never set it.
   */
  evaluation?: boolean;
  /** Only documents whose metadata contains every pair (`--filter`, a channel's scope filter). */
  filter?: MetadataFilter;
  /**
   * Streaming: called with the answer so far while the language model writes it. Never called
   * for a cached, refused or extractive answer; what `answer()` returns is the final version.
   */
  onDraft?: DraftListener;
  /**
   * Set by an adapter that called `admit()` for this question before showing anything for it:
   * the rate limit was applied there and is not applied again.
   */
  admitted?: boolean;
}

/** What admission looks at: the question, who asks, and (when the adapter knows it already) the scope. */
export type Admission = Pick<AskRequest, 'question' | 'user' | 'scope'>;

export interface FeedbackRecord {
  platform: 'slack' | 'discord';
  vote: 'up' | 'down';
  /**
   * The answer voted on: the answer record's id its buttons carry, or, for a button without
   * one, the answer message's own id. One vote per user per answer: a later one replaces it.
   */
  answerId: string;
  question: string;
  answer: string;
  citations: Pick<Citation, 'n' | 'title' | 'location' | 'url'>[];
  user: string;
  channel: string;
}

export interface Assistant {
  /**
   * The checks an adapter runs before any visible side effect (a placeholder, a thread, a
   * status): the conversation's scope, the question's size, the bot's capacity and the user's
   * rate limit, whose token it takes. Throws KbError scope/unassigned, input/*, service/busy,
   * rate/limited (or service/draining); then the
   * adapter shows that error's message and nothing else. An `answer()` with `admitted: true`
   * follows.
   */
  admit(req: Admission): Promise<void>;
  /** Throws KbError: scope/unassigned, input/*, rate/limited (userMessage says when to retry), service/busy, db/unavailable. */
  answer(req: AskRequest): Promise<Answer>;
  recordFeedback(f: FeedbackRecord): Promise<void>;
  /** Exactly-once delivery: true the first time an event id is claimed (across processes). */
  claimEvent(eventId: string, ttlSeconds?: number): Promise<boolean>;
  /** Releases a claim when handling failed, so a redelivery is answered. */
  releaseEvent(eventId: string): Promise<void>;
}

/**
 * What the buttons under an answer need (Share, I need a human, Why these sources, a
 * follow-up's context): kept by the core, so a button carries only the id `keep` returns and
 * any process can act on it.
 */
export interface AnswerRecord {
  platform: 'slack' | 'discord';
  /** The question as the user asked it. */
  question: string;
  answer: Answer;
  /** Raw platform id of the asker: only they may share the answer or ask for a human. */
  asker: string;
  channel: string;
  scope?: string[];
  conversation?: ConversationKey;
}

/** One retrieved source with its ranks, as `kb ask --explain` prints them. */
export interface SourceRanks {
  /** The answer's citation number when the answer cites this source. */
  n?: number;
  title: string;
  location: string;
  url?: string;
  bm25Rank?: number;
  vectorRank?: number;
  fusedScore: number;
}

export interface Explanation {
  confidence: number;
  sources: SourceRanks[];
}

export interface HandoffRequest {
  platform: 'slack' | 'discord';
  channel: string;
  /** Where the hand-off message is posted (Slack thread_ts, Discord thread or message id). */
  thread?: string;
  asker: string;
  question: string;
  citations: FeedbackRecord['citations'];
  /** Who was pinged: platform ids of users, groups or roles. */
  responders: string[];
}

export interface Handoff extends HandoffRequest {
  id: string;
  status: 'open' | 'resolved';
  resolvedBy?: string;
}

export interface SuggestedPrompt {
  title: string;
  message: string;
}

/** The core side of the buttons under an answer and of Slack's assistant pane. */
export interface AnswerActions {
  /** Keeps a record for the answer's buttons; returns its id (at most 24 characters). */
  keep(record: AnswerRecord): Promise<string>;
  /** Undefined once it has expired (buttons then say to ask again). */
  recall(id: string): Promise<AnswerRecord | undefined>;
  /** Each retrieved source's BM25 rank, vector rank and fused score for the answer's question. */
  explain(record: AnswerRecord): Promise<Explanation>;
  /** Records a hand-off to humans (throws db/unavailable when it cannot). */
  openHandoff(req: HandoffRequest): Promise<Handoff>;
  /** Closes a hand-off; `changed` is false when it was already resolved. Undefined when unknown. */
  resolveHandoff(id: string, by: string): Promise<{ handoff: Handoff; changed: boolean } | undefined>;
  /** Questions drawn from the knowledge base's largest topics, for a new conversation. */
  suggestedPrompts(scope?: string[], max?: number): Promise<SuggestedPrompt[]>;
}
