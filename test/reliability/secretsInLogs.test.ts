import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordBot } from '../../adapters/discord/client.ts';
import { createSlackApp } from '../../adapters/slack/app.ts';
import { createApp } from '../../src/app.ts';
import { configSecrets, loadConfig } from '../../src/config.ts';
import { registerSecrets } from '../../src/logger.ts';
import { freePort, killServer, startRedisServer } from '../integration/cache/redisKit.ts';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { FakeDiscord, waitUntil as waitForDiscord } from '../support/fakeDiscord.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI.ts';
import { startSlackWorkspace, type SlackWorkspace } from '../support/slackWorkspace.ts';
import { CACHE_DIR, ROOT, captureLogs, mentionEvent, postSlackEvent, startTestApp, testEnv, waitUntil } from '../support/reliabilityKit.ts';

/**
 * Every credential the bot holds, used in a representative run at LOG_LEVEL=debug (ingest,
 * answers through Slack and Discord, an OpenAI provider that rejects the key and echoes it
 * back, an unreachable database URL with a password, Redis with a password), and then
 * searched for in every log line. None may appear.
 */
const rnd = () => randomBytes(12).toString('hex');
const secrets = {
  slackBot: `xoxb-1111-2222-${rnd()}`,
  slackApp: `xapp-1-A0APP-3333-${rnd()}`,
  signing: `signing${rnd()}`,
  discord: `MTExMTExMTExMTExMTExMTEx.Gabcde.${rnd()}`,
  openai: `sk-test-${rnd()}`,
  pgPassword: `pgpw${rnd()}`,
  redisPassword: `redispw${rnd()}`,
};
const forbidden = [...Object.values(secrets), 'xoxb-', 'xapp-', 'sk-test'];

let fake: FakeOpenAI;
let workspace: SlackWorkspace;
let discord: FakeDiscord;
let redisPort: number;
let redis: ChildProcess | undefined;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // A provider (or proxy) that rejects the key and quotes it back in the error message.
  fake.script = (chat) => ({ status: 401, message: `Incorrect API key provided: ${chat.authorization?.replace(/^Bearer /, '')}`, code: 'invalid_api_key' });
  workspace = await startSlackWorkspace();
  discord = await FakeDiscord.start();
  redisPort = await freePort(6410, 6414);
  redis = await startRedisServer(redisPort);
  const admin = new Redis({ port: redisPort });
  await admin.config('SET', 'requirepass', secrets.redisPassword);
  admin.disconnect();
});

afterAll(async () => {
  await workspace?.close();
  await discord?.stop();
  await fake?.close();
  await killServer(redis);
});

function secretEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPENAI_API_KEY: secrets.openai,
    OPENAI_BASE_URL: fake.baseUrl,
    LLM_MODEL: 'fake',
    LLM_MAX_RETRIES: '0',
    EMBEDDINGS: 'local',
    REDIS_URL: `redis://:${secrets.redisPassword}@127.0.0.1:${redisPort}`,
    SLACK_BOT_TOKEN: secrets.slackBot,
    SLACK_APP_TOKEN: secrets.slackApp,
    SLACK_SIGNING_SECRET: secrets.signing,
    SLACK_API_URL: workspace.apiUrl,
    DISCORD_TOKEN: secrets.discord,
    DISCORD_API_URL: discord.apiUrl,
    LOG_LEVEL: 'debug',
    RATE_LIMIT_BURST: '1000',
    ...extra,
  };
}

const withPassword = (url: string) => url.replace('postgres://postgres@', `postgres://postgres:${secrets.pgPassword}@`);

function leaked(lines: string[]): string[] {
  return forbidden.filter((s) => lines.some((l) => l.includes(s)));
}

