import { describe, expect, it } from 'vitest';
import { answerCacheIdentity, answerPathDigest, answerSettings } from '../../../src/answerSettings.ts';
import { loadConfig } from '../../../src/config.ts';
import { AnswerCache } from '../../../src/cache/answerCache.ts';
import { MemoryStore } from '../../../src/cache/memoryStore.ts';

const space = { model: 'local-test', dimension: 256 };
const identity = (env: Record<string, string> = {}, s = space) => answerCacheIdentity(answerSettings(loadConfig({ KB_DATA_DIR: '/tmp/kb-identity', ...env }), s), 'code');
const cache = new AnswerCache(new MemoryStore());
const keyFor = (id: string) => cache.key({ question: 'How do I create a partial index?', scope: ['default'], identity: id });

describe('answer-cache identity derived from configuration', () => {
  it('is the same for the same configuration', () => {
    expect(identity({ MIN_CONFIDENCE: '0.5' })).toBe(identity({ MIN_CONFIDENCE: '0.5' }));
  });

  it('changes the cache key when MIN_CONFIDENCE changes', () => {
    expect(keyFor(identity({ MIN_CONFIDENCE: '0.4' }))).not.toBe(keyFor(identity({ MIN_CONFIDENCE: '0.56' })));
  });

  it('changes with every setting that changes an answer', () => {
    const base = identity();
    const changed = [
      identity({ RRF_K: '30' }),
      identity({ RRF_WEIGHT_BM25: '0.5' }),
      identity({ RRF_WEIGHT_VECTOR: '1.2' }),
      identity({ BM25_POSTINGS_PER_TERM: '500' }),
      identity({ CHUNK_OVERLAP_CHARS: '150' }),
      identity({ HNSW_EF_SEARCH: '100' }),
      identity({ OPENAI_API_KEY: 'sk-test', EMBEDDINGS: 'local', LLM_MODEL: 'gpt-4o-mini' }),
      identity({}, { model: 'other-model', dimension: 256 }),
    ];
    for (const c of changed) expect(c).not.toBe(base);
    expect(answerCacheIdentity(answerSettings(loadConfig({ KB_DATA_DIR: '/tmp/kb-identity' }), space), 'other code')).not.toBe(base);
  });

  it('ignores settings that do not change an answer', () => {
    expect(identity({ PORT: '4000', RATE_LIMIT_PER_MINUTE: '99', LOG_LEVEL: 'debug' })).toBe(identity());
  });

  it('records the retrieval settings the retriever is built with, feedback and BM25 parameters included', () => {
    const s = answerSettings(loadConfig({ KB_DATA_DIR: '/tmp/kb-identity', BM25_POSTINGS_PER_TERM: '777' }), space);
    expect(s.retrieval.postingsPerTerm).toBe(777);
    expect(s.retrieval).toMatchObject({ feedbackTerms: expect.any(Number), feedbackDocs: expect.any(Number), feedbackWeight: expect.any(Number) });
    expect(s.prompts.answer).toMatch(/\w/);
    expect(answerPathDigest()).toMatch(/^[0-9a-f]{64}$/);
  });
});
