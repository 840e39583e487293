import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerCache } from '../../../src/cache/answerCache.ts';
import { createKeyValueStore } from '../../../src/cache/createCache.ts';
import type { KeyValueStore } from '../../../src/cache/keyValueStore.ts';
import { captureLogger, freePort, killServer, sleep, startRedisServer, testPrefix, WARN } from './redisKit.ts';

/** A throwaway 3-master Redis Cluster, to prove multi-key and scripted calls survive slot routing. */
const run = promisify(execFile);
const servers: ChildProcess[] = [];
const ports: number[] = [];
let dir: string;
let store: KeyValueStore;
const { logger, lines } = captureLogger();

async function clusterOk(port: number): Promise<boolean> {
  const c = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    return /cluster_state:ok/.test(await c.cluster('INFO'));
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kb-cluster-'));
  for (let i = 0; i < 3; i++) {
    const port = await freePort((ports.at(-1) ?? 6392) + 1, 6399);
    ports.push(port);
    const conf = ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir];
    servers.push(await startRedisServer(port, conf));
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
  for (let i = 0; i < 100 && !(await Promise.all(ports.map(clusterOk))).every(Boolean); i++) await sleep(100);
  store = await createKeyValueStore({ clusterNodes: ports.map((port) => ({ host: '127.0.0.1', port })), commandTimeoutMs: 500, logger, prefix: testPrefix() });
});

afterAll(async () => {
  await store?.close();
  for (const s of servers) await killServer(s);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('RedisStore on a Redis Cluster', () => {
  it('is picked by createKeyValueStore when cluster nodes are given', () => {
    expect(store.kind).toBe('redis-cluster');
  });

  it('deletes keys that live on different slots in one call', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => store.set(k, k, 60)));
    expect(await store.get('k7')).toBe('k7');
    await store.del([...keys.slice(0, 20), '{tag}a', '{tag}b']);
    const left = await Promise.all(keys.map((k) => store.get(k)));
    expect(left.filter((v) => v !== undefined)).toEqual(keys.slice(20));
  });

  it('runs the token bucket and set scripts on the owning node', async () => {
    const take = () => store.tokenBucket('rl:someone', 0.01, 2);
    expect([(await take()).allowed, (await take()).allowed, (await take()).allowed]).toEqual([true, true, false]);
    await store.sAdd('idx', ['a', 'b'], 60);
    expect((await store.sMembers('idx')).sort()).toEqual(['a', 'b']);
    expect(await store.setIfAbsent('evt', '1', 60)).toBe(true);
    expect(await store.setIfAbsent('evt', '1', 60)).toBe(false);
  });

  it('invalidates answers spread over several slots', async () => {
    const cache = new AnswerCache(store);
    const cite = { n: 1, title: 't', source: 'a.md', collection: 'pg', heading: 'h', location: 'a.md', snippet: 's', contentHash: 'H' };
    const keys = ['one', 'two', 'three'].map((q) => cache.key({ question: q, scope: ['pg'], identity: 'm|v1' }));
    for (const k of keys) await cache.set(k, { text: k, citations: [cite], confidence: 1, refused: false, standaloneQuestion: k }, 60);
    expect(await cache.invalidateDocuments([{ collection: 'pg', source: 'a.md' }])).toBe(3);
    const lookup = async () => new Map([['pg/a.md', 'H']]);
    expect(await Promise.all(keys.map((k) => cache.get(k, lookup)))).toEqual([undefined, undefined, undefined]);
  });

  it('logs no warnings while the cluster is healthy', async () => {
    // Every kind of call, on keys spread over the slots.
    const keys = Array.from({ length: 10 }, (_, i) => `quiet${i}`);
    await Promise.all(keys.map((k) => store.set(k, k, 60)));
    await Promise.all(keys.map((k) => store.get(k)));
    await store.del(keys);
    await store.setIfAbsent('quiet:claim', '1', 60);
    await store.unlock('quiet:lock', (await store.tryLock('quiet:lock', 1000))!);
    await store.tokenBucket('quiet:rl', 1, 1);
    await store.sAdd('quiet:set', ['a'], 60);
    await store.sMembers('quiet:set');
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
  });
});
