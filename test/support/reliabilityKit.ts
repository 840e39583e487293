import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDiscordBot, type DiscordBot } from '../../adapters/discord/client.ts';
import { createSlackApp } from '../../adapters/slack/app.ts';
import { createApp, type App } from '../../src/app.ts';
import type { Assistant } from '../../src/assistant/types.ts';
import { configSecrets, loadConfig, type Config } from '../../src/config.ts';
import { createLogger, registerSecrets, type Logger } from '../../src/logger.ts';
import { ADMIN_URL, createServerDatabase, type TestDatabase } from './databases.ts';
import { FakeDiscord } from './fakeDiscord.ts';
import { FakeSlack } from './fakeSlack.ts';

/**
 * Shared pieces of the reliability tests: an app built by the real composition root
 * against a fresh PostgreSQL database, log capture, and a handle on the server's
 * backends (pg_stat_activity / pg_terminate_backend) from an admin connection.
 */
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The converted GloVe table lives here already; sharing it keeps start-up fast. */
export const CACHE_DIR = path.join(ROOT, '.kb-data');

/** An environment for loadConfig: local embeddings, no LLM, no Redis, unless overridden. */
export function testEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { KB_CACHE_DIR: CACHE_DIR, KB_DATA_DIR: path.join(os.tmpdir(), 'kb-reliability-data'), EMBEDDINGS: 'local', ...overrides };
}

export interface CapturedLogs {
  logger: Logger;
  /** Every raw line pino wrote, exactly as it would reach a log file. */
  lines: string[];
  parsed(): Array<Record<string, unknown>>;
}

/** The project's logger writing into memory (at debug unless told). */
export function captureLogs(level = 'debug'): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (s: string) => void lines.push(s) } });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export interface TestApp {
  app: App;
  config: Config;
  database: TestDatabase;
  dbName: string;
  close(): Promise<void>;
}

/**
 * createApp over a fresh database. DATABASE_URL is that database's URL, passed through
 * `route` when given (e.g. to send it through a proxy or to add a password).
 */
export async function startTestApp(env: Record<string, string | undefined> = {}, logger: Logger = captureLogs('silent').logger, route: (url: string) => string = (u) => u): Promise<TestApp> {
  const database = await createServerDatabase();
  const url = route(database.url!);
  const config = loadConfig(testEnv({ ...env, DATABASE_URL: url }));
  registerSecrets(configSecrets(config));
  try {
    const app = await createApp(config, logger);
    return {
      app,
      config,
      database,
      dbName: databaseName(database.url!),
      async close() {
        await app.close();
        await database.drop();
      },
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}

export function databaseName(url: string): string {
  return new URL(url).pathname.slice(1);
}

/** Runs one statement on the server's `postgres` database as the superuser. */
export async function adminQuery<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
  const admin = new pg.Client({ connectionString: ADMIN_URL, application_name: 'kb-test-admin' });
  await admin.connect();
  try {
    return (await admin.query<R>(sql, params)).rows;
  } finally {
    await admin.end();
  }
}

export interface Backend {
  pid: number;
  state: string | null;
  query: string;
}

/** The bot's own connections ('kb-bot') to one database. */
export function kbBackends(dbName: string): Promise<Backend[]> {
  return adminQuery<Backend>("SELECT pid, state, query FROM pg_stat_activity WHERE datname = $1 AND application_name = 'kb-bot' ORDER BY pid", [dbName]);
}

/** Terminates the bot's backends on `dbName` (those matching `state` when given); returns how many. */
export async function terminateKbBackends(dbName: string, state?: string): Promise<number> {
  const rows = await adminQuery<{ ok: boolean }>(
    "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = 'kb-bot' AND ($2::text IS NULL OR state = $2)",
    [dbName, state ?? null],
  );
  return rows.filter((r) => r.ok).length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns something truthy; throws after `timeoutMs`. */
export async function waitUntil<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Resolves with the value or the error a promise settled with. */
export async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A temporary folder holding `files` (relative path → content). */
export async function writeFolder(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-rel-'));
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}

/**
 * Records uncaught exceptions and unhandled rejections while a test runs, so "the process
 * does not crash" is an assertion rather than a hope.
 */
export function watchCrashes(): { errors: unknown[]; dispose(): void } {
  const errors: unknown[] = [];
  const onError = (err: unknown) => void errors.push(err);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    errors,
    dispose() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    },
  };
}

