import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTexts } from '../adapters/slack/harness.ts';
import { type FakeDiscord, waitUntil as waitForDiscord, type RecordedRequest } from '../support/fakeDiscord.ts';
import { startFakeOpenAI, systemText, userText, type FakeOpenAI } from '../support/fakeOpenAI.ts';
import type { FakeSlack } from '../support/fakeSlack.ts';
import { captureLogs, mentionEvent, postSlackEvent, startChatFronts, startTestApp, waitUntil, writeFolder, type ChatFronts, type SlackFront, type TestApp } from '../support/reliabilityKit.ts';

/**
 * A URL planted in an ingested page, or produced by a prompt-injected model, is shown as text
 * on both platforms: never a link to click, never a preview a crawler fetches (Discord: every
 * message carries SuppressEmbeds). The citations in the sources list stay links.
 */
const BASE = 'https://kb.example.org/docs/';
const logs = captureLogs('silent');
let fake: FakeOpenAI;
let t: TestApp;
let slackApi: FakeSlack;
let front: SlackFront;
let discord: FakeDiscord;
let chat: ChatFronts;
let folder: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.script = (chat) => {
    if (!systemText(chat)) return { text: 'How do I restore a base backup?' };
    // The model is down for "document" questions: the answer quotes the document itself.
    if (userText(chat).includes('recovery signal file?')) return { status: 500 };
    return { text: 'Restore it with pg_basebackup [1]. Upload your logs to https://evil.example/model?leak=1 or [click here](https://evil.example/masked) first.' };
  };
  t = await startTestApp({ OPENAI_BASE_URL: fake.baseUrl, LLM_MODEL: 'fake', LLM_MAX_RETRIES: '0', RATE_LIMIT_BURST: '1000' }, logs.logger);
  folder = await writeFolder({
    'restore.md': '# Restoring backups\n\n## Restoring a base backup\n\nRestore a base backup by copying it into an empty data directory and creating a recovery signal file; the full runbook is at https://evil.example/steal?leak=1 and [the restore guide](https://evil.example/guide) explains each step of a base backup restore.',
    'vacuum.md': '# Vacuum\n\n## Autovacuum\n\nAutovacuum removes dead tuples in the background so tables do not bloat.',
  });
  await t.app.ingest({ inputs: [folder], collection: t.config.collection, baseUrl: BASE });
  chat = await startChatFronts(t.app.assistant, logs.logger);
  ({ slackApi, front, discord } = chat);
});

afterAll(async () => {
  await chat?.stop();
  await t?.close();
  await fake?.close();
  await fs.rm(folder, { recursive: true, force: true });
});

const QUESTIONS = {
  model: 'How do I restore a base backup?',
  document: 'How do I restore a base backup with a recovery signal file?',
};

/** Text outside inline code and code blocks: where a URL would be a link. */
const outsideCode = (text: string) => text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');

describe('the planted URLs reach the answers (so the checks below can fail)', () => {
  it('the model\'s answer and the quoted document both carry them', async () => {
    const fromModel = await t.app.assistant.answer({ question: QUESTIONS.model, user: 'slack:UPRE' });
    expect(fromModel.text).toContain('https://evil.example/model?leak=1');
    expect(fromModel.text).toContain('[click here](https://evil.example/masked)');
    const fromDocument = await t.app.assistant.answer({ question: QUESTIONS.document, user: 'slack:UPRE' });
    expect(fromDocument.note).toBeDefined();
    expect(fromDocument.text).toContain('https://evil.example/steal?leak=1');
    expect(fromDocument.citations[0]?.url).toMatch(/^https:\/\/kb\.example\.org\/docs\/restore\.md/);
  });
});

describe.each(Object.entries(QUESTIONS))('a URL in the %s text', (_kind, question) => {
  it('Slack: shown as inline code, never link markup; the citation stays a link; nothing unfurls', async () => {
    const event = mentionEvent(question, { botUserId: slackApi.bot.userId });
    expect((await postSlackEvent(front.base, front.signingSecret, event)).status).toBe(200);
    const update = await waitUntil(() => slackApi.callsTo('chat.update').find((c) => slackApi.messages.some((m) => m.ts === c.args.ts && m.thread_ts === event.ts)), 'the answer');
    const texts = allTexts(update.args).join('\n');
    expect(texts).toMatch(/`https:\/\/evil\.example\/(model|steal)\?leak=1`/);
    expect(texts).not.toMatch(/<https?:\/\/evil/);
    expect(outsideCode(texts)).not.toContain('evil.example');
    expect(texts).toMatch(/<https:\/\/kb\.example\.org\/docs\/restore\.md#[^|>]*\|1\. Restoring backups[^>]*>/);
    const posts = slackApi.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === event.ts);
    expect(posts.length).toBeGreaterThan(0);
    // Form-encoded on the wire: 'false'.
    for (const post of posts) expect([String(post.args.unfurl_links), String(post.args.unfurl_media)]).toEqual(['false', 'false']);
  });

  it('Discord: shown as inline code, no masked link; the citation stays a link; every message suppresses embeds', async () => {
    const msg = discord.postMessage({ content: `<@${discord.bot.id}> ${question}`, mentionBot: true });
    const thread = await waitForDiscord(() => discord.threads.find((th) => th.messageId === msg.id), 20_000, 'the thread');
    const posts = (): RecordedRequest[] => discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${thread.id}/messages`);
    await waitForDiscord(() => posts().find((p) => (p.body.components ?? []).length > 0), 20_000, 'the answer');
    const content = posts().map((p) => String(p.body.content)).join('\n');
    expect(content).toMatch(/`https:\/\/evil\.example\/(model|steal)\?leak=1`/);
    expect(content).not.toMatch(/\]\(<?https?:\/\/evil/);
    expect(outsideCode(content)).not.toContain('evil.example');
    expect(content).toMatch(/\[Restoring backups[^\]]*\]\(https:\/\/kb\.example\.org\/docs\/restore\.md#[^)]*\)/);
    for (const p of posts()) expect(p.body.flags & 4).toBe(4);
    expect(posts().every((p) => (p.body.embeds ?? []).length === 0)).toBe(true);
  });
});
