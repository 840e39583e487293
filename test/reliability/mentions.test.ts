import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainQuestion as discordQuestion } from '../../adapters/discord/questionText.ts';
import { plainQuestion as slackQuestion } from '../../adapters/slack/listeners/events/mentionText.ts';
import { allTexts } from '../adapters/slack/harness.ts';
import { type FakeDiscord, waitUntil as waitForDiscord } from '../support/fakeDiscord.ts';
import type { FakeSlack } from '../support/fakeSlack.ts';
import { captureLogs, mentionEvent, postSlackEvent, startChatFronts, startTestApp, waitUntil, writeFolder, type ChatFronts, type SlackFront, type TestApp } from '../support/reliabilityKit.ts';

/**
 * Mentions, channel links, pings and emoji are platform markup, not words: a question
 * wrapped in them is answered like the bare question, on Slack and on Discord, by the real
 * assistant over a small knowledge base.
 */
const QUESTION = 'how do I create a BRIN index?';
const logs = captureLogs('silent');
let t: TestApp;
let slackApi: FakeSlack;
let front: SlackFront;
let discord: FakeDiscord;
let chat: ChatFronts;
let folder: string;

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_BURST: '1000' }, logs.logger);
  folder = await writeFolder({
    'brin.md': '# BRIN indexes\n\n## Creating a BRIN index\n\nCreate a BRIN index with CREATE INDEX readings_taken_brin ON readings USING brin (taken_at). A BRIN index stores a summary of each block range, so it stays tiny on large append-only tables.',
    'gin.md': '# GIN indexes\n\n## Creating a GIN index\n\nCreate a GIN index with CREATE INDEX docs_body_gin ON docs USING gin (body jsonb_path_ops) to speed up containment queries on jsonb.',
  });
  await t.app.ingest({ inputs: [folder], collection: t.config.collection });
  chat = await startChatFronts(t.app.assistant, logs.logger);
  ({ slackApi, front, discord } = chat);
});

afterAll(async () => {
  await chat?.stop();
  await t?.close();
  await fs.rm(folder, { recursive: true, force: true });
});

describe('a question wrapped in mentions', () => {
  it('is refused by the core when the tokens reach it as words (so the tests below could fail)', async () => {
    const a = await t.app.assistant.answer({ question: `<!channel> <!here> ${QUESTION} <@U0BOSS>`, user: 'slack:U9' });
    const bare = await t.app.assistant.answer({ question: QUESTION, user: 'slack:U9' });
    expect(bare.refused).toBe(false);
    expect(a.refused).toBe(true);
  });

  it('is answered on Slack: "<!channel> <!here> how do I create a BRIN index? <@U0BOSS>"', async () => {
    const res = await postSlackEvent(front.base, front.signingSecret, mentionEvent(`<!channel> <!here> ${QUESTION} <@U0BOSS>`, { botUserId: slackApi.bot.userId }));
    expect(res.status).toBe(200);
    const update = await waitUntil(() => slackApi.callsTo('chat.update')[0], 'the answer');
    const texts = allTexts(update.args).join('\n');
    expect(texts).not.toContain("I don't know");
    expect(texts).toMatch(/BRIN/);
    expect(texts).toContain('brin.md');
  });

  it('is answered on Discord: "@everyone <@&role> how do I create a BRIN index? <@user> <:pg:123>"', async () => {
    const msg = discord.postMessage({ content: `<@${discord.bot.id}> @everyone <@&222333444> ${QUESTION} <@!111222333> <:pg:123456> <#987654>`, mentionBot: true });
    const reply = await waitForDiscord(() => discord.requests.find((r) => r.method === 'POST' && /^\/channels\/[^/]+\/messages$/.test(r.path) && r.body?.content), 20_000, 'the answer');
    expect(discord.threads[0]?.name).toBe(QUESTION);
    expect(String(reply.body.content)).not.toContain("I don't know");
    expect(String(reply.body.content)).toMatch(/BRIN/);
    expect(msg.id).toBeTruthy();
  });
});

describe('platform markup in a question', () => {
  it('Slack: mentions and pings go, a channel keeps its name, a link its text, entities are decoded', () => {
    expect(slackQuestion('<!channel> <!here> <!everyone> <!subteam^S0DBA|@dbas> how do I create a BRIN index? <@U0BOSS> <@W0X|boss>')).toBe(QUESTION);
    expect(slackQuestion('is <#C0123|ops-db> the place for <https://www.postgresql.org/docs/brin.html|the BRIN page>?')).toBe('is #ops-db the place for the BRIN page?');
    expect(slackQuestion('see <https://example.org/x> and <mailto:a@b.c|mail me> on <!date^1700000000^{date}|Nov 14>')).toBe('see https://example.org/x and mail me on Nov 14');
    expect(slackQuestion('why is a &lt; b &amp;&amp; c &gt; d slow?')).toBe('why is a < b && c > d slow?');
  });

  it('Discord: user, role and channel mentions, emoji, timestamps and pings go', () => {
    expect(discordQuestion('<@123> <@!456> <@&789> <#1011> @here how do I create a BRIN index? <:pg:42> <a:wave:43> <t:1700000000:R> </ask:44>')).toBe(QUESTION);
  });
});
