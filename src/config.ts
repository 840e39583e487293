import path from 'node:path';
import { z } from 'zod';
import { COLLECTION_NAME, COLLECTION_NAME_RULE } from './collectionName.ts';
import { KbError } from './errors.ts';
import { DEFAULT_EF_SEARCH, DEFAULT_IVFFLAT_PROBES } from './db/database.ts';
import { DEFAULT_POSTINGS_PER_TERM } from './store/postings.ts';
import { DEFAULT_CHUNKING, type ChunkOptions } from './ingest/chunker.ts';
import { projectDir } from './projectDir.ts';
import { DEFAULT_WEB, type WebSettings } from './ingest/web/settings.ts';
import type { VectorIndexOptions, VectorSearchOptions } from './store/vectorIndex.ts';
import type { MetadataFilter } from './store/metadata.ts';

/**
 * The only module that reads the environment. Parsed once at start-up; every error says
 * which variable is wrong and what to do about it.
 */
const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(emptyToUndefined, schema.optional());
const int = (min: number, max: number) => z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).optional());
const num = (def: number, min: number, max: number) => z.preprocess(emptyToUndefined, z.coerce.number().min(min).max(max).default(def));

const collectionName = z.string().regex(COLLECTION_NAME);
const scopeMap = z.preprocess(
  (v) => {
    if (v === undefined || v === '') return {};
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return Symbol('invalid-json');
    }
  },
  // A channel's entry: its collections, or {"collections": [...], "filter": {"key": "value"}}.
  z.record(
    z.string(),
    z.union([
      z.array(collectionName),
      z.object({ collections: z.array(collectionName).optional(), filter: z.record(z.string(), z.string().min(1).max(256)).optional() }).strict(),
    ]),
  ),
);
type ScopeEntries = Record<string, string[] | { collections?: string[]; filter?: Record<string, string> }>;

/**
 * A channel scope map as the adapters use it (src/assistant/channelScope.ts resolves it):
 * collections by channel, and the metadata filter of every entry (empty for an entry without
 * one), so both resolve from the same entry. `[]` assigns nothing; an entry with a filter and
 * no `collections` searches the default collection.
 */
function channelScopeMaps(entries: ScopeEntries, variable: string, defaultCollection: string, filterKeys: string[], problems: string[]): { channelScopes: Record<string, string[]>; channelFilters: Record<string, MetadataFilter> } {
  const channelScopes: Record<string, string[]> = {};
  const channelFilters: Record<string, MetadataFilter> = {};
  for (const [id, entry] of Object.entries(entries)) {
    channelScopes[id] = Array.isArray(entry) ? entry : (entry.collections ?? [defaultCollection]);
    const filter = Array.isArray(entry) ? {} : (entry.filter ?? {});
    const unknown = Object.keys(filter).filter((k) => !filterKeys.includes(k));
    if (unknown.length) problems.push(`${variable}: channel ${id} filters on ${unknown.join(', ')}, which METADATA_FILTER_KEYS (${filterKeys.join(', ')}) does not list`);
    channelFilters[id] = filter;
  }
  return { channelScopes, channelFilters };
}

export const DEFAULT_SUPPORT_RULES: SupportRules = { minChars: 15, requireQuestionMark: true, reactWhenUnsure: true };

/** A comma-separated list of platform ids (channels, users, roles), e.g. "C0123,C0456". */
const idList = (pattern: RegExp, what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v === undefined ? [] : v),
    z.array(z.string().regex(pattern, `each entry must be ${what}`)),
  );
const slackChannelIds = idList(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel id such as C0123ABC');
const discordIds = idList(/^\d{5,25}$/, 'a numeric Discord id');
const bool = (def: boolean) => z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default(def ? 'true' : 'false')).transform((v) => v === 'true');

