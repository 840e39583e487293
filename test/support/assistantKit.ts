import { AnswerService, type AnswerDeps } from '../../src/answer/ask.ts';
import { ConversationalAssistant } from '../../src/assistant/assistant.ts';
import { AnswerCache } from '../../src/cache/answerCache.ts';
import { MemoryStore } from '../../src/cache/memoryStore.ts';
import { RateLimiter } from '../../src/cache/rateLimiter.ts';
import { ThreadMemory } from '../../src/cache/threadMemory.ts';
import type { Database } from '../../src/db/database.ts';
import { FeedbackStore } from '../../src/store/feedbackStore.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { openingChunks, sectionContext } from '../../src/store/sectionContext.ts';
import { silentLogger } from './databases.ts';

/**
 * The production answer path (ConversationalAssistant over AnswerService) on a test database,
 * with in-process caches: what createApp wires, minus configuration.
 */
export function testAssistant(db: Database, options: Pick<AnswerDeps, 'retrieverFor'> & Partial<AnswerDeps> & { defaultScope: string[] }): ConversationalAssistant {
  const kv = new MemoryStore();
  const answers = new AnswerService({
    minConfidence: 0.5,
    describeKnowledgeBase: async () => 'The knowledge base covers a few notes.',
    chunkContext: (ids) => sectionContext(db, ids),
    openingChunks: (ids) => openingChunks(db, ids),
    logger: silentLogger,
    ...options,
  });
  return new ConversationalAssistant({
    answers,
    store: new KnowledgeStore(db),
    feedback: new FeedbackStore(db),
    answerCache: new AnswerCache(kv),
    memory: new ThreadMemory(kv, { maxTurns: 6, maxCharsPerTurn: 2000, ttlSeconds: 3600 }),
    rateLimiter: new RateLimiter(kv, { perMinute: 600, burst: 100 }),
    kv,
    defaultScope: options.defaultScope,
    maxQuestionChars: 2000,
    answerTtlSeconds: 3600,
    answerLockTtlMs: 10_000,
    cacheIdentity: 'test',
    logger: silentLogger,
  });
}
