import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACEHOLDER_TEXT } from '../../adapters/slack/render.ts';
import { KbError } from '../../src/errors.ts';
import { allTexts } from '../adapters/slack/harness.ts';
import { type FakeDiscord, waitUntil as waitForDiscord } from '../support/fakeDiscord.ts';
import { startFakeOpenAI, systemText, type FakeOpenAI } from '../support/fakeOpenAI.ts';
import type { FakeSlack } from '../support/fakeSlack.ts';
import { captureLogs, mentionEvent, postSlackEvent, startChatFronts, startTestApp, waitUntil, watchCrashes, type ChatFronts, type SlackFront, type TestApp } from '../support/reliabilityKit.ts';
import { deferred } from '../support/deferred.ts';

/**
 * Limits beyond the per-user rate: the answers one process works on at once
 * (MAX_CONCURRENT_ANSWERS, the others wait in a bounded line), the model's output budget
 * (LLM_MAX_TOKENS), at most three Discord messages per answer, and the rate limit applied
 * before anything is shown (no placeholder, no thread, no "thinking…" for a turned-away question).
 */
const crashes = watchCrashes();
const logs = captureLogs('silent');
const MAX_TOKENS = 321;
let fake: FakeOpenAI;
let t: TestApp;
let slackApi: FakeSlack;
let front: SlackFront;
let discord: FakeDiscord;
let chat: ChatFronts;
/** While set, the model's answers wait for it (a paused model). */
let paused: Promise<void> | undefined;
/** The model's answer text. */
let modelText = 'Partial indexes cover only the rows that match a predicate [1].';

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.script = (chat) => (systemText(chat) ? { text: modelText, ...(paused ? { after: paused } : {}) } : { text: 'What is a partial index?' });
  t = await startTestApp(
    { OPENAI_BASE_URL: fake.baseUrl, LLM_MODEL: 'fake', LLM_MAX_TOKENS: String(MAX_TOKENS), MAX_CONCURRENT_ANSWERS: '1', RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '2' },
    logs.logger,
  );
  await t.app.ensureSampleKnowledgeBase();
  chat = await startChatFronts(t.app.assistant, logs.logger);
  ({ slackApi, front, discord } = chat);
});

afterAll(async () => {
  await chat?.stop();
  await t?.close();
  await fake?.close();
  crashes.dispose();
});

let users = 0;
const freshUser = () => `slack:ULIMIT${++users}`;

describe('LLM_MAX_TOKENS', () => {
  it('is sent as the output budget of every model request', async () => {
    const before = fake.chats.length;
    const a = await t.app.assistant.answer({ question: 'What is a partial index?', user: freshUser() });
    expect(a.note).toBeUndefined();
    const chats = fake.chats.slice(before);
    expect(chats.length).toBeGreaterThan(0);
    for (const chat of chats) expect(chat.maxTokens).toBe(MAX_TOKENS);
  });
});