describe('secrets in logs', () => {
  it('never writes a token, key or password in-process at LOG_LEVEL=debug', async () => {
    const logs = captureLogs('debug');
    const t = await startTestApp(secretEnv(), logs.logger, withPassword);
    try {
      await t.app.ensureSampleKnowledgeBase();
      const direct = await t.app.assistant.answer({ question: 'How do I create a partial index?', user: 'cli:me' });
      expect(direct.note).toMatch(/language model was unavailable/);

      // Slack as `kb serve` builds it: the plain bot token (auth.test), the signing secret.
      const slack = createSlackApp({ assistant: t.app.assistant, logger: logs.logger, config: { ...t.config.slack!, port: 0, host: '127.0.0.1' } });
      await slack.start();
      try {
        await postSlackEvent(`http://127.0.0.1:${slack.port()}`, secrets.signing, mentionEvent('What does VACUUM do?'));
        await postSlackEvent(`http://127.0.0.1:${slack.port()}`, 'a-wrong-signing-secret', mentionEvent('forged'));
        await waitUntil(() => workspace.fake.callsTo('chat.update').length >= 1, 'the Slack answer');
        expect(workspace.authTests).toContain(secrets.slackBot);
      } finally {
        await slack.stop();
      }

      const bot = createDiscordBot({ assistant: t.app.assistant, logger: logs.logger, config: t.config.discord! });
      await bot.start();
      try {
        discord.postMessage({ content: `<@${discord.bot.id}> What is MVCC?`, mentionBot: true });
        await waitForDiscord(() => discord.requests.some((r) => r.method === 'POST' && /\/messages$/.test(r.path) && r.path !== `/channels/${discord.channelId}/messages`), 10_000, 'the Discord answer');
        expect(discord.requests.some((r) => r.authorization === `Bot ${secrets.discord}`)).toBe(true);
      } finally {
        await bot.stop();
      }
    } finally {
      await t.close();
    }

    // Start-up failures are logged with their cause, as `kb serve` would.
    const badDb = loadConfig(testEnv(secretEnv({ DATABASE_URL: `postgres://kb:${secrets.pgPassword}@127.0.0.1:1/kb` })));
    registerSecrets(configSecrets(badDb));
    const dbErr = await createApp(badDb, logs.logger).catch((err: unknown) => err);
    expect(dbErr).toMatchObject({ code: 'db/unavailable' });
    logs.logger.error({ err: dbErr }, 'start-up failed');

    fake.embeddingsFailure = { status: 401, message: `Incorrect API key provided: ${secrets.openai}` };
    const database = await createServerDatabase();
    try {
      const badEmbeddings = loadConfig(testEnv(secretEnv({ DATABASE_URL: withPassword(database.url!), EMBEDDINGS: 'openai' })));
      const embErr = await createApp(badEmbeddings, logs.logger).catch((err: unknown) => err);
      expect(embErr).toMatchObject({ code: 'embeddings/unavailable' });
      logs.logger.error({ err: embErr }, 'start-up failed');
    } finally {
      fake.embeddingsFailure = undefined;
      await database.drop();
    }

    const text = logs.lines.join('');
    // The run really exercised each path that could leak...
    for (const msg of ['LLM answer failed; falling back to the extractive answer', 'slack: listening for events on /slack/events', 'discord: connected', 'start-up failed']) expect(text).toContain(msg);
    expect(text).toContain('[redacted]');
    expect(logs.lines.length).toBeGreaterThan(20);
    // ...and no secret reached a log line.
    expect(leaked(logs.lines)).toEqual([]);
  });

  it('never writes one to the output of `kb serve` (Slack + Discord) at LOG_LEVEL=debug', async () => {
    const database: TestDatabase = await createServerDatabase();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-secrets-'));
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KB_CACHE_DIR: CACHE_DIR, KB_DATA_DIR: dataDir, PORT: '0', DATABASE_URL: withPassword(database.url!), ...secretEnv() };
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'kb.js'), 'serve'], { cwd: dataDir, env });
    const out: string[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => out.push(d.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const port = await waitUntil(() => /health on :(\d+)\/healthz/.exec(out.join(''))?.[1], 'kb serve to start', 30_000, 50);
      const before = workspace.fake.callsTo('chat.update').length;
      await postSlackEvent(`http://127.0.0.1:${port}`, secrets.signing, mentionEvent('How does connection pooling help?'));
      await waitUntil(() => workspace.fake.callsTo('chat.update').length > before, 'the Slack answer from kb serve', 15_000);
    } finally {
      child.kill('SIGTERM');
      await exited;
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
    const lines = out.join('').split('\n');
    expect(lines.join('\n')).toContain('LLM answer failed');
    expect(leaked(lines)).toEqual([]);
  });
});
