import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InteractionRow } from '../../../src/insights/types.ts';
import { captureLogs, startTestApp, waitUntil, type TestApp } from '../../support/reliabilityKit.ts';

/**
 * Every question goes to the interactions table (real PostgreSQL): hashed ids, outcome,
 * sources, latency, cache hits, feedback; a failing write never fails the answer; old rows
 * are deleted by the running process.
 */
const HASH_KEY = 'interactions-test-hash-key-0123456789';
let t: TestApp | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function start(env: Record<string, string> = {}, logger = captureLogs('silent').logger): Promise<TestApp> {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-interactions-'));
  t = await startTestApp({ KB_DATA_DIR: dataDir, INTERACTIONS_HASH_KEY: HASH_KEY, ...env }, logger);
  await t.app.ensureSampleKnowledgeBase();
  return t;
}

type Row = InteractionRow & { id: string; feedback: string | null };
async function rows(app: TestApp['app']): Promise<Row[]> {
  await app.recorder!.flush();
  return (await app.db.query<Row>('SELECT * FROM interactions ORDER BY id')).rows;
}

const conversation = { platform: 'slack' as const, channel: 'C0CHAN', thread: '1700000000.000100' };

describe('recording interactions', () => {
  it('records answered and refused questions with keyed hashes instead of platform ids', async () => {
    const { app } = await start();
    const answered = await app.assistant.answer({ question: 'How do I create a partial index?', user: 'slack:U0ALICE', conversation });
    const refused = await app.assistant.answer({ question: 'What is the airspeed of an unladen swallow?', user: 'slack:U0ALICE' });
    expect(answered.refused).toBe(false);
    expect(refused.refused).toBe(true);
    const [a, r] = await rows(app);
    expect(a).toMatchObject({ platform: 'slack', outcome: 'answered', question: 'How do I create a partial index?', collections: ['default'], cache_hit: false, degraded: false });
    expect(a!.user_hash).toBe(createHmac('sha256', HASH_KEY).update('slack:U0ALICE').digest('hex').slice(0, 32));
    expect(a!.conversation_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(a)).not.toContain('U0ALICE');
    expect(JSON.stringify(a)).not.toContain('C0CHAN');
    expect(a!.sources.length).toBe(answered.citations.length);
    expect(a!.sources[0]).toMatchObject({ title: answered.citations[0]!.title, location: answered.citations[0]!.location });
    // A latency is recorded; how long it was depends on the machine, so only that it is one.
    expect(a!.latency_ms).toBeGreaterThanOrEqual(0);
    expect(a!.confidence).toBeCloseTo(answered.confidence, 5);
    expect(r).toMatchObject({ outcome: 'refused', conversation_hash: null, sources: [] });
  });

  it('marks a cache hit, a rate-limited question and the 👎 given to an answer', async () => {
    const { app } = await start({ RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_MINUTE: '1' });
    const q = 'What does VACUUM do?';
    await app.assistant.answer({ question: q, user: 'discord:42' });
    expect((await app.assistant.answer({ question: q, user: 'discord:42' })).cached).toBe(true);
    await expect(app.assistant.answer({ question: q, user: 'discord:42' })).rejects.toMatchObject({ code: 'rate/limited' });
    await app.assistant.recordFeedback({ platform: 'discord', vote: 'down', answerId: 'rec-vacuum', question: q, answer: 'x', citations: [], user: '42', channel: 'c' });
    const marked = await waitUntil(async () => (await rows(app)).find((x) => x.feedback === 'down'), 'the vote to reach the interaction');
    const all = await rows(app);
    expect(all.map((x) => [x.outcome, x.cache_hit])).toEqual([
      ['answered', false],
      ['answered', true],
      ['rate_limited', false],
    ]);
    expect(marked.id).toBe(all[1]!.id);
  });

  it('still answers when the write fails, and logs that the rows were dropped', async () => {
    const logs = captureLogs('warn');
    const { app } = await start({}, logs.logger);
    await app.db.query('ALTER TABLE interactions RENAME TO interactions_gone');
    const a = await app.assistant.answer({ question: 'How do I create a partial index?', user: 'slack:U0BOB' });
    expect(a.refused).toBe(false);
    await app.recorder!.flush();
    expect(logs.parsed().some((l) => l.msg === 'could not record interactions; dropped them' && l.dropped === 1)).toBe(true);
    await app.db.query('ALTER TABLE interactions_gone RENAME TO interactions');
  });

  it('deletes rows older than INTERACTIONS_RETENTION_DAYS once the server runs', async () => {
    const { app } = await start({ INTERACTIONS_RETENTION_DAYS: '30' });
    const insert = "INSERT INTO interactions (created_at, platform, user_hash, collections, question, standalone_question, outcome, latency_ms) VALUES (now() - make_interval(days => $1), 'slack', 'h', '{default}', $2, $2, 'answered', 10)";
    await app.db.query(insert, [31, 'old question']);
    await app.db.query(insert, [29, 'recent question']);
    app.recorder!.startRetention();
    await waitUntil(async () => !(await rows(app)).some((r) => r.question === 'old question'), 'the old row to be deleted');
    expect((await rows(app)).map((r) => r.question)).toEqual(['recent question']);
  });

  it('records nothing with INTERACTIONS_RECORDING=off', async () => {
    const { app } = await start({ INTERACTIONS_RECORDING: 'off' });
    await app.assistant.answer({ question: 'What does VACUUM do?', user: 'slack:U0CAROL' });
    expect(app.recorder).toBeUndefined();
    expect((await app.db.query('SELECT count(*)::int AS n FROM interactions')).rows[0]).toEqual({ n: 0 });
  });
});
