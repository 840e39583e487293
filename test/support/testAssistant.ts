import { AnswerService, type AnswerDeps } from '../../src/answer/ask.ts';
import { ConversationalAssistant, type AssistantDeps } from '../../src/assistant/assistant.ts';
import { AnswerCache } from '../../src/cache/answerCache.ts';
import { MemoryStore } from '../../src/cache/memoryStore.ts';
import { RateLimiter } from '../../src/cache/rateLimiter.ts';
import { ThreadMemory } from '../../src/cache/threadMemory.ts';
import type { Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import type { HybridRetriever, Retrieval, RetrievedChunk } from '../../src/retrieval/hybridRetriever.ts';
import { FeedbackStore } from '../../src/store/feedbackStore.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { openingChunks, sectionContext } from '../../src/store/sectionContext.ts';

/** The refusal threshold of every test assistant. */
export const MIN_CONFIDENCE = 0.56;

export function fakeChunk(id: string, content: string, collection = 'default'): RetrievedChunk {
  return {
    chunk: { id, document_id: id, collection, source: `${id}.md`, title: `Doc ${id}`, url: null, heading: 'H', anchor: 'a', content, content_hash: `hash-${id}` },
    fusedScore: 1,
  };
}

type Evidence =
  /** Retrieval and documents from a migrated test database. */
  | { db: Database; retrieverFor: AnswerDeps['retrieverFor'] }
  /** Whatever a unit test needs the evidence to be; every fakeChunk's document is unchanged. */
  | { retrieval: (question: string, scope: string[]) => Omit<Retrieval, 'queryTerms'> };

export type TestAssistantOptions = Evidence & {
  defaultScope?: string[];
  answers?: Partial<AnswerDeps>;
  assistant?: Partial<AssistantDeps>;
};

export interface TestAssistant {
  assistant: ConversationalAssistant;
  /** Every retrieval a `retrieval` function was asked for: the question and the collections searched. */
  retrievals: Array<{ question: string; scope: string[] }>;
  kv: MemoryStore;
}

/**
 * The production answer path (ConversationalAssistant over AnswerService, extractive
 * answers, in-process caches): what createApp wires, minus configuration. The evidence
 * comes either from a test database (`db` and `retrieverFor`) or, for unit tests, from a
 * function of the question (`retrieval`), with no database at all. For tests of what sits in
 * front of the core (adapters, delivery), which need no answer path, see FakeAssistant
 * (fakeAssistant.ts).
 */
export function testAssistant(options: TestAssistantOptions): TestAssistant {
  const logger = createLogger({ level: 'silent' });
  const kv = new MemoryStore();
  const retrievals: TestAssistant['retrievals'] = [];
  const fromDatabase = 'db' in options;
  const fake = !fromDatabase ? options.retrieval : undefined;
  const answers = new AnswerService({
    retrieverFor: fromDatabase
      ? options.retrieverFor
      : (scope) => ({ retrieve: async (question: string) => (retrievals.push({ question, scope }), { queryTerms: [], ...fake!(question, scope) }) }) as unknown as HybridRetriever,
    minConfidence: MIN_CONFIDENCE,
    describeKnowledgeBase: async () => 'It covers the test documents.',
    ...(fromDatabase ? { chunkContext: (ids: string[]) => sectionContext(options.db, ids), openingChunks: (ids: string[]) => openingChunks(options.db, ids) } : {}),
    logger,
    ...options.answers,
  });
  const store = fromDatabase
    ? new KnowledgeStore(options.db).documents
    : { currentHashes: async (docs: Array<{ collection: string; source: string }>) => new Map(docs.map((d) => [`${d.collection}/${d.source}`, `hash-${d.source.replace(/\.md$/, '')}`])) };
  const assistant = new ConversationalAssistant({
    answers,
    store,
    feedback: fromDatabase ? new FeedbackStore(options.db) : ({} as FeedbackStore),
    answerCache: new AnswerCache(kv),
    memory: new ThreadMemory(kv, { maxTurns: 6, maxCharsPerTurn: 2000, ttlSeconds: 3600 }),
    rateLimiter: new RateLimiter(kv, { perMinute: 600, burst: 100 }),
    kv,
    defaultScope: options.defaultScope ?? ['default'],
    maxQuestionChars: 2000,
    answerTtlSeconds: 3600,
    answerLockTtlMs: 30_000,
    cacheIdentity: 'test',
    logger,
    ...options.assistant,
  });
  return { assistant, retrievals, kv };
}
