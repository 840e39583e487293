import { AnswerService } from '../../src/answer/ask.ts';
import { ConversationalAssistant, type AssistantDeps } from '../../src/assistant/assistant.ts';
import { AnswerCache } from '../../src/cache/answerCache.ts';
import { MemoryStore } from '../../src/cache/memoryStore.ts';
import { RateLimiter } from '../../src/cache/rateLimiter.ts';
import { ThreadMemory } from '../../src/cache/threadMemory.ts';
import { createLogger } from '../../src/logger.ts';
import type { HybridRetriever, Retrieval, RetrievedChunk } from '../../src/retrieval/hybridRetriever.ts';
import type { FeedbackStore } from '../../src/store/feedbackStore.ts';
import type { KnowledgeStore } from '../../src/store/knowledgeStore.ts';

export const MIN_CONFIDENCE = 0.56;

export function fakeChunk(id: string, content: string, collection = 'default'): RetrievedChunk {
  return {
    chunk: { id, document_id: id, collection, source: `${id}.md`, title: `Doc ${id}`, url: null, heading: 'H', anchor: 'a', content, content_hash: `hash-${id}` },
    fusedScore: 1,
  };
}

export interface FakeCore {
  assistant: ConversationalAssistant;
  /** Every retrieval the core ran: the question and the collections searched. */
  retrievals: Array<{ question: string; scope: string[] }>;
  kv: MemoryStore;
}

/**
 * The real ConversationalAssistant and AnswerService (extractive answers, in-process
 * caches) over a retriever that returns `retrieval(question, scope)`: the evidence is
 * whatever a test needs it to be.
 */
export function fakeCore(retrieval: (question: string, scope: string[]) => Omit<Retrieval, 'queryTerms'>, overrides: Partial<AssistantDeps> = {}): FakeCore {
  const logger = createLogger({ level: 'silent' });
  const kv = new MemoryStore({ prefix: `fake-core-${Math.random()}:` });
  const retrievals: FakeCore['retrievals'] = [];
  const answers = new AnswerService({
    retrieverFor: (scope) => ({ retrieve: async (question: string) => (retrievals.push({ question, scope }), { queryTerms: [], ...retrieval(question, scope) }) }) as unknown as HybridRetriever,
    minConfidence: MIN_CONFIDENCE,
    describeKnowledgeBase: async () => 'It covers the test documents.',
    logger,
  });
  const store = {
    currentHashes: async (docs: Array<{ collection: string; source: string }>) => new Map(docs.map((d) => [`${d.collection}/${d.source}`, `hash-${d.source.replace(/\.md$/, '')}`])),
  } as unknown as KnowledgeStore;
  const assistant = new ConversationalAssistant({
    answers,
    store,
    feedback: {} as FeedbackStore,
    answerCache: new AnswerCache(kv),
    memory: new ThreadMemory(kv, { maxTurns: 6, maxCharsPerTurn: 2000, ttlSeconds: 3600 }),
    rateLimiter: new RateLimiter(kv, { perMinute: 600, burst: 100 }),
    kv,
    defaultScope: ['default'],
    maxQuestionChars: 2000,
    answerTtlSeconds: 3600,
    answerLockTtlMs: 30_000,
    cacheIdentity: 'test',
    logger,
    ...overrides,
  });
  return { assistant, retrievals, kv };
}
