import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordBot } from '../../../adapters/discord/client.ts';
import { KbError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/logger.ts';
import { FakeDiscord, waitUntil } from '../../support/fakeDiscord.ts';
import { FakeAssistant } from '../../support/fakeAssistant.ts';
import { startHarness, threadStartedFrom, waitForPosts, TOKEN, type Harness, answerPart } from './harness.ts';

describe('Discord adapter: gateway connection', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  async function expectAnswered(question: string): Promise<void> {
    const { fake } = h;
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> ${question}`, mentionBot: true });
    const threadId = await threadStartedFrom(fake, msg.id);
    const [reply] = await waitForPosts(fake, threadId, 1);
    expect(answerPart(reply!.body.content)).toBe(`Answer to: ${question}`);
  }

  it('gets the gateway URL from GET /gateway/bot and connects with plain JSON, no zlib-stream', async () => {
    const { fake } = h;
    const gatewayBot = fake.requests.find((r) => r.method === 'GET' && r.path === '/gateway/bot');
    expect(gatewayBot?.authorization).toBe(`Bot ${TOKEN}`);
    expect(fake.gatewayQueries).toEqual(['?v=10&encoding=json']);
    expect(fake.identifies).toHaveLength(1);
    expect(fake.identifies[0]!.d).toMatchObject({ token: TOKEN, compress: false });
    // Guilds (1) | GuildMessages (512) | DirectMessages (4096) | MessageContent (32768)
    expect(fake.identifies[0]!.d.intents).toBe(1 | 512 | 4096 | 32768);
    expect(h.bot.client.guilds.cache.get(fake.guildId)?.channels.cache.has(fake.channelId)).toBe(true);
  });

  it('acknowledges heartbeats, so the connection stays healthy', async () => {
    const { fake, bot } = h;
    expect(bot.client.ws.ping).toBe(-1);
    await waitUntil(() => fake.received.some((f) => f.op === 1), 10_000, 'a heartbeat');
    await waitUntil(() => bot.client.ws.ping >= 0, 5_000, 'the heartbeat ACK to be processed');
  });

  it('RESUMEs after the gateway closes with 4000 and keeps answering', async () => {
    const { fake, logs } = h;
    await expectAnswered('before the drop');
    const sessionBefore = fake.sessionId;
    const seqBefore = fake.lastSequence;
    fake.closeGateway(4000);

    const resume = await waitUntil(() => fake.resumes[0], 10_000, 'a RESUME');
    expect(resume.d).toEqual({ token: TOKEN, session_id: sessionBefore, seq: seqBefore });
    expect(fake.gatewayQueries).toHaveLength(2);
    expect(fake.gatewayQueries[1]).toBe('?v=10&encoding=json');
    await waitUntil(() => logs.some((l) => l.msg === 'discord: gateway session resumed'), 5_000, 'the resumed log');

    await expectAnswered('after the resume');
    expect(fake.identifies).toHaveLength(1);
  });

  it('RESUMEs after the connection drops without a close frame', async () => {
    const { fake } = h;
    fake.closeGateway();
    await waitUntil(() => fake.resumes[0], 10_000, 'a RESUME');
    await expectAnswered('after an abrupt drop');
    expect(fake.identifies).toHaveLength(1);
  });

  it('answers a message sent while it was disconnected, replayed on RESUME', async () => {
    const { fake, assistant } = h;
    fake.closeGateway(4000);
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> sent during the outage`, mentionBot: true });
    const threadId = await threadStartedFrom(fake, msg.id);
    await waitForPosts(fake, threadId, 1);
    expect(fake.resumes).toHaveLength(1);
    expect(assistant.asks.map((a) => a.question)).toEqual(['sent during the outage']);
  });

  it('re-IDENTIFYs after a normal close (1000), as Discord requires, and keeps answering', async () => {
    const { fake } = h;
    fake.closeGateway(1000);
    await waitUntil(() => fake.identifies.length === 2, 15_000, 'a second IDENTIFY');
    await expectAnswered('after a new session');
    expect(fake.resumes).toHaveLength(0);
  });
});

describe('Discord adapter: start-up failures', () => {
  async function startAgainst(prepare: (fake: FakeDiscord) => void): Promise<unknown> {
    const fake = await FakeDiscord.start();
    prepare(fake);
    const bot = createDiscordBot({ assistant: new FakeAssistant(), logger: createLogger({ level: 'silent' }), config: { token: TOKEN, apiUrl: fake.apiUrl, channelScopes: {} } });
    try {
      return await bot.start().then(() => 'started', (err: unknown) => err);
    } finally {
      await bot.stop();
      await fake.stop();
    }
  }

  it('says which setting to fix when Discord rejects the token', async () => {
    const err = await startAgainst((fake) => fake.failRequests('GET', /^\/gateway\/bot$/, 401, { message: '401: Unauthorized', code: 0 }));
    expect(err).toBeInstanceOf(KbError);
    expect((err as KbError).userMessage).toMatch(/DISCORD_TOKEN/);
  });

  it('says to enable the Message Content intent when Discord refuses it (close 4014)', async () => {
    const err = await startAgainst((fake) => (fake.identifyCloseCode = 4014));
    expect(err).toBeInstanceOf(KbError);
    expect((err as KbError).userMessage).toMatch(/Message Content Intent/);
  });
});
