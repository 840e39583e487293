import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { FakeDiscord } from '../support/fakeDiscord.ts';
import { startFakeOpenAI, userText, type FakeOpenAI } from '../support/fakeOpenAI.ts';
import { startSlackWorkspace, type SlackWorkspace } from '../support/slackWorkspace.ts';
import { CACHE_DIR, ROOT, mentionEvent, postSlackEvent, sleep, waitUntil } from '../support/reliabilityKit.ts';

/**
 * A real `kb serve` process with Slack (HTTP) and Discord configured gets SIGTERM, idle and
 * while an answer is being written whose model call would outlast the shutdown window, and
 * exits by itself with status 0. (Before, a model request or a socket still open kept a
 * stopped process alive: listener closed, process running.)
 */
const SIGNING_SECRET = 'sigterm-test-signing-secret-0042';
/** Far beyond the 10 s window, so only a process that never exits fails the wait. */
const EXIT_WAIT_MS = 30_000;
let fake: FakeOpenAI;
let slack: SlackWorkspace;
let discord: FakeDiscord;
let database: TestDatabase;
let dataDir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // The model takes two minutes: the answer is still being written when the window closes.
  fake.script = (chat) => (userText(chat).includes('partial index') ? { text: 'Add a WHERE clause [1].', delayMs: 120_000 } : { text: 'Other [1].' });
  slack = await startSlackWorkspace();
  discord = await FakeDiscord.start();
  database = await createServerDatabase();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-sigterm-'));
});

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

afterAll(async () => {
  await slack?.close();
  await discord?.stop();
  await fake?.close();
  await database?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function startServe(): Promise<{ port: string; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATABASE_URL: database.url!,
    KB_DATA_DIR: dataDir,
    KB_CACHE_DIR: CACHE_DIR,
    EMBEDDINGS: 'local',
    OPENAI_BASE_URL: fake.baseUrl,
    LLM_MODEL: 'fake',
    LLM_TIMEOUT_MS: '180000',
    LLM_MAX_RETRIES: '0',
    SLACK_BOT_TOKEN: 'xoxb-sigterm-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    DISCORD_TOKEN: 'discord-sigterm-test-token',
    DISCORD_API_URL: discord.apiUrl,
    PORT: '0',
    LOG_LEVEL: 'info',
  };
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'kb.js'), 'serve'], { cwd: dataDir, env });
  child = proc;
  const out: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => out.push(d.toString('utf8')));
  proc.stderr!.on('data', (d: Buffer) => out.push(d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  // stdout (the "running" line) and stderr (the log, with "discord: connected") are separate pipes,
  // so the test may read one before the other: wait for both.
  const started = () => {
    const text = out.join('');
    const p = /health on :(\d+)\/healthz/.exec(text)?.[1];
    return p && text.includes('discord: connected') ? p : undefined;
  };
  const port = await waitUntil(() => started() ?? (proc.exitCode !== null ? 'exited' : undefined), 'kb serve to start', 120_000, 50);
  expect(port, out.join('')).not.toBe('exited');
  expect(out.join('')).toContain('discord: connected');
  return { port, output: () => out.join(''), exited };
}

const exitOrTimeout = (exited: Promise<unknown>) => Promise.race([exited, sleep(EXIT_WAIT_MS).then(() => 'still running')]);

describe('kb serve and SIGTERM (Slack and Discord configured)', () => {
  it('exits with status 0 when stopped while idle', async () => {
    const serve = await startServe();
    child!.kill('SIGTERM');
    expect(await exitOrTimeout(serve.exited)).toEqual({ code: 0, signal: null });
    expect(serve.output()).toContain('"msg":"stopped"');
  }, 180_000);

  it('exits with status 0 when stopped while an answer waits on a model that would take minutes', async () => {
    const serve = await startServe();
    expect((await postSlackEvent(`http://127.0.0.1:${serve.port}`, SIGNING_SECRET, mentionEvent('How do I create a partial index?'))).status).toBe(200);
    await waitUntil(() => fake.chatsAbout('partial index').length > 0, 'the model to be asked', 30_000);
    child!.kill('SIGTERM');
    expect(await exitOrTimeout(serve.exited)).toEqual({ code: 0, signal: null });
    expect(serve.output()).toContain('answers still in flight after the grace period');
  }, 180_000);
});
