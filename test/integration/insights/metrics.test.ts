import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type Server } from '../../../adapters/serve.ts';
import { createServerDatabase, type TestDatabase } from '../../support/databases.ts';
import { startFakeOpenAI, userText, type FakeOpenAI } from '../../support/fakeOpenAI.ts';
import { startSlackWorkspace, type SlackWorkspace } from '../../support/slackWorkspace.ts';
import { CACHE_DIR, mentionEvent, postSlackEvent, waitUntil } from '../../support/reliabilityKit.ts';

/**
 * `kb serve` in Slack HTTP mode serves /metrics (behind METRICS_TOKEN) and /admin (behind
 * ADMIN_TOKEN) on the port Slack posts events to; after a few answers the counters moved.
 */
const SIGNING_SECRET = 'metrics-test-signing-secret-0042';
const METRICS_TOKEN = 'metrics-test-token-0123456789';
const ADMIN_TOKEN = 'metrics-test-admin-token-98765';
let fake: FakeOpenAI;
let slack: SlackWorkspace;
let database: TestDatabase;
let dataDir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.script = () => ({ text: 'It is in the sources [1].' });
  slack = await startSlackWorkspace();
  database = await createServerDatabase();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-metrics-'));
  server = await serve({
    DATABASE_URL: database.url,
    KB_DATA_DIR: dataDir,
    KB_CACHE_DIR: CACHE_DIR,
    EMBEDDINGS: 'local',
    OPENAI_BASE_URL: fake.baseUrl,
    LLM_MODEL: 'fake',
    LLM_MAX_RETRIES: '2',
    SLACK_BOT_TOKEN: 'xoxb-metrics-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    METRICS_TOKEN,
    ADMIN_TOKEN,
    PORT: '0',
    LOG_LEVEL: 'silent',
  });
  base = `http://127.0.0.1:${server.port()}`;
});

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await slack?.close();
  await fake?.close();
  await database?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function scrape(): Promise<string> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}

/** The value of one sample, e.g. value(text, 'kb_answers_total{platform="slack",outcome="answered"}'). */
function value(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(sample + ' '));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

const answered = () => slack.fake.callsTo('chat.update').filter((c) => JSON.stringify(c.args.blocks ?? []).includes('kb_answer_'));

describe('/metrics on kb serve\'s port', () => {
  it('needs METRICS_TOKEN when it is set', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
  });

  it('counts answers, refusals, latency, retrieval, cache hits, LLM errors and retries after a few questions', async () => {
    let failedOnce = false;
    // The VACUUM question's first model request fails with a 500: one LLM error, one retry.
    fake.script = (chat) => {
      if (userText(chat).includes('VACUUM') && !failedOnce) {
        failedOnce = true;
        return { status: 500, message: 'upstream hiccup' };
      }
      return { text: 'It is in the sources [1].' };
    };
    const before = await scrape();
    expect(value(before, 'kb_platform_connected{platform="slack"}')).toBe(1);
    expect(before).toMatch(/^process_cpu_user_seconds_total /m);
    expect(before).toMatch(/^nodejs_eventloop_lag_seconds /m);

    const questions = ['How do I create a partial index?', 'What does VACUUM do?', 'How do I create a partial index?', 'What is the airspeed of an unladen swallow?'];
    const posted = answered().length;
    for (const [i, q] of questions.entries()) {
      expect((await postSlackEvent(base, SIGNING_SECRET, mentionEvent(q, { channel: `C0M${i}` }))).status).toBe(200);
      await waitUntil(() => answered().length === posted + i + 1, `answer ${i + 1} to be posted`);
    }
    // The last update is posted just before the in-flight counter goes down.
    await waitUntil(async () => value(await scrape(), 'kb_answers_in_flight') === 0, 'nothing in flight');
    const after = await scrape();
    // What these questions added, whatever other tests asked before.
    const added = (sample: string) => value(after, sample) - value(before, sample);
    expect(added('kb_answers_total{platform="slack",outcome="answered"}')).toBe(3);
    expect(added('kb_answers_total{platform="slack",outcome="refused"}')).toBe(1);
    expect(added('kb_answer_duration_seconds_count{platform="slack"}')).toBe(4);
    expect(added('kb_retrieval_duration_seconds_count')).toBe(3);
    expect(added('kb_answer_cache_requests_total{result="hit"}')).toBe(1);
    expect(added('kb_answer_cache_requests_total{result="miss"}')).toBe(3);
    const [hits, misses] = [value(after, 'kb_answer_cache_requests_total{result="hit"}'), value(after, 'kb_answer_cache_requests_total{result="miss"}')];
    expect(value(after, 'kb_answer_cache_hit_ratio')).toBeCloseTo(hits / (hits + misses), 5);
    expect(added('kb_llm_requests_total{result="error"}')).toBe(1);
    expect(added('kb_llm_requests_total{result="ok"}')).toBe(2);
    expect(added('kb_llm_retries_total')).toBe(1);
  });

  it('serves /admin on the same port: 401 without the token, the page with it', async () => {
    expect((await fetch(`${base}/admin`)).status).toBe(401);
    const page = () => fetch(`${base}/admin?period=1d`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await page()).status).toBe(200);
    const posted = answered().length;
    const offTopic = 'Which knot ties a sailboat to the dock?';
    expect((await postSlackEvent(base, SIGNING_SECRET, mentionEvent(offTopic, { channel: 'C0ADMIN' }))).status).toBe(200);
    await waitUntil(() => answered().length === posted + 1, 'the refusal to be posted');
    // Recording is asynchronous by design: the refusal reaches the table a moment after its answer.
    await waitUntil(async () => (await (await page()).text()).includes(offTopic), 'the refusal to appear among the gaps');
  });
});
