import type { Logger } from '../logger.ts';
import type { KeyValueStore } from './keyValueStore.ts';
import { MemoryStore } from './memoryStore.ts';

export interface KeyValueStoreConfig {
  url?: string;
  clusterNodes?: Array<{ host: string; port: number }>;
  commandTimeoutMs: number;
  logger: Logger;
  /** e.g. `kb:v1:`; shared by every process of one deployment. */
  prefix: string;
}

/**
 * Redis Cluster when nodes are listed, else Redis when a URL is set, else in-process memory.
 * ioredis is loaded only when Redis is configured.
 */
export async function createKeyValueStore(config: KeyValueStoreConfig): Promise<KeyValueStore> {
  const { url, clusterNodes, commandTimeoutMs, logger, prefix } = config;
  if (clusterNodes?.length) return new (await import('./redisStore.ts')).RedisStore({ clusterNodes, commandTimeoutMs, logger, prefix });
  if (url) return new (await import('./redisStore.ts')).RedisStore({ url, commandTimeoutMs, logger, prefix });
  logger.info('REDIS_URL is not set: caches, rate limits and event de-duplication are per process');
  return new MemoryStore({ prefix });
}