const schema = z.object({
  KB_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('.kb-data')),
  KB_CACHE_DIR: opt(z.string()),
  KB_COLLECTION: z.preprocess(emptyToUndefined, z.string().regex(COLLECTION_NAME, COLLECTION_NAME_RULE).default('default')),
  KB_SAMPLE_DIR: opt(z.string()),
  DATABASE_URL: opt(z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')),
  DATABASE_READ_URL: opt(z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')),
  DATABASE_POOL_SIZE: num(10, 1, 200),
  VECTOR_INDEX: z.preprocess(emptyToUndefined, z.enum(['hnsw', 'ivfflat']).default('hnsw')),
  HNSW_M: int(2, 100),
  HNSW_EF_CONSTRUCTION: int(4, 1000),
  HNSW_EF_SEARCH: z.preprocess(emptyToUndefined, z.coerce.number().int().min(10).max(1000).default(DEFAULT_EF_SEARCH)),
  IVFFLAT_LISTS: int(1, 32768),
  IVFFLAT_PROBES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(32768).default(DEFAULT_IVFFLAT_PROBES)),
  STATEMENT_TIMEOUT_MS: num(5000, 100, 600000),
  REDIS_URL: opt(z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')),
  REDIS_CLUSTER_NODES: opt(z.string()),
  REDIS_COMMAND_TIMEOUT_MS: num(250, 10, 10000),
  EMBEDDINGS: z.preprocess(emptyToUndefined, z.enum(['local', 'openai']).optional()),
  EMBEDDING_MODEL: opt(z.string()),
  OPENAI_API_KEY: opt(z.string()),
  OPENAI_BASE_URL: opt(z.string().url()),
  LLM_MODEL: opt(z.string()),
  LLM_TIMEOUT_MS: num(20000, 500, 300000),
  LLM_MAX_RETRIES: num(2, 0, 10),
  // 0 turns streaming off; otherwise at least a second between updates (Slack and Discord rate limits).
  STREAM_UPDATE_MS: z.preprocess(
    emptyToUndefined,
    z.coerce
      .number()
      .int()
      .refine((v) => v === 0 || (v >= 1000 && v <= 60000), 'must be 0 (no streaming) or between 1000 and 60000 milliseconds: Slack and Discord allow about one edit a second')
      .default(1000),
  ),
  LLM_MAX_TOKENS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(16).max(128_000).default(1024)),
  RRF_K: num(60, 1, 1000),
  RRF_WEIGHT_BM25: num(1, 0, 10),
  RRF_WEIGHT_VECTOR: num(0.8, 0, 10),
  MIN_CONFIDENCE: num(0.56, 0, 1),
  METADATA_FILTER_KEYS: z.preprocess(emptyToUndefined, z.string().regex(/^\s*[a-z0-9][a-z0-9_.-]{0,63}(\s*,\s*[a-z0-9][a-z0-9_.-]{0,63})*\s*$/, 'a comma-separated list of lower-case keys, e.g. language,category').default('language,category')),
  BM25_POSTINGS_PER_TERM: z.preprocess(emptyToUndefined, z.coerce.number().int().min(10).max(10_000_000).default(DEFAULT_POSTINGS_PER_TERM)),
  CHUNK_OVERLAP_CHARS: num(DEFAULT_CHUNKING.overlapChars, 0, DEFAULT_CHUNKING.maxChars / 2),
  WEB_CONCURRENCY: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(16).default(DEFAULT_WEB.concurrency)),
  WEB_DELAY_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(60_000).default(DEFAULT_WEB.delayMs)),
  WEB_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(100).max(300_000).default(DEFAULT_WEB.timeoutMs)),
  MAX_QUESTION_CHARS: num(2000, 50, 100000),
  ANSWER_CACHE_TTL_S: num(86400, 1, 30 * 86400),
  THREAD_TTL_S: num(86400, 60, 30 * 86400),
  THREAD_MAX_TURNS: num(6, 1, 50),
  RATE_LIMIT_PER_MINUTE: num(20, 1, 10000),
  RATE_LIMIT_BURST: num(5, 1, 10000),
  MAX_CONCURRENT_ANSWERS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1000).default(8)),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional()),
  PORT: num(3000, 0, 65535),
  SLACK_BOT_TOKEN: opt(z.string().startsWith('xoxb-', 'must start with xoxb-: copy the Bot User OAuth Token from OAuth & Permissions')),
  SLACK_SIGNING_SECRET: opt(z.string()),
  SLACK_APP_TOKEN: opt(z.string().startsWith('xapp-', 'must start with xapp-: create an app-level token with connections:write under Basic Information')),
  SLACK_API_URL: opt(z.string().url()),
  SLACK_COMMAND: z.preprocess(emptyToUndefined, z.string().regex(/^\/[a-z0-9_-]{1,31}$/).default('/ask')),
  SLACK_REPLY_PRIVATELY: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
  SLACK_CHANNEL_SCOPES: scopeMap,
  DISCORD_TOKEN: opt(z.string()),
  DISCORD_APPLICATION_ID: opt(z.string().regex(/^\d{5,25}$/, 'must be the numeric Application ID from the developer portal')),
  DISCORD_API_URL: opt(z.string().url()),
  DISCORD_CHANNEL_SCOPES: scopeMap,
  SLACK_SUPPORT_CHANNELS: slackChannelIds,
  SLACK_HANDOFF_RESPONDERS: idList(/^[UWS][A-Z0-9]{2,}$/, 'a Slack user id (U…/W…) or user group id (S…)'),
  DISCORD_REPLY_PRIVATELY: bool(false),
  DISCORD_HANDOFF_USERS: discordIds,
  DISCORD_HANDOFF_ROLES: discordIds,
  DISCORD_SUPPORT_CHANNELS: discordIds,
  SUPPORT_MIN_CHARS: num(DEFAULT_SUPPORT_RULES.minChars, 1, 2000),
  SUPPORT_REQUIRE_QUESTION_MARK: bool(true),
  SUPPORT_REACT_WHEN_UNSURE: bool(true),
  INTERACTIONS_RECORDING: z.preprocess(emptyToUndefined, z.enum(['on', 'off']).default('on')),
  INTERACTIONS_RETENTION_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(3650).default(90)),
  INTERACTIONS_HASH_KEY: opt(z.string().min(16, 'use at least 16 characters (e.g. openssl rand -hex 32)')),
  ADMIN_TOKEN: opt(z.string().min(16, 'use at least 16 characters (e.g. openssl rand -hex 32)')),
  METRICS_TOKEN: opt(z.string().min(16, 'use at least 16 characters (e.g. openssl rand -hex 32)')),
});

