import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationKey } from '../../src/cache/threadMemory.ts';
import { PLACEHOLDER_TEXT } from '../../adapters/slack/render.ts';
import { KbError } from '../../src/errors.ts';
import { allTexts } from '../adapters/slack/harness.ts';
import { freePort, killServer, startRedisServer } from '../integration/cache/redisKit.ts';
import { startFakeOpenAI, systemText, userText, type FakeOpenAI } from '../support/fakeOpenAI.ts';
import { FakeSlack } from '../support/fakeSlack.ts';
import { captureLogs, mentionEvent, postSlackEvent, startSlackFront, settle, startTestApp, waitUntil, watchCrashes, type SlackFront, type TestApp } from '../support/reliabilityKit.ts';

/**
 * Oversized, hostile and abusive input: a 100,000-character question, a 500-turn thread,
 * 1,000 questions from one user, control characters and broken UTF-16/UTF-8. Each gets a
 * clear answer or a clear refusal, in bounded time and memory, and never crashes anything.
 */
const crashes = watchCrashes();
const logs = captureLogs('info');
const MAX_TURNS = 6;
let port: number;
let redis: ChildProcess | undefined;
let fake: FakeOpenAI;
let t: TestApp;
let slackApi: FakeSlack;
let front: SlackFront;

beforeAll(async () => {
  port = await freePort(6380, 6384);
  redis = await startRedisServer(port);
  fake = await startFakeOpenAI();
  fake.script = (chat) => {
    if (systemText(chat)) return { text: 'Partial indexes cover only the rows that match a predicate [1].' };
    // The condense-question call: echo the latest message as the standalone question.
    return { text: /Latest message: (.*)$/s.exec(userText(chat))?.[1]?.trim() ?? 'What is a partial index?' };
  };
  t = await startTestApp(
    { REDIS_URL: `redis://127.0.0.1:${port}`, OPENAI_BASE_URL: fake.baseUrl, LLM_MODEL: 'fake', RATE_LIMIT_PER_MINUTE: '20', RATE_LIMIT_BURST: '5', THREAD_MAX_TURNS: String(MAX_TURNS) },
    logs.logger,
  );
  await t.app.ensureSampleKnowledgeBase();
  slackApi = await new FakeSlack().start();
  front = await startSlackFront(t.app.assistant, slackApi, logs.logger);
});

afterAll(async () => {
  await front?.stop();
  await slackApi?.close();
  await t?.close();
  await fake?.close();
  await killServer(redis);
  crashes.dispose();
});

let users = 0;
/** A user nobody else has used, so the rate limit never interferes unless a test wants it. */
const freshUser = () => `slack:UFRESH${++users}`;

/** What the bot finally shows in the mention's thread: the answer that replaced the placeholder, or a notice posted instead of one. */
async function slackReply(text: string, user: string): Promise<string> {
  const event = mentionEvent(text, { user, botUserId: slackApi.bot.userId });
  const res = await postSlackEvent(front.base, front.signingSecret, event);
  expect(res.status).toBe(200);
  const reply = await waitUntil(() => slackApi.messages.find((m) => m.thread_ts === event.ts && m.text !== PLACEHOLDER_TEXT), 'the Slack reply');
  return allTexts(reply).join('\n');
}

