import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type Server } from '../../adapters/serve.ts';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { startFakeOpenAI, userText, type FakeOpenAI } from '../support/fakeOpenAI.ts';
import { allTexts } from '../adapters/slack/harness.ts';
import { startSlackWorkspace, type SlackWorkspace } from '../support/slackWorkspace.ts';
import { CACHE_DIR, databaseName, kbBackends, mentionEvent, postSlackEvent, sleep, waitUntil, watchCrashes } from '../support/reliabilityKit.ts';
import { DRAFT_NOTE, PLACEHOLDER_TEXT } from '../../adapters/slack/render.ts';

/**
 * `kb serve` stopping (SIGTERM in production, stop() here): an answer already being
 * written is still posted, events arriving after the stop get no answer, and the process
 * leaves no database connection behind.
 */
const SIGNING_SECRET = 'shutdown-test-signing-secret-42';
const crashes = watchCrashes();
let fake: FakeOpenAI;
let slack: SlackWorkspace;
let database: TestDatabase;
let dataDir: string;
let server: Server | undefined;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // Slow enough that stop() lands while the answer is being written.
  fake.script = (chat) => (userText(chat).includes('partial index') ? { text: 'Add a WHERE clause to CREATE INDEX [1].', delayMs: 1500 } : { text: 'Unexpected question [1].' });
  slack = await startSlackWorkspace();
  database = await createServerDatabase();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-serve-'));
  server = await serve({
    DATABASE_URL: database.url,
    KB_DATA_DIR: dataDir,
    KB_CACHE_DIR: CACHE_DIR,
    EMBEDDINGS: 'local',
    OPENAI_BASE_URL: fake.baseUrl,
    LLM_MODEL: 'fake',
    LLM_TIMEOUT_MS: '10000',
    SLACK_BOT_TOKEN: 'xoxb-shutdown-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await slack?.close();
  await fake?.close();
  await database?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
  crashes.dispose();
});

/** Final answers posted: updates carrying the answer's buttons, not the streamed drafts before them. */
const answerUpdates = () =>
  slack.fake.callsTo('chat.update').filter((c) => JSON.stringify(c.args.blocks ?? []).includes('kb_answer_') && !allTexts(c.args).some((t) => t.includes(DRAFT_NOTE)));

describe('kb serve shutting down', () => {
  it('finishes the answer in flight, answers nothing new, and closes its database pool', async () => {
    const base = `http://127.0.0.1:${server!.port()}`;
    const first = await postSlackEvent(base, SIGNING_SECRET, mentionEvent('How do I create a partial index?', { channel: 'C0ONE' }));
    expect(first.status).toBe(200);
    await waitUntil(() => fake.chatsAbout('partial index').length === 1, 'the model to be asked');
    expect(await kbBackends(databaseName(database.url!))).not.toHaveLength(0);

    const callsBeforeStop = slack.fake.calls.length;
    const stopping = server!.stop('test');
    await sleep(50);
    // A question arriving during the drain: refused at the door or told to ask again, never answered.
    const late = await postSlackEvent(base, SIGNING_SECRET, mentionEvent('What does VACUUM do?', { channel: 'C0TWO' })).catch((err: unknown) => ({ status: 0, text: String(err) }));
    await stopping;
    server = undefined;

    // The answer computed before the stop is delivered (its post may trail stop() by a moment).
    const posted = await waitUntil(() => answerUpdates().find((c) => c.args.channel === 'C0ONE'), 'the in-flight answer to be posted', 5000);
    expect(allTexts(posted.args).join('\n')).toContain('Add a WHERE clause to CREATE INDEX [1].');
    expect(slack.fake.calls.indexOf(posted)).toBeGreaterThanOrEqual(callsBeforeStop);
    await sleep(200);
    expect(answerUpdates()).toHaveLength(1);

    expect(fake.chatsAbout('VACUUM')).toHaveLength(0);
    const toTwo = slack.fake.calls.filter((c) => c.args.channel === 'C0TWO');
    expect(toTwo.every((c) => !JSON.stringify(c.args).includes('kb_answer_'))).toBe(true);
    if (late.status === 200) {
      // Accepted during the drain: the asker is told to ask again, not left with a spinner.
      // Turned away at admission: the notice alone, no placeholder first.
      const notice = await waitUntil(() => slack.fake.messages.find((m) => m.channel === 'C0TWO' && m.text !== PLACEHOLDER_TEXT), 'the notice to the late asker');
      expect(allTexts(notice).join('\n')).toMatch(/restarting/i);
      expect(slack.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0TWO' && c.args.text === PLACEHOLDER_TEXT)).toEqual([]);
    }

    const left = await waitUntil(async () => ((await kbBackends(databaseName(database.url!))).length === 0 ? 'none' : undefined), 'the pool to close', 5000, 50);
    expect(left).toBe('none');
    expect(crashes.errors).toEqual([]);
  });
});