export type Env = z.infer<typeof schema>;

export interface Config {
  dataDir: string;
  /** Where the converted local word vectors are kept (shared by several data dirs). */
  cacheDir: string;
  collection: string;
  sampleDir: string;
  databaseUrl?: string;
  databaseReadUrl?: string;
  databasePoolSize: number;
  /** Metadata keys retrieval may filter on (`--filter`, channel scope filters). */
  metadataFilterKeys: string[];
  /** The vector index to build (kind, build parameters; unset ones follow the table's size). */
  vectorIndex: VectorIndexOptions;
  /** hnsw.ef_search and ivfflat.probes, set on each vector query (recall against speed). */
  vectorSearch: VectorSearchOptions;
  statementTimeoutMs: number;
  redis: { url?: string; clusterNodes?: Array<{ host: string; port: number }>; commandTimeoutMs: number };
  embeddings: { provider: 'local' | 'openai'; model: string };
  openai: { apiKey?: string; baseUrl?: string };
  /** `maxTokens`: the most tokens the model may write for one reply (answer or rewritten question). */
  llm: { model: string; timeoutMs: number; maxRetries: number; maxTokens: number } | undefined;
  retrieval: { rrfK: number; weightBm25: number; weightVector: number; minConfidence: number; postingsPerTerm: number };
  chunking: ChunkOptions;
  /** How `kb ingest <URL>` crawls: pages at a time, milliseconds between request starts, timeout per page. */
  web: WebSettings;
  /** `maxConcurrentAnswers`: answers this process works on at once (the model and embedding calls); more wait their turn. */
  limits: { maxQuestionChars: number; answerCacheTtlS: number; threadTtlS: number; threadMaxTurns: number; ratePerMinute: number; rateBurst: number; maxConcurrentAnswers: number };
  /** Undefined when LOG_LEVEL is not set: the CLI then logs warnings only, the server info. */
  logLevel?: string;
  port: number;
  /**
   * Streamed answers: the least time between two updates of an answer the model is still
   * writing; 0: answers appear only when complete.
   */
  streamUpdateMs: number;
  slack?: {
    botToken: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
    command: string;
    replyPrivately: boolean;
    channelScopes: Record<string, string[]>;
    /** The metadata filter of each channel scope entry (empty when it has none). */
    channelFilters?: Record<string, MetadataFilter>;
    /** Channels where every new top-level question is answered without a mention (none when unset). */
    supportChannels?: string[];
    support?: SupportRules;
    /** Users (U…/W…) and user groups (S…) "I need a human" pings; none: no such button. */
    handoffResponders?: string[];
  };
  discord?: {
    token: string;
    applicationId?: string;
    apiUrl?: string;
    channelScopes: Record<string, string[]>;
    /** The metadata filter of each channel scope entry (empty when it has none). */
    channelFilters?: Record<string, MetadataFilter>;
    supportChannels?: string[];
    support?: SupportRules;
    /** `/ask` answers only the asker (ephemeral), with a "Share in channel" button. */
    replyPrivately?: boolean;
    /** Whom "I need a human" pings; both empty: no such button. */
    handoff?: { users: string[]; roles: string[] };
  };
  /**
   * Interaction recording and the operators' pages. `hashKey` undefined: a random key kept in
   * the data folder. `adminToken` undefined: no /admin; `metricsToken` undefined: /metrics open.
   */
  insights: { recording: boolean; retentionDays: number; hashKey?: string; adminToken?: string; metricsToken?: string };
}

