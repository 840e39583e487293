import path from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Config } from './config.ts';
import { runMaintenance, type Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { createEmbeddings } from './embeddings/createEmbeddings.ts';
import { KbError, isConnectionError } from './errors.ts';
import { ingest, REMOTE_EMBED_AHEAD, type IngestDeps, type IngestRequest, type IngestSummary } from './ingest/ingest.ts';
import type { SiteIngestRequest } from './ingest/web/siteIngest.ts';
import type { Logger } from './logger.ts';
import { HybridRetriever, type RetrievalMode, type RetrievalRecipe } from './retrieval/hybridRetriever.ts';
import { readEmbeddingSpace, upgradeVectorIndex, vectorPrecision, type EmbeddingSpace } from './store/vectorIndex.ts';
import { KnowledgeStore } from './store/knowledgeStore.ts';
import { AnswerService } from './answer/ask.ts';
import { checkedFilter, type MetadataFilter } from './store/metadata.ts';
import { reembed } from './ingest/reembed.ts';
import { createKeyValueStore } from './cache/createCache.ts';
import type { KeyValueStore } from './cache/keyValueStore.ts';
import { EmbeddingCache } from './cache/embeddingCache.ts';
import { AnswerCache } from './cache/answerCache.ts';
import { ThreadMemory } from './cache/threadMemory.ts';
import { RateLimiter } from './cache/rateLimiter.ts';
import { ConversationalAssistant } from './assistant/assistant.ts';
import { AnswerSlots, answerSlotOptions } from './assistant/answerSlots.ts';
import type { AnswerActions, Assistant } from './assistant/types.ts';
import { KbAnswerActions } from './assistant/answerActions.ts';
import { HandoffStore } from './store/handoffStore.ts';
import { FeedbackStore } from './store/feedbackStore.ts';
import { openingChunks, sectionContext } from './store/sectionContext.ts';
import { answerCacheIdentity, answerSettings } from './answerSettings.ts';
import { Metrics } from './insights/metrics.ts';
import { meteredFetch } from './insights/llmMetering.ts';
import { BufferedInteractionRecorder } from './insights/recorder.ts';
import { RecordingAssistant } from './insights/recordingAssistant.ts';
import { InsightsService } from './insights/insights.ts';
import { InteractionStore } from './store/interactionStore.ts';
import { interactionsHashKey } from './insights/hashKey.ts';

export interface App {
  config: Config;
  db: Database;
  store: KnowledgeStore;
  embeddings: EmbeddingsInterface;
  space: EmbeddingSpace;
  answers: AnswerService;
  assistant: Assistant;
  /** What the buttons under an answer do (share, hand-off, why these sources), and suggested prompts. */
  actions: AnswerActions;
  feedback: FeedbackStore;
  kv: KeyValueStore;
  memory: ThreadMemory;
  logger: Logger;
  /** Prometheus metrics of this process (served on /metrics by kb serve). */
  metrics: Metrics;
  /** Buffered writes to the interactions table; undefined with INTERACTIONS_RECORDING=off. */
  recorder?: BufferedInteractionRecorder;
  /** The admin page's figures. */
  insights: InsightsService;
  /** A retriever over the collections, with an optional metadata filter (keys from METADATA_FILTER_KEYS). */
  retriever(collections: string[], mode?: RetrievalMode | RetrievalRecipe, k?: number, filter?: MetadataFilter): HybridRetriever;
  ingest(req: IngestRequest): Promise<IngestSummary>;
  /** Ingests the pages of a web site (`kb ingest <URL>`), crawled as WEB_* configure. */
  ingestSite(req: SiteIngestRequest): Promise<IngestSummary>;
  reembed(): Promise<number>;
  ensureSampleKnowledgeBase(): Promise<IngestSummary | undefined>;
  close(): Promise<void>;
}

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  // Each driver is loaded only when it is the one configured (PGlite's WebAssembly is large).
  if (!config.databaseUrl) return (await import('./db/pgliteDatabase.ts')).PgliteDatabase.open(path.join(config.dataDir, 'pgdata'), { efSearch: config.vectorSearch.efSearch, probes: config.vectorSearch.probes });
  const { PgDatabase } = await import('./db/pgDatabase.ts');
  const db = new PgDatabase({ url: config.databaseUrl, readUrl: config.databaseReadUrl, poolSize: config.databasePoolSize, statementTimeoutMs: config.statementTimeoutMs, efSearch: config.vectorSearch.efSearch, probes: config.vectorSearch.probes, logger });
  try {
    await db.query('SELECT 1');
  } catch (err) {
    await db.close().catch(() => undefined);
    const cause = err instanceof KbError ? (err.cause as Error | undefined) : (err as Error);
    if (err instanceof KbError || isConnectionError(err)) {
      throw new KbError('db/unavailable', `Cannot reach PostgreSQL at ${safeHost(config.databaseUrl)} (DATABASE_URL): ${cause?.message ?? 'no answer'}`, { cause: err });
    }
    throw err;
  }
  return db;
}

function safeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured address';
  }
}

/** The composition root: turns config into concrete parts and wires them together. */
export async function createApp(config: Config, logger: Logger): Promise<App> {
  const db = await openDatabase(config, logger);
  const kv = await createKeyValueStore({ url: config.redis.url, clusterNodes: config.redis.clusterNodes, commandTimeoutMs: config.redis.commandTimeoutMs, logger, prefix: 'kb:v1:' });
  try {
    await migrate(db);
    const provider = await createEmbeddings(config);
    const space = provider.space;
    const settings = answerSettings(config, space);
    const store = new KnowledgeStore(db, { search: config.vectorSearch, bm25: settings.bm25 });
    // Changed BM25 parameters recompute the stored impacts now, before anything reads or writes them.
    if (await store.lexical.ensureParameters()) logger.info({ bm25: settings.bm25 }, 'recomputed the BM25 impacts');
    const embeddings = new EmbeddingCache(provider.embeddings, kv, { modelName: space.model });
    const answerCache = new AnswerCache(kv);
    const memory = new ThreadMemory(kv, { maxTurns: config.limits.threadMaxTurns, maxCharsPerTurn: 2000, ttlSeconds: config.limits.threadTtlS });
    const feedback = new FeedbackStore(db);
    const metrics = new Metrics();
    const interactions = new InteractionStore(db);
    const recorder = config.insights.recording
      ? new BufferedInteractionRecorder({ store: interactions, hashKey: await interactionsHashKey(config), retentionDays: config.insights.retentionDays, defaultScope: [config.collection], logger })
      : undefined;
    const stored = await readEmbeddingSpace(db);
    const precision = vectorPrecision(db.kind);
    // A changed VECTOR_INDEX (or build parameter) rebuilds the index now, swapped in when ready.
    if (stored && (await runMaintenance(db, (tx) => upgradeVectorIndex(tx, stored.dimension, precision, config.vectorIndex)))) {
      logger.info({ dimension: stored.dimension, precision, index: config.vectorIndex }, 'rebuilt the vector index');
    }
    const chatModel = config.llm
      ? new (await import('./insights/meteredChatOpenAI.ts')).MeteredChatOpenAI({
          model: config.llm.model,
          apiKey: config.openai.apiKey ?? 'not-needed',
          configuration: { ...(config.openai.baseUrl ? { baseURL: config.openai.baseUrl } : {}), fetch: meteredFetch(metrics) },
          timeout: config.llm.timeoutMs,
          maxRetries: config.llm.maxRetries,
          maxTokens: config.llm.maxTokens,
          temperature: 0,
        })
      : undefined;
    const retriever = (collections: string[], mode: RetrievalMode | RetrievalRecipe = 'hybrid', k = 6, filter?: MetadataFilter) => {
      if (stored && (stored.model !== space.model || stored.dimension !== space.dimension)) {
        throw new KbError('store/model_mismatch', `The knowledge base was embedded with ${stored.model} but ${space.model} is configured: run \`kb reembed\`.`);
      }
      return new HybridRetriever({
        store,
        embeddings,
        dimension: space.dimension,
        collections,
        filter: checkedFilter(filter, config.metadataFilterKeys),
        ...(typeof mode === 'string' ? { mode, settings: settings.retrieval } : { lexical: mode.lexical(db, store), settings: { ...settings.retrieval, ...mode.settings(k) } }),
        k,
        onRetrieved: (s) => metrics.observeRetrieval(s),
      });
    };
    const answers = new AnswerService({
      // The extractive answerer reads past the top few chunks (its rank prior keeps it near the
      // top); the model is given the first MODEL_SOURCES of them (ask.ts).
      retrieverFor: (c, filter) => retriever(c, 'hybrid', settings.answerChunks, filter),
      chatModel,
      streamIdleMs: config.llm?.timeoutMs,
      minConfidence: settings.minConfidence,
      describeKnowledgeBase: (c) => describeKnowledgeBase(db, c),
      chunkContext: (ids) => sectionContext(db.reader(), ids),
      openingChunks: (ids) => openingChunks(db.reader(), ids),
      logger,
    });
    const conversational = new ConversationalAssistant({
      answers,
      store: store.documents,
      feedback,
      answerCache,
      memory,
      rateLimiter: new RateLimiter(kv, { perMinute: config.limits.ratePerMinute, burst: config.limits.rateBurst }),
      kv,
      defaultScope: [config.collection],
      maxQuestionChars: config.limits.maxQuestionChars,
      answerTtlSeconds: config.limits.answerCacheTtlS,
      // One answer's worst case: every model attempt timing out, plus retrieval and backoff.
      answerLockTtlMs: config.llm ? config.llm.timeoutMs * (1 + config.llm.maxRetries) + 10_000 : 10_000,
      cacheIdentity: answerCacheIdentity(settings),
      slots: new AnswerSlots(answerSlotOptions(config.limits.maxConcurrentAnswers)),
      logger,
    });
    const actions = new KbAnswerActions({
      kv,
      retrieve: (q, scope) => answers.retrieve(q, scope),
      handoffs: new HandoffStore(db),
      topics: (c, max) => knowledgeBaseTopics(db, c, max),
      defaultScope: [config.collection],
    });
    const ingestDeps: IngestDeps = {
      db,
      store,
      embeddings: provider.embeddings,
      space,
      vectorIndex: config.vectorIndex,
      embedAhead: provider.remote ? REMOTE_EMBED_AHEAD : 1,
      chunking: config.chunking,
      onDocumentsChanged: async (docs) => void (await answerCache.invalidateDocuments(docs)),
    };
    const assistant = new RecordingAssistant(conversational, recorder, metrics, (err) => logger.warn({ err }, 'could not record an interaction'));
    const app: App = {
      config,
      db,
      store,
      embeddings,
      space,
      answers,
      assistant,
      actions,
      feedback,
      kv,
      memory,
      logger,
      metrics,
      recorder,
      insights: new InsightsService(interactions, { minConfidence: config.retrieval.minConfidence, retentionDays: config.insights.retentionDays }),
      retriever,
      // Documents are embedded without the cache: their vectors are kept in PostgreSQL and an
      // unchanged chunk is reused from there, so a cached copy would only double the work of
      // a fresh ingest and fill Redis with every chunk's vector (a gigabyte at a million).
      // Queries use the cache, and so does reembed: it is one transaction, and a run again after
      // a failure finds the vectors it had already paid for.
      ingest: (req) => ingest(ingestDeps, req),
      // The crawler (undici, robots-parser) is loaded only for a web ingest.
      ingestSite: async (req) => (await import('./ingest/web/siteIngest.ts')).ingestSite(ingestDeps, config.web, req),
      reembed: () => reembed({ db, embeddings, space, vectorIndex: config.vectorIndex }),
      async ensureSampleKnowledgeBase() {
        const { documents } = await store.documents.stats();
        if (documents > 0) return undefined;
        logger.info({ folder: config.sampleDir }, 'knowledge base is empty: ingesting the sample notes');
        return app.ingest({ inputs: [config.sampleDir], collection: config.collection });
      },
      close: async () => {
        await recorder?.close();
        await Promise.allSettled([db.close(), kv.close()]);
      },
    };
    return app;
  } catch (err) {
    await Promise.allSettled([db.close(), kv.close()]);
    throw err;
  }
}

async function describeKnowledgeBase(db: Database, collections: string[]): Promise<string> {
  const r = await db.reader().query<{ title: string; n: string }>(
    'SELECT title, chunk_count AS n FROM documents WHERE collection = ANY($1::text[]) ORDER BY chunk_count DESC, title LIMIT 5',
    [collections],
  );
  const count = await db.reader().query<{ n: string }>('SELECT count(*) AS n FROM documents WHERE collection = ANY($1::text[])', [collections]);
  const n = Number(count.rows[0]?.n ?? 0);
  if (!n) return 'The knowledge base is empty for this channel.';
  return `It covers ${n} document${n === 1 ? '' : 's'} (${collections.join(', ')}), such as: ${r.rows.map((x) => x.title).join('; ')}.`;
}

/** The titles of the largest documents: the topics a new conversation can start from. */
export async function knowledgeBaseTopics(db: Database, collections: string[], max: number): Promise<string[]> {
  const r = await db.reader().query<{ title: string }>(
    'SELECT title FROM documents WHERE collection = ANY($1::text[]) AND title <> \'\' GROUP BY title ORDER BY max(chunk_count) DESC, title LIMIT $2',
    [collections, max],
  );
  return r.rows.map((x) => x.title);
}
