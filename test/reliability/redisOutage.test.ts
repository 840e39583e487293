import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killServer, startRedisServer } from '../integration/cache/redisKit.ts';
import { captureLogs, startTestApp, waitUntil, watchCrashes, type TestApp } from '../support/reliabilityKit.ts';

/**
 * Redis holds caches, thread memory, rate limits and event claims, none of which an answer
 * needs. With Redis killed, frozen (SIGSTOP: connections open, nothing answers) or
 * restarted, answers keep coming through the real composition root.
 */
const crashes = watchCrashes();
const logs = captureLogs('debug');
let port: number;
let redis: ChildProcess | undefined;
let t: TestApp;

beforeAll(async () => {
  port = await freePort(6385, 6389);
  redis = await startRedisServer(port);
  t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_BURST: '1000' }, logs.logger);
  await t.app.ensureSampleKnowledgeBase();
});

afterAll(async () => {
  await t?.close();
  if (redis?.pid && redis.signalCode === null && redis.exitCode === null) process.kill(redis.pid, 'SIGCONT');
  await killServer(redis);
  crashes.dispose();
});

let threads = 0;
// A new thread per question: thread memory is exercised, but never turns a repeat into a follow-up.
const ask = (question: string) => t.app.assistant.answer({ question, user: 'slack:U1', conversation: { platform: 'slack', channel: 'C1', thread: `1.${++threads}` } });
const UNAVAILABLE = 'redis is unavailable: caching, rate limits and event de-duplication are off until it returns';
/** Log lines written since `from` (a count of lines). */
const logsSince = (from: number) => logs.parsed().slice(from);

/** Starts Redis again if a test left it killed, and waits until the app uses it. */
async function redisUp(): Promise<void> {
  if (redis?.exitCode !== null || redis.signalCode !== null) redis = await startRedisServer(port);
  await waitUntil(async () => (await ask('How do I create a partial index?')).cached, 'an answer served from Redis', 15_000, 100);
}

/** Runs `fn` with Redis killed, and starts it again afterwards. */
async function whileKilled<T>(fn: () => Promise<T>): Promise<T> {
  await killServer(redis, 'SIGKILL');
  try {
    return await fn();
  } finally {
    redis = await startRedisServer(port);
  }
}

describe('answers while Redis is down, slow or restarted', () => {
  it('serves a repeated question from the Redis answer cache while Redis is up', async () => {
    const first = await ask('How do I create a partial index?');
    expect(first.refused).toBe(false);
    const again = await ask('How do I create a partial index?');
    expect(again.cached).toBe(true);
  });

  it('keeps answering, uncached, after Redis is killed', async () => {
    await redisUp();
    const from = logs.parsed().length;
    await whileKilled(async () => {
      for (const q of ['What does VACUUM do?', 'How do I create a partial index?', 'What is MVCC?']) {
        const a = await ask(q);
        expect(a.refused).toBe(false);
        expect(a.cached).toBeUndefined();
      }
    });
    expect(logsSince(from).filter((l) => l.msg === UNAVAILABLE)).toHaveLength(1);
  });

  it('uses Redis again by itself once it is back on the same port', async () => {
    await redisUp();
    await whileKilled(async () => {
      expect((await ask('What does VACUUM do?')).cached).toBeUndefined();
    });
    // The first answers after the restart refill the (empty) cache; then it serves again.
    const cached = await waitUntil(async () => (await ask('What does VACUUM do?')).cached, 'an answer served from the restarted Redis', 15_000, 100);
    expect(cached).toBe(true);
  });

  it('keeps answering while Redis is frozen (every command times out), and recovers when it thaws', async () => {
    await redisUp();
    const from = logs.parsed().length;
    process.kill(redis!.pid!, 'SIGSTOP');
    try {
      // A frozen Redis never answers: each answer comes only because REDIS_COMMAND_TIMEOUT_MS
      // ends the wait (how long that takes end to end is measured by bench/soak.ts).
      for (const q of ['How does connection pooling help?', 'What are isolation levels?']) {
        expect((await ask(q)).refused).toBe(false);
      }
    } finally {
      process.kill(redis!.pid!, 'SIGCONT');
    }
    const outage = logsSince(from).filter((l) => l.msg === UNAVAILABLE);
    expect(outage).toHaveLength(1);
    expect(outage[0]!.err).toMatchObject({ message: 'Command timed out' });
    const cached = await waitUntil(async () => (await ask('What are isolation levels?')).cached, 'an answer served from the thawed Redis', 15_000, 100);
    expect(cached).toBe(true);
    expect(crashes.errors).toEqual([]);
  });
});