/** When a message in a support channel counts as a question, and what an unanswered one gets. */
export interface SupportRules {
  minChars: number;
  requireQuestionMark: boolean;
  /** React 👀 to a question the knowledge base cannot answer (otherwise: nothing). */
  reactWhenUnsure: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new KbError('config/invalid', `Invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  const hasOpenAi = Boolean(e.OPENAI_API_KEY || e.OPENAI_BASE_URL);
  const embeddingsProvider = e.EMBEDDINGS ?? (e.OPENAI_API_KEY ? 'openai' : 'local');
  if (embeddingsProvider === 'openai' && !hasOpenAi) problems.push('EMBEDDINGS=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server)');
  if (e.OPENAI_BASE_URL && !e.OPENAI_API_KEY && !e.LLM_MODEL && embeddingsProvider !== 'openai') {
    problems.push('OPENAI_BASE_URL is set without LLM_MODEL: name the model your server serves (e.g. LLM_MODEL=llama3.1)');
  }
  if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    problems.push('SLACK_SIGNING_SECRET is missing: copy it from Basic Information → App Credentials (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (!e.SLACK_BOT_TOKEN && (e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN)) problems.push('SLACK_BOT_TOKEN is missing: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions');
  let clusterNodes: Array<{ host: string; port: number }> | undefined;
  if (e.REDIS_CLUSTER_NODES) {
    clusterNodes = e.REDIS_CLUSTER_NODES.split(',').map((s) => {
      const [host, port] = s.trim().split(':');
      return { host: host ?? '', port: Number(port) };
    });
    if (clusterNodes.some((n) => !n.host || !Number.isInteger(n.port) || n.port <= 0)) problems.push('REDIS_CLUSTER_NODES must be a comma-separated list of host:port');
  }
  // pgvector refuses an HNSW build whose candidate list is shorter than two neighbour lists.
  if (e.HNSW_EF_CONSTRUCTION !== undefined && e.HNSW_EF_CONSTRUCTION < 2 * (e.HNSW_M ?? 16)) problems.push(`HNSW_EF_CONSTRUCTION must be at least twice HNSW_M (${2 * (e.HNSW_M ?? 16)})`);
  const metadataFilterKeys = e.METADATA_FILTER_KEYS.split(',').map((k) => k.trim());
  const slackScopes = channelScopeMaps(e.SLACK_CHANNEL_SCOPES, 'SLACK_CHANNEL_SCOPES', e.KB_COLLECTION, metadataFilterKeys, problems);
  const discordScopes = channelScopeMaps(e.DISCORD_CHANNEL_SCOPES, 'DISCORD_CHANNEL_SCOPES', e.KB_COLLECTION, metadataFilterKeys, problems);
  if (problems.length) throw new KbError('config/invalid', `Invalid configuration: ${problems.join('; ')}`);

  const support: SupportRules = { minChars: e.SUPPORT_MIN_CHARS, requireQuestionMark: e.SUPPORT_REQUIRE_QUESTION_MARK, reactWhenUnsure: e.SUPPORT_REACT_WHEN_UNSURE };
  const llmModel = e.LLM_MODEL ?? (e.OPENAI_API_KEY ? 'gpt-4o-mini' : undefined);
  return {
    dataDir: path.resolve(e.KB_DATA_DIR),
    cacheDir: path.resolve(e.KB_CACHE_DIR ?? e.KB_DATA_DIR),
    collection: e.KB_COLLECTION,
    sampleDir: e.KB_SAMPLE_DIR ? path.resolve(e.KB_SAMPLE_DIR) : path.join(projectDir, 'kb', 'sample'),
    databaseUrl: e.DATABASE_URL,
    databaseReadUrl: e.DATABASE_READ_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    metadataFilterKeys,
    vectorIndex: { kind: e.VECTOR_INDEX, m: e.HNSW_M, efConstruction: e.HNSW_EF_CONSTRUCTION, lists: e.IVFFLAT_LISTS },
    vectorSearch: { efSearch: e.HNSW_EF_SEARCH, probes: e.IVFFLAT_PROBES },
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    redis: { url: e.REDIS_URL, clusterNodes, commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS },
    embeddings: { provider: embeddingsProvider, model: e.EMBEDDING_MODEL ?? (embeddingsProvider === 'openai' ? 'text-embedding-3-small' : 'glove100-sif+hash156') },
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL },
    llm: llmModel && hasOpenAi ? { model: llmModel, timeoutMs: e.LLM_TIMEOUT_MS, maxRetries: e.LLM_MAX_RETRIES, maxTokens: e.LLM_MAX_TOKENS } : undefined,
    retrieval: { rrfK: e.RRF_K, weightBm25: e.RRF_WEIGHT_BM25, weightVector: e.RRF_WEIGHT_VECTOR, minConfidence: e.MIN_CONFIDENCE, postingsPerTerm: e.BM25_POSTINGS_PER_TERM },
    chunking: { maxChars: DEFAULT_CHUNKING.maxChars, overlapChars: e.CHUNK_OVERLAP_CHARS },
    web: { concurrency: e.WEB_CONCURRENCY, delayMs: e.WEB_DELAY_MS, timeoutMs: e.WEB_TIMEOUT_MS },
    limits: {
      maxQuestionChars: e.MAX_QUESTION_CHARS,
      answerCacheTtlS: e.ANSWER_CACHE_TTL_S,
      threadTtlS: e.THREAD_TTL_S,
      threadMaxTurns: e.THREAD_MAX_TURNS,
      ratePerMinute: e.RATE_LIMIT_PER_MINUTE,
      rateBurst: e.RATE_LIMIT_BURST,
      maxConcurrentAnswers: e.MAX_CONCURRENT_ANSWERS,
    },
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    streamUpdateMs: e.STREAM_UPDATE_MS,
    slack: e.SLACK_BOT_TOKEN
      ? { botToken: e.SLACK_BOT_TOKEN, signingSecret: e.SLACK_SIGNING_SECRET, appToken: e.SLACK_APP_TOKEN, apiUrl: e.SLACK_API_URL, command: e.SLACK_COMMAND, replyPrivately: e.SLACK_REPLY_PRIVATELY === 'true', ...slackScopes, supportChannels: e.SLACK_SUPPORT_CHANNELS, support, handoffResponders: e.SLACK_HANDOFF_RESPONDERS }
      : undefined,
    discord: e.DISCORD_TOKEN
      ? { token: e.DISCORD_TOKEN, applicationId: e.DISCORD_APPLICATION_ID, apiUrl: e.DISCORD_API_URL, ...discordScopes, supportChannels: e.DISCORD_SUPPORT_CHANNELS, support, replyPrivately: e.DISCORD_REPLY_PRIVATELY, handoff: { users: e.DISCORD_HANDOFF_USERS, roles: e.DISCORD_HANDOFF_ROLES } }
      : undefined,
    insights: { recording: e.INTERACTIONS_RECORDING === 'on', retentionDays: e.INTERACTIONS_RETENTION_DAYS, hashKey: e.INTERACTIONS_HASH_KEY, adminToken: e.ADMIN_TOKEN, metricsToken: e.METRICS_TOKEN },
  };
}

/** Every secret the config holds, so the logger can mask them wherever they appear. */
export function configSecrets(c: Config): string[] {
  const i = c.insights;
  return [c.openai.apiKey, c.slack?.botToken, c.slack?.signingSecret, c.slack?.appToken, c.discord?.token, i.hashKey, i.adminToken, i.metricsToken].filter((s): s is string => Boolean(s));
}
