import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';
import { ANSWER_CHUNKS, MODEL_SOURCES } from './answer/ask.ts';
import { condensePromptVersion } from './answer/condense.ts';
import { EXTRACTIVE_CHUNKS } from './answer/extractive.ts';
import { answerPromptVersion } from './answer/generate.ts';
import { FOLLOW_UP_CONFIDENCE_FACTOR } from './retrieval/evidence.ts';
import { defaultRetrievalSettings, type RetrievalSettings } from './retrieval/hybridRetriever.ts';
import { defaultBm25, type Bm25Params } from './store/postings.ts';
import type { EmbeddingSpace } from './store/vectorIndex.ts';

/**
 * Every setting that changes an answer, derived from the configuration in one place: the
 * composition root (app.ts) builds the retriever and the answerer from these values, and the
 * answer cache's identity is a digest of the same object, so a setting cannot change answers
 * without also changing their cache keys.
 */
export interface AnswerSettings {
  retrieval: RetrievalSettings;
  /** BM25F's k1, b and heading weight: the lexical index scores with them and computes its stored impacts with them. */
  bm25: Bm25Params;
  /** MIN_CONFIDENCE, and the share of it a follow-up needs (retrieval/evidence.ts). */
  minConfidence: number;
  followUpConfidenceFactor: number;
  /** Chunks retrieved for an answer, given to the model, and read by the extractive answerer. */
  answerChunks: number;
  modelSources: number;
  extractiveChunks: number;
  /** LLM_MODEL, or 'extractive' when no model is configured. */
  answerer: string;
  /** LLM_MAX_TOKENS (a shorter budget cuts answers short); undefined without a model. */
  answerMaxTokens?: number;
  /** The query embeddings' model and dimension, as the store records them. */
  embeddings: EmbeddingSpace;
  prompts: { answer: string; condense: string };
  chunking: Config['chunking'];
  vectorIndex: Config['vectorIndex'];
  vectorSearch: Config['vectorSearch'];
}

/** `space`: the configured embedding model (createEmbeddings), which the store records. */
export function answerSettings(config: Config, space: EmbeddingSpace): AnswerSettings {
  return {
    retrieval: {
      ...defaultRetrievalSettings,
      rrfK: config.retrieval.rrfK,
      weightBm25: config.retrieval.weightBm25,
      weightVector: config.retrieval.weightVector,
      postingsPerTerm: config.retrieval.postingsPerTerm,
    },
    bm25: defaultBm25,
    minConfidence: config.retrieval.minConfidence,
    followUpConfidenceFactor: FOLLOW_UP_CONFIDENCE_FACTOR,
    answerChunks: ANSWER_CHUNKS,
    modelSources: MODEL_SOURCES,
    extractiveChunks: EXTRACTIVE_CHUNKS,
    answerer: config.llm?.model ?? 'extractive',
    answerMaxTokens: config.llm?.maxTokens,
    embeddings: { model: space.model, dimension: space.dimension },
    prompts: { answer: answerPromptVersion, condense: condensePromptVersion },
    chunking: config.chunking,
    vectorIndex: config.vectorIndex,
    vectorSearch: config.vectorSearch,
  };
}

/**
 * The answer cache's identity: a digest of the answer settings and of the code that turns
 * them into an answer (the modules of the answer path, as this process runs them), so
 * neither a setting nor a deployed change to answering serves answers computed the old way.
 */
export function answerCacheIdentity(settings: AnswerSettings, code: string = answerPathDigest()): string {
  return createHash('sha256').update(JSON.stringify(settings)).update('\0').update(code).digest('hex').slice(0, 32);
}

/** The folders beside this module whose code decides an answer. */
const ANSWER_PATH = ['answer', 'retrieval', 'store'];

let codeDigest: string | undefined;

/** A digest of the answer path's modules (src/*.ts, or dist/src/*.js when compiled), read once per process. */
export function answerPathDigest(): string {
  if (codeDigest !== undefined) return codeDigest;
  const hash = createHash('sha256');
  for (const folder of ANSWER_PATH) {
    const dir = path.join(import.meta.dirname, folder);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f)).sort() : [];
    for (const f of files) hash.update(`${folder}/${f}\0`).update(fs.readFileSync(path.join(dir, f)));
  }
  return (codeDigest = hash.digest('hex'));
}
