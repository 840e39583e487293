import { spawn, type ChildProcessWithoutNullStreams, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killServer, startRedisServer } from '../integration/cache/redisKit.ts';
import { startFakeOpenAI, userText, type FakeOpenAI } from '../support/fakeOpenAI.ts';
import { ROOT, startTestApp, testEnv, type TestApp } from '../support/reliabilityKit.ts';

/**
 * Many people asking the same new question at once, across several bot processes, cost
 * one model call: the first process to miss the answer cache takes a Redis lock and
 * computes; the others wait for the answer to appear in the cache. Two real child
 * processes (test/support/askWorker.ts) share a real redis-server and PostgreSQL database.
 */
interface Summary {
  cached: boolean;
  refused: boolean;
  note?: string;
  text: string;
}

class Worker {
  private readonly replies: Array<(line: string) => void> = [];
  private readonly ready: Promise<void>;
  readonly stderr: string[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    const lines = readline.createInterface({ input: child.stdout });
    let onReady: () => void;
    this.ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${this.stderr.join('')}`)));
    });
    lines.on('line', (line) => (line === 'ready' ? onReady() : this.replies.shift()?.(line)));
    child.stderr.on('data', (d: Buffer) => void this.stderr.push(d.toString()));
  }

  started(): Promise<void> {
    return this.ready;
  }

  ask(times: number, question: string): Promise<Summary[]> {
    const reply = new Promise<string>((resolve) => this.replies.push(resolve));
    this.child.stdin.write(`ask ${times} ${question}\n`);
    return reply.then((line) => JSON.parse(line) as Summary[]);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}

let redisPort: number;
let redis: ChildProcess | undefined;
let fake: FakeOpenAI;
let t: TestApp;
let workers: Worker[] = [];

beforeAll(async () => {
  redisPort = await freePort(6400, 6409);
  redis = await startRedisServer(redisPort);
  fake = await startFakeOpenAI();
  // Slow enough that every question arrives while the first answer is still being written.
  fake.script = () => ({ text: 'Add a WHERE clause to CREATE INDEX; only matching rows are indexed [1].', delayMs: 400 });
  const env = { REDIS_URL: `redis://127.0.0.1:${redisPort}`, OPENAI_BASE_URL: fake.baseUrl, LLM_MODEL: 'fake', LLM_MAX_RETRIES: '0', RATE_LIMIT_BURST: '1000' };
  t = await startTestApp(env);
  await t.app.ensureSampleKnowledgeBase();
  const childEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...testEnv({ ...env, DATABASE_URL: t.database.url }) };
  workers = [0, 1].map(() => new Worker(spawn(process.execPath, [path.join('bin', 'tsx.js'), path.join('test', 'support', 'askWorker.ts')], { cwd: ROOT, env: childEnv })));
  await Promise.all(workers.map((w) => w.started()));
});

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.stop()));
  await t?.close();
  await fake?.close();
  await killServer(redis);
});

describe('single-flight on an answer-cache miss', () => {
  it('answers 20 identical concurrent questions from two processes with exactly one model call', async () => {
    const question = 'How do I create a partial index?';
    const before = fake.chats.length;
    const answers = (await Promise.all(workers.map((w) => w.ask(10, question)))).flat();
    expect(fake.chats.filter((c) => userText(c).includes(question))).toHaveLength(1);
    expect(fake.chats.length - before).toBe(1);
    expect(answers).toHaveLength(20);
    for (const a of answers) {
      expect(a.refused).toBe(false);
      expect(a.note).toBeUndefined();
      expect(a.text).toBe(answers[0]!.text);
    }
    expect(answers[0]!.text).toMatch(/only matching rows are indexed \[1\]/);
    // One process computed it; the other 19 askers were served the answer it cached.
    expect(answers.filter((a) => !a.cached)).toHaveLength(1);
  });

  it('fails open when Redis is down: every asker is answered, each process computing for itself', async () => {
    await killServer(redis);
    const question = 'What does VACUUM do?';
    const before = fake.chats.length;
    let answers: Summary[];
    try {
      answers = (await Promise.all(workers.map((w) => w.ask(3, question)))).flat();
    } finally {
      redis = await startRedisServer(redisPort);
    }
    expect(answers).toHaveLength(6);
    for (const a of answers) {
      expect(a.refused).toBe(false);
      expect(a.cached).toBe(false);
    }
    // No shared lock and no shared cache: nobody waits, so each asker costs a model call.
    expect(fake.chats.length - before).toBe(6);
  });
});