/** Signs `body` as Slack does and POSTs it to `${base}/slack/events`. */
async function signedSlackPost(base: string, signingSecret: string, body: string, contentType: string): Promise<{ status: number; text: string }> {
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
  const res = await fetch(`${base}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature },
    body,
  });
  return { status: res.status, text: await res.text() };
}

/** Signs and POSTs a Slack Events API envelope to `${base}/slack/events`. */
export function postSlackEvent(base: string, signingSecret: string, event: Record<string, unknown>, eventId = `Ev${Math.random().toString(36).slice(2)}`): Promise<{ status: number; text: string }> {
  const body = JSON.stringify({ token: 'legacy', team_id: 'T0TEAM', api_app_id: 'A0APP', type: 'event_callback', event_id: eventId, event_time: Math.floor(Date.now() / 1000), event });
  return signedSlackPost(base, signingSecret, body, 'application/json');
}

let commandSeq = 0;
/** Signs and POSTs a slash command (form-encoded, as Slack sends it) to `${base}/slack/events`. */
export function postSlackCommand(base: string, signingSecret: string, fields: { text: string; channel_id: string; response_url: string; user_id?: string }): Promise<{ status: number; text: string }> {
  const body = new URLSearchParams({ token: 'legacy', team_id: 'T0TEAM', team_domain: 'example', channel_name: 'general', user_id: 'U0ASKER', user_name: 'asker', command: '/ask', api_app_id: 'A0APP', trigger_id: `trig.rel.${++commandSeq}`, ...fields });
  return signedSlackPost(base, signingSecret, body.toString(), 'application/x-www-form-urlencoded');
}

let mentionSeq = 0;
/** An app_mention event from `user` in `channel` (a fresh ts each time, so a fresh thread). */
export function mentionEvent(text: string, opts: { user?: string; channel?: string; botUserId?: string; ts?: string; thread_ts?: string } = {}): Record<string, unknown> {
  const ts = opts.ts ?? `1700${String(100000 + ++mentionSeq)}.000100`;
  return { type: 'app_mention', user: opts.user ?? 'U0ASKER', text: `<@${opts.botUserId ?? 'U0BOT'}> ${text}`, ts, event_ts: ts, channel: opts.channel ?? 'C0GENERAL', ...(opts.thread_ts ? { thread_ts: opts.thread_ts } : {}) };
}

export interface SlackFront {
  /** http://127.0.0.1:port, for postSlackEvent. */
  base: string;
  signingSecret: string;
  stop(): Promise<void>;
}

/**
 * The real Bolt app from adapters/slack over `assistant`, on 127.0.0.1:0, talking to a
 * FakeSlack (with an injected authorize, so no auth.test), as the Slack adapter tests do.
 */
export async function startSlackFront(assistant: Assistant, fake: FakeSlack, logger: Logger, opts: { channelScopes?: Record<string, string[]>; botToken?: string; signingSecret?: string } = {}): Promise<SlackFront> {
  const signingSecret = opts.signingSecret ?? 'reliability-signing-secret-0001';
  const botToken = opts.botToken ?? 'xoxb-reliability-test';
  const slack = createSlackApp({
    assistant,
    logger,
    config: { botToken, signingSecret, apiUrl: fake.apiUrl, command: '/ask', replyPrivately: false, channelScopes: opts.channelScopes ?? {}, port: 0, host: '127.0.0.1' },
    authorize: async () => ({ botToken, botId: fake.bot.botId, botUserId: fake.bot.userId, teamId: 'T0TEAM' }),
    clientOptions: { retryConfig: { retries: 2, factor: 1, minTimeout: 5, maxTimeout: 20 } },
  });
  await slack.start();
  return { base: `http://127.0.0.1:${slack.port()}`, signingSecret, stop: () => slack.stop() };
}

export interface ChatFronts {
  slackApi: FakeSlack;
  front: SlackFront;
  discord: FakeDiscord;
  bot: DiscordBot;
  stop(): Promise<void>;
}

/** Both chat adapters over `assistant`: the Bolt app (startSlackFront) and the discord.js bot, each against its local stand-in. */
export async function startChatFronts(assistant: Assistant, logger: Logger): Promise<ChatFronts> {
  const slackApi = await new FakeSlack().start();
  const front = await startSlackFront(assistant, slackApi, logger);
  const discord = await FakeDiscord.start();
  const bot = createDiscordBot({ assistant, logger, config: { token: 'fake-discord-bot-token', apiUrl: discord.apiUrl, channelScopes: {} } });
  await bot.start();
  return {
    slackApi,
    front,
    discord,
    bot,
    async stop() {
      await bot.stop();
      await discord.stop();
      await front.stop();
      await slackApi.close();
    },
  };
}
