import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/** The converted GloVe vectors, shared so no suite pays for the 300 MB JSON conversion. */
export const cacheDir = process.env.KB_CACHE_DIR ?? path.join(repoRoot, '.kb-data');

export interface BenchEnv {
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  collection?: string;
  extra?: Record<string, string>;
}

/**
 * The environment a deployment would set, built explicitly so the benchmark never picks
 * up the caller's own DATABASE_URL, REDIS_URL or OpenAI settings. Rate limits are raised
 * because a benchmark asks far faster than any user.
 */
export function benchEnv(o: BenchEnv): Record<string, string> {
  const env: Record<string, string> = {
    KB_DATA_DIR: o.dataDir,
    KB_CACHE_DIR: cacheDir,
    KB_COLLECTION: o.collection ?? 'default',
    EMBEDDINGS: 'local',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '10000',
    RATE_LIMIT_BURST: '10000',
    STATEMENT_TIMEOUT_MS: '600000',
  };
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl;
  if (o.redisUrl) env.REDIS_URL = o.redisUrl;
  return { ...env, ...o.extra };
}

export function benchConfig(o: BenchEnv): Config {
  return loadConfig(benchEnv(o));
}
