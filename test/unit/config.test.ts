import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger, registerSecrets } from '../../src/logger.ts';

describe('configuration', () => {
  it('runs with no settings at all: embedded database, local embeddings, no LLM', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.embeddings.provider).toBe('local');
    expect(c.llm).toBeUndefined();
  });
  it('says what to do when a variable is wrong', () => {
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_SIGNING_SECRET is missing: copy it from Basic Information/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL: must start with postgres/);
    expect(() => loadConfig({ SLACK_CHANNEL_SCOPES: '{nope' })).toThrow(/SLACK_CHANNEL_SCOPES/);
  });
  it('takes a chunk overlap up to half a chunk, and none by default', () => {
    expect(loadConfig({}).chunking.overlapChars).toBe(0);
    expect(loadConfig({ CHUNK_OVERLAP_CHARS: '150' }).chunking).toEqual({ maxChars: 1400, overlapChars: 150 });
    expect(() => loadConfig({ CHUNK_OVERLAP_CHARS: '900' })).toThrow(/CHUNK_OVERLAP_CHARS/);
  });
  it('crawls web sites two pages at a time, 250 ms apart, 10 s per page unless WEB_* say otherwise, and refuses values out of range', () => {
    expect(loadConfig({}).web).toEqual({ concurrency: 2, delayMs: 250, timeoutMs: 10_000 });
    expect(loadConfig({ WEB_CONCURRENCY: '4', WEB_DELAY_MS: '0', WEB_TIMEOUT_MS: '30000' }).web).toEqual({ concurrency: 4, delayMs: 0, timeoutMs: 30_000 });
    expect(() => loadConfig({ WEB_CONCURRENCY: '0' })).toThrow(/WEB_CONCURRENCY/);
    expect(() => loadConfig({ WEB_DELAY_MS: '-5' })).toThrow(/WEB_DELAY_MS/);
    expect(() => loadConfig({ WEB_TIMEOUT_MS: 'soon' })).toThrow(/WEB_TIMEOUT_MS/);
  });
  it('uses OpenAI for answers and embeddings when a key is set', () => {
    const c = loadConfig({ OPENAI_API_KEY: 'sk-test-123456' });
    expect(c.llm?.model).toBe('gpt-4o-mini');
    expect(c.embeddings).toEqual({ provider: 'openai', model: 'text-embedding-3-small' });
  });
  it('streams answers with at most one update a second by default, and refuses a faster rate', () => {
    expect(loadConfig({}).streamUpdateMs).toBe(1000);
    expect(loadConfig({ STREAM_UPDATE_MS: '0' }).streamUpdateMs).toBe(0);
    expect(loadConfig({ STREAM_UPDATE_MS: '2500' }).streamUpdateMs).toBe(2500);
    expect(() => loadConfig({ STREAM_UPDATE_MS: '200' })).toThrow(/STREAM_UPDATE_MS: must be 0 \(no streaming\) or between 1000 and 60000 milliseconds/);
  });
  it("bounds the model's output and the answers worked on at once", () => {
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test-123456' }).llm?.maxTokens).toBe(1024);
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test-123456', LLM_MAX_TOKENS: '300' }).llm?.maxTokens).toBe(300);
    expect(() => loadConfig({ LLM_MAX_TOKENS: 'lots' })).toThrow(/LLM_MAX_TOKENS/);
    expect(loadConfig({}).limits.maxConcurrentAnswers).toBe(8);
    expect(loadConfig({ MAX_CONCURRENT_ANSWERS: '2' }).limits.maxConcurrentAnswers).toBe(2);
    expect(() => loadConfig({ MAX_CONCURRENT_ANSWERS: '0' })).toThrow(/MAX_CONCURRENT_ANSWERS/);
  });
});

describe('logging', () => {
  it('never writes tokens, secrets or connection passwords', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
    registerSecrets(['my-signing-secret-value']);
    const log = createLogger({ level: 'debug', destination: sink });
    log.info({ token: 'xoxb-123-456-abc', url: 'postgres://app:hunter2@db:5432/kb' }, 'using sk-abcdefghijk and xapp-1-XYZ');
    log.warn({ err: new Error('bad signature my-signing-secret-value') }, 'oops');
    const all = lines.join('');
    for (const secret of ['xoxb-123', 'hunter2', 'sk-abcdefghijk', 'xapp-1-XYZ', 'my-signing-secret-value']) expect(all).not.toContain(secret);
    expect(all).toContain('postgres://app:[redacted]@db:5432/kb');
  });
});

describe('chat feature settings', () => {
  it('parses support channels and their question rules, refusing ids that are not ids', () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_SUPPORT_CHANNELS: 'C0123ABC, G0456DEF', SUPPORT_REQUIRE_QUESTION_MARK: 'false', SUPPORT_MIN_CHARS: '30' });
    expect(c.slack?.supportChannels).toEqual(['C0123ABC', 'G0456DEF']);
    expect(c.slack?.support).toEqual({ minChars: 30, requireQuestionMark: false, reactWhenUnsure: true });
    expect(() => loadConfig({ DISCORD_TOKEN: 't', DISCORD_SUPPORT_CHANNELS: '#help' })).toThrow(/DISCORD_SUPPORT_CHANNELS\.0: each entry must be a numeric Discord id/);
  });

  it('parses hand-off responders and private Discord replies', () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_HANDOFF_RESPONDERS: 'U0ONCALL,S0DBAS', DISCORD_TOKEN: 't', DISCORD_HANDOFF_ROLES: '123456789012345678', DISCORD_REPLY_PRIVATELY: 'true' });
    expect(c.slack?.handoffResponders).toEqual(['U0ONCALL', 'S0DBAS']);
    expect(c.discord).toMatchObject({ replyPrivately: true, handoff: { users: [], roles: ['123456789012345678'] } });
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_HANDOFF_RESPONDERS: 'C0CHANNEL' })).toThrow(/SLACK_HANDOFF_RESPONDERS\.0: each entry must be a Slack user id/);
  });
});
