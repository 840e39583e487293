import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';

/**
 * The key user and conversation ids are hashed with: INTERACTIONS_HASH_KEY, or else a random
 * key created once in the data folder (readable by its owner only). Processes that share a
 * database should share INTERACTIONS_HASH_KEY, or one user counts as several.
 */
export async function interactionsHashKey(config: Config): Promise<string> {
  if (config.insights.hashKey) return config.insights.hashKey;
  const file = path.join(config.dataDir, 'interactions.key');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.mkdir(config.dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  try {
    await fs.writeFile(file, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await fs.readFile(file, 'utf8')).trim();
    throw err;
  }
}
