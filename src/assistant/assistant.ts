import type { AnswerService } from '../answer/ask.ts';
import { validateQuestion } from '../answer/ask.ts';
import type { Answer } from '../answer/types.ts';
import type { AnswerCache, CurrentHashes } from '../cache/answerCache.ts';
import type { KeyValueStore } from '../cache/keyValueStore.ts';
import { MemoryStore } from '../cache/memoryStore.ts';
import { singleFlight } from '../cache/singleFlight.ts';
import { enforceRateLimit, type RateLimiter } from '../cache/rateLimiter.ts';
import type { ThreadMemory } from '../cache/threadMemory.ts';
import { KbError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { FeedbackStore } from '../store/feedbackStore.ts';
import type { AnswerSlots } from './answerSlots.ts';
import type { Admission, AskRequest, Assistant, FeedbackRecord } from './types.ts';

export interface AssistantDeps {
  answers: AnswerService;
  /** The stored documents' content hashes, which tell whether a cached answer's sources changed (DocumentStore). */
  store: { currentHashes: CurrentHashes };
  feedback: FeedbackStore;
  answerCache: AnswerCache;
  memory: ThreadMemory;
  rateLimiter: RateLimiter;
  kv: KeyValueStore;
  defaultScope: string[];
  maxQuestionChars: number;
  answerTtlSeconds: number;
  /** Upper bound on computing one answer: how long others wait for it before computing themselves. */
  answerLockTtlMs: number;
  /** Digest of every setting that changes an answer (answerSettings.ts): part of every answer-cache key. */
  cacheIdentity: string;
  /** The cap on answers worked on at once (MAX_CONCURRENT_ANSWERS); none: no cap. */
  slots?: AnswerSlots;
  logger: Logger;
}

/**
 * The core's conversation layer: admission (the question's size, the bot's capacity, the
 * user's rate limit), thread memory, follow-up rewriting, the answer cache (served only while
 * every cited document is unchanged), and feedback.
 */
export class ConversationalAssistant implements Assistant {
  /**
   * Claims are also kept in process: when Redis is down the shared claim fails open, and
   * this still stops a redelivery to the same process from being answered twice.
   */
  private readonly localClaims = new MemoryStore({ prefix: 'claims:', maxEntries: 50_000 });

  constructor(private readonly d: AssistantDeps) {}

  async admit(req: Admission): Promise<void> {
    if (req.scope?.length === 0) throw new KbError('scope/unassigned');
    validateQuestion(req.question, this.d.maxQuestionChars);
    // Before the rate limit, so a question turned away for capacity costs the user no token.
    if (this.d.slots?.full) throw new KbError('service/busy');
    await enforceRateLimit(this.d.rateLimiter, req.user);
  }

  async answer(req: AskRequest): Promise<Answer> {
    // Before anything is read or written: a conversation with no collection searches nothing.
    if (req.scope?.length === 0) throw new KbError('scope/unassigned');
    const question = validateQuestion(req.question, this.d.maxQuestionChars);
    if (!req.evaluation && !req.admitted) await enforceRateLimit(this.d.rateLimiter, req.user);
    return this.d.slots ? this.d.slots.run(() => this.answerAdmitted(req, question)) : this.answerAdmitted(req, question);
  }

  /** The answer to a question that passed admission, with a slot when there is a cap. */
  private async answerAdmitted(req: AskRequest, question: string): Promise<Answer> {
    const scope = req.scope ? [...req.scope].sort() : this.d.defaultScope;
    const history = req.conversation ? await this.d.memory.history(req.conversation) : [];
    const standalone = await this.d.answers.standalone(question, history);
    const followUp = standalone !== question;
    const key = this.d.answerCache.key({ question: standalone, scope, filter: req.filter, followUp, identity: this.d.cacheIdentity });
    const cached = () => this.d.answerCache.get(key, (docs) => this.d.store.currentHashes(docs));
    let answer = req.evaluation ? undefined : await cached();
    if (answer) {
      answer = { ...answer, cached: true };
    } else {
      const compute = async () => {
        const fresh = await this.d.answers.compose(standalone, await this.d.answers.retrieve(standalone, scope, followUp, req.filter), scope, followUp, req.onDraft);
        if (!fresh.note && !req.evaluation) await this.d.answerCache.set(key, fresh, this.d.answerTtlSeconds);
        return fresh;
      };
      // The same question asked at once in several processes is answered once; the others read the
      // cache. An evaluation computes every answer itself.
      answer = req.evaluation ? await compute() : await singleFlight(this.d.kv, key, { read: cached, compute }, { lockTtlMs: this.d.answerLockTtlMs });
    }
    if (req.conversation) await this.d.memory.append(req.conversation, { question: standalone, answer: answer.text });
    return answer;
  }

  recordFeedback(f: FeedbackRecord): Promise<void> {
    return this.d.feedback.record(f);
  }

  async claimEvent(eventId: string, ttlSeconds = 3600): Promise<boolean> {
    const key = `event:${eventId}`;
    if (!(await this.localClaims.setIfAbsent(key, '1', ttlSeconds))) return false;
    return this.d.kv.setIfAbsent(key, '1', ttlSeconds);
  }

  async releaseEvent(eventId: string): Promise<void> {
    const key = `event:${eventId}`;
    await Promise.all([this.localClaims.del([key]), this.d.kv.del([key])]);
  }
}
