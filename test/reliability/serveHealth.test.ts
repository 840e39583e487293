import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type Server } from '../../adapters/serve.ts';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { FakeDiscord } from '../support/fakeDiscord.ts';
import { startFakeOpenAI, userText, type FakeOpenAI } from '../support/fakeOpenAI.ts';
import { startSlackWorkspace, type SlackWorkspace } from '../support/slackWorkspace.ts';
import { TcpProxy } from '../support/tcpProxy.ts';
import { CACHE_DIR, ROOT, mentionEvent, postSlackEvent, waitUntil, watchCrashes } from '../support/reliabilityKit.ts';

/**
 * `kb serve`'s /healthz is one handler in every mode (Slack HTTP, where Bolt serves it, and
 * the plain health server of Socket Mode and Discord-only): 503 while draining and while
 * PostgreSQL does not answer. A port already in use is one clear error, not a crash.
 */
const SIGNING_SECRET = 'health-test-signing-secret-0042';
const crashes = watchCrashes();
const proxy = new TcpProxy({ host: '127.0.0.1', port: 5432 });
let fake: FakeOpenAI;
let slack: SlackWorkspace;
let discord: FakeDiscord;
let database: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // Slow, so a stop() lands while this answer is being written.
  fake.script = (chat) => (userText(chat).includes('partial index') ? { text: 'Add a WHERE clause to CREATE INDEX [1].', delayMs: 2500 } : { text: 'Other [1].' });
  slack = await startSlackWorkspace();
  discord = await FakeDiscord.start();
  database = await createServerDatabase();
  await proxy.start();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-health-'));
});

afterAll(async () => {
  await proxy.stop();
  await slack?.close();
  await discord?.stop();
  await fake?.close();
  await database?.drop();
  await fs.rm(dataDir, { recursive: true, force: true });
  crashes.dispose();
});

const slackEnv = { SLACK_BOT_TOKEN: 'xoxb-health-test-token', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: '' };
const discordEnv = { DISCORD_TOKEN: 'discord-health-test-token', DISCORD_API_URL: '' };

function env(adapters: Record<string, string>, port = '0'): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: database.url!.replace(':5432/', `:${proxy.port}/`),
    STATEMENT_TIMEOUT_MS: '2000',
    KB_DATA_DIR: dataDir,
    KB_CACHE_DIR: CACHE_DIR,
    EMBEDDINGS: 'local',
    OPENAI_BASE_URL: fake.baseUrl,
    LLM_MODEL: 'fake',
    LLM_TIMEOUT_MS: '10000',
    PORT: port,
    LOG_LEVEL: 'silent',
    ...adapters,
    ...('SLACK_API_URL' in adapters ? { SLACK_API_URL: slack.apiUrl } : {}),
    ...('DISCORD_API_URL' in adapters ? { DISCORD_API_URL: discord.apiUrl } : {}),
  };
}

async function health(server: Server): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${server.port()}/healthz`);
  return { status: res.status, body: await res.text() };
}

describe.each([
  ['Slack HTTP mode (Bolt serves /healthz)', slackEnv],
  ['Discord only (the plain health server)', discordEnv],
])('/healthz in %s', (_mode, adapters) => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await serve(env(adapters));
  });
  afterAll(async () => {
    await proxy.start();
    await server?.stop();
  });

  it('answers 200 ok while PostgreSQL answers', async () => {
    expect(await health(server!)).toEqual({ status: 200, body: 'ok' });
  });

  it('answers 503 while PostgreSQL is unreachable, and 200 again once it is back', async () => {
    await proxy.stop();
    try {
      expect(await health(server!)).toEqual({ status: 503, body: 'database unavailable' });
    } finally {
      await proxy.start();
    }
    expect(await waitUntil(async () => ((await health(server!)).status === 200 ? 'up' : undefined), 'health to recover')).toBe('up');
  });
});

describe('/healthz while draining, Slack HTTP mode', () => {
  it('answers 503 from the moment a stop begins, while the answer in flight is finished', async () => {
    const server = await serve(env(slackEnv));
    const base = `http://127.0.0.1:${server.port()}`;
    expect((await postSlackEvent(base, SIGNING_SECRET, mentionEvent('How do I create a partial index?', { channel: 'C0DRAIN' }))).status).toBe(200);
    await waitUntil(() => fake.chatsAbout('partial index').length > 0, 'the model to be asked');
    const stopping = server.stop('test');
    expect(await health(server)).toEqual({ status: 503, body: 'draining' });
    await stopping;
    expect(crashes.errors).toEqual([]);
  });
});

describe('a port already in use', () => {
  it.each([
    ['Slack HTTP mode', slackEnv],
    ['Discord only', discordEnv],
  ])('%s: fails with one line naming the port and PORT, and no crash', async (_mode, adapters) => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      const err = await serve(env(adapters, String(port))).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'config/invalid', userMessage: `Port ${port} is already in use (PORT): stop the process listening on it, or set PORT to a free port.` });
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    expect(crashes.errors).toEqual([]);
  });

  it.each([
    ['Slack HTTP mode', slackEnv],
    ['Discord only', discordEnv],
  ])('%s: the real `kb serve` process prints one line naming the port and PORT, no stack trace, and exits non-zero', async (_mode, adapters) => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    // LOG_LEVEL warn: the info lines of a normal start stay out, but a failure logged as a
    // warning or an error (with its stack) would be one more line on stderr.
    const childEnv = { ...env(adapters, String(port)), LOG_LEVEL: 'warn', PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'kb.js'), 'serve'], { cwd: dataDir, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    try {
      const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
      expect(code, stderr).not.toBe(0);
      expect(code, stderr).not.toBeNull();
      const lines = stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines, stderr).toEqual([`error: Port ${port} is already in use (PORT): stop the process listening on it, or set PORT to a free port.`]);
      expect(stderr).not.toMatch(/^\s*at /m);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await new Promise((r) => squatter.close(r));
    }
  }, 180_000);
});