describe('a 100,000-character question', () => {
  it('is refused by the size check with a clear message, and never reaches the model', async () => {
    const chatsBefore = fake.chats.length;
    const r = await settle(t.app.assistant.answer({ question: 'x'.repeat(100_000), user: freshUser() }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(KbError);
    expect(r.error).toMatchObject({ code: 'input/question_too_long', userMessage: 'That question is 100,000 characters long; please keep it under 2,000.' });
    expect(fake.chats.length).toBe(chatsBefore);
  });

  it('gets that message in Slack too', async () => {
    const reply = await slackReply('why '.repeat(25_000), 'UHUGE');
    expect(reply).toContain('please keep it under 2,000');
  });
});

describe('a 500-turn thread', () => {
  it('keeps at most THREAD_MAX_TURNS turns, of bounded size, and sends the model only those', async () => {
    const conversation = { platform: 'slack' as const, channel: 'C0LONG', thread: '1700000000.000001' };
    for (let i = 0; i < 490; i++) await t.app.memory.append(conversation, { question: `turn ${i} question about partial indexes`, answer: `answer ${i} `.repeat(1000) });
    // The last turns go through the real assistant, as follow-ups in the same thread.
    for (let i = 490; i < 500; i++) {
      const a = await t.app.assistant.answer({ question: `turn ${i} question about partial indexes`, user: `slack:UTHREAD${i}`, conversation });
      expect(a.text.length).toBeGreaterThan(0);
    }
    const history = await t.app.memory.history(conversation);
    expect(history).toHaveLength(MAX_TURNS);
    expect(history.map((h) => h.question)).toEqual([494, 495, 496, 497, 498, 499].map((i) => `turn ${i} question about partial indexes`));
    const raw = await new Redis({ port }).get(`kb:v1:${conversationKey(conversation)}`).then((v) => v ?? '');
    expect(raw.length).toBeLessThan(MAX_TURNS * 2200);

    const condense = fake.chats.filter((c) => !systemText(c) && userText(c).includes('turn 499 question'));
    expect(condense).toHaveLength(1);
    const prompt = userText(condense[0]!);
    expect(prompt).toContain('turn 493 question');
    expect(prompt).not.toContain('turn 492 question');
    expect(prompt.length).toBeLessThan(MAX_TURNS * 700 + 1000);
  });
});

describe('1,000 questions from one user', () => {
  it('are rate limited with a friendly message while another user is answered normally', async () => {
    const flooder = 'slack:UFLOOD';
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        t.app.assistant.answer({ question: `What is a partial index? (${i % 10})`, user: flooder }).then(
          (a) => ({ ok: true as const, a }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
      ),
    );
    const other = await t.app.assistant.answer({ question: 'What does VACUUM do?', user: 'slack:UCALM' });
    expect(other.refused).toBe(false);

    const allowed = results.filter((r) => r.ok);
    const refused = results.flatMap((r) => (r.ok ? [] : [r.error]));
    expect(allowed.length).toBeGreaterThanOrEqual(5);
    expect(allowed.length).toBeLessThanOrEqual(7); // burst 5, plus at most what refilled (20/min) meanwhile
    expect(refused).toHaveLength(1000 - allowed.length);
    for (const e of refused) {
      expect(e).toBeInstanceOf(KbError);
      expect(e).toMatchObject({ code: 'rate/limited', userMessage: expect.stringMatching(/^You're asking quickly — try again in \d+ seconds?\.$/) });
    }
    // In Slack: the flooder is told to wait, someone else still gets an answer.
    expect(await slackReply('What is a partial index?', 'UFLOOD')).toMatch(/You're asking quickly — try again in \d+ seconds?\./);
    expect(await slackReply('What does VACUUM do?', 'UCALM2')).toContain('*Sources*');
  });
});

describe('control characters and broken Unicode in a question', () => {
  const nasty = [
    'What is\u0000 a partial\u0007 index?\u001b[31m',
    'What is a partial index?\uD800',
    '\uDFFFWhat does VACUUM do?',
    'What is MVCC?\uFFFD\uFFFD',
    '\u202Ewhat is mvcc\u202C',
    'what\u200B is\u200B a partial index',
    '\u0000\u0001\u0002',
    '\uFFFD',
  ];

  it('are cleaned and answered, or refused with a clear input error, never a crash', async () => {
    for (const question of nasty) {
      const chatsBefore = fake.chats.length;
      const r = await settle(t.app.assistant.answer({ question, user: freshUser() }));
      if (r.ok) {
        expect(typeof r.value.text).toBe('string');
        // eslint-disable-next-line no-control-regex -- asserting control characters are gone
        for (const chat of fake.chats.slice(chatsBefore)) expect(userText(chat)).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
      } else {
        expect(r.error).toBeInstanceOf(KbError);
        expect((r.error as KbError).code).toMatch(/^input\//);
      }
    }
    expect(crashes.errors).toEqual([]);
  });

  it('get a reply in Slack, including lone surrogates in the event JSON', async () => {
    for (const [i, question] of nasty.entries()) {
      const reply = await slackReply(question, `UNASTY${i}`);
      expect(reply.length).toBeGreaterThan(0);
    }
  });

  it('survive invalid UTF-8 bytes in a signed Slack request, and the next question is answered', async () => {
    const envelope = (text: Buffer) =>
      Buffer.concat([
        Buffer.from(`{"token":"legacy","team_id":"T0TEAM","api_app_id":"A0APP","type":"event_callback","event_id":"EvBADUTF8","event_time":${Math.floor(Date.now() / 1000)},"event":{"type":"app_mention","user":"UBYTES","channel":"C0GENERAL","ts":"1700999999.000100","event_ts":"1700999999.000100","text":"<@${slackApi.bot.userId}> what is `),
        text,
        Buffer.from('"}}'),
      ]);
    const body = envelope(Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x20, 0x6d, 0x76, 0x63, 0x63]));
    const ts = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', front.signingSecret).update(Buffer.concat([Buffer.from(`v0:${ts}:`), body])).digest('hex')}`;
    const res = await fetch(`${front.base}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature }, body });
    expect([200, 401]).toContain(res.status);
    expect(await slackReply('What does VACUUM do?', 'UAFTERBYTES')).toContain('*Sources*');
    expect(crashes.errors).toEqual([]);
  });
});