describe('MAX_CONCURRENT_ANSWERS', () => {
  it('works on one answer at a time, lines up four more, and tells the next one the bot is busy (Slack: no placeholder)', async () => {
    const gate = deferred();
    paused = gate.promise;
    const maxBefore = fake.maxInFlight;
    fake.maxInFlight = 0;
    try {
      const asked = Array.from({ length: 6 }, (_, i) =>
        t.app.assistant.answer({ question: `What is a partial index? (${i})`, user: freshUser() }).then(
          (answer) => ({ ok: true as const, answer }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
      );
      const settled: Array<Awaited<(typeof asked)[number]>> = [];
      for (const a of asked) void a.then((r) => settled.push(r));
      // One answer is at the (paused) model, four wait for its slot: the sixth is turned away at once.
      const busy = await waitUntil(() => settled.find((r) => !r.ok), 'a question turned away as busy');
      expect(busy.ok).toBe(false);
      if (!busy.ok) expect(busy.error).toMatchObject({ code: 'service/busy', userMessage: "I'm answering a lot of questions right now; please ask again in a minute." });
      expect(busy.ok ? undefined : busy.error).toBeInstanceOf(KbError);

      // A Slack mention now is turned away before anything is posted for it: only the reason.
      const res = await postSlackEvent(front.base, front.signingSecret, mentionEvent('What does VACUUM do?', { user: 'UBUSY', botUserId: slackApi.bot.userId }));
      expect(res.status).toBe(200);
      await waitUntil(() => slackApi.callsTo('chat.postMessage').some((c) => allTexts(c.args).join('\n').includes('answering a lot of questions')), 'the busy notice');
      expect(slackApi.callsTo('chat.postMessage').filter((c) => c.args.text === PLACEHOLDER_TEXT)).toEqual([]);

      gate.resolve();
      const results = await Promise.all(asked);
      expect(results.filter((r) => r.ok)).toHaveLength(5);
      for (const r of results) if (r.ok) expect(r.answer.note).toBeUndefined();
      expect(fake.maxInFlight).toBe(1);
    } finally {
      paused = undefined;
      gate.resolve();
      fake.maxInFlight = Math.max(fake.maxInFlight, maxBefore);
    }
  });
});

describe('the per-user rate limit comes before anything is shown', () => {
  /** Uses up a user's burst (2) through the core, as two earlier questions would (if not used up already). */
  async function exhaust(user: string): Promise<void> {
    for (let i = 0; i < 2; i++) {
      await t.app.assistant.answer({ question: 'What does VACUUM do?', user }).catch((err: unknown) => {
        if ((err as KbError).code !== 'rate/limited') throw err;
      });
    }
    await expect(t.app.assistant.answer({ question: 'What does VACUUM do?', user })).rejects.toMatchObject({ code: 'rate/limited' });
  }

  it('Slack: a mention from a user over the limit gets only "You\'re asking quickly", with no placeholder', async () => {
    await exhaust('slack:UOVER');
    const ts = '1701234567.000100';
    const posted = () => slackApi.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === ts);
    const res = await postSlackEvent(front.base, front.signingSecret, mentionEvent('What is a partial index?', { user: 'UOVER', ts, botUserId: slackApi.bot.userId }));
    expect(res.status).toBe(200);
    await waitUntil(() => posted().length > 0, 'the reply in the thread');
    expect(posted()).toHaveLength(1);
    expect(allTexts(posted()[0]!.args).join('\n')).toMatch(/You're asking quickly — try again in \d+ seconds?\./);
    expect(posted()[0]!.args.text).not.toBe(PLACEHOLDER_TEXT);
  });

  it('Discord: a mention from a user over the limit starts no thread and shows no typing; the reason is a reply', async () => {
    await exhaust(`discord:${discord.human.id}`);
    const requestsBefore = discord.requests.length;
    const msg = discord.postMessage({ content: `<@${discord.bot.id}> What is a partial index?`, mentionBot: true });
    const reply = await waitForDiscord(() => discord.requests.slice(requestsBefore).find((r) => r.method === 'POST' && r.path === `/channels/${discord.channelId}/messages`), 10_000, 'the reply');
    expect(String(reply.body.content)).toMatch(/You're asking quickly — try again in \d+ seconds?\./);
    expect(reply.body.message_reference?.message_id).toBe(msg.id);
    const after = discord.requests.slice(requestsBefore);
    expect(after.filter((r) => /\/threads$/.test(r.path))).toEqual([]);
    expect(after.filter((r) => /\/typing$/.test(r.path))).toEqual([]);
    expect(discord.threads.filter((th) => th.messageId === msg.id)).toEqual([]);
  });

  it('Discord: /ask from a user over the limit is answered privately with the reason, never "thinking…"', async () => {
    await exhaust(`discord:${discord.human.id}`);
    const { id, token } = discord.slashCommand('What is a partial index?');
    const callback = await discord.waitForRequest((r) => r.method === 'POST' && r.path === `/interactions/${id}/${token}/callback`);
    expect(callback.body.type).toBe(4);
    expect(callback.body.data.flags & 64).toBe(64);
    expect(String(callback.body.data.content)).toMatch(/You're asking quickly/);
  });
});

describe('a long answer on Discord', () => {
  it('is at most 3 messages, cut with a note, the sources and buttons kept', async () => {
    modelText = `${'A partial index covers only the rows that satisfy its predicate, which keeps it small. '.repeat(150)}[1]`;
    try {
      const msg = discord.postMessage({ content: `<@${discord.bot.id}> How do partial indexes work in detail?`, mentionBot: true, author: discord.bystander });
      const thread = await waitForDiscord(() => discord.threads.find((th) => th.messageId === msg.id), 20_000, 'the thread');
      const posts = () => discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${thread.id}/messages`);
      const last = await waitForDiscord(() => posts().find((p) => (p.body.components ?? []).length > 0), 20_000, 'the message with the buttons');
      expect(posts().length).toBeLessThanOrEqual(3);
      expect(posts().at(-1)).toBe(last);
      const text = posts().map((p) => String(p.body.content)).join('\n');
      expect(text.length).toBeLessThan(modelText.length);
      expect(text).toContain('answer was cut short');
      expect(String(last.body.content)).toContain('Sources');
    } finally {
      modelText = 'Partial indexes cover only the rows that match a predicate [1].';
    }
  });
});

it('crashed nothing', () => {
  expect(crashes.errors).toEqual([]);
});
