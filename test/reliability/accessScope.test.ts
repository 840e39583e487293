import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDiscordBot, type DiscordBot } from '../../adapters/discord/client.ts';
import type { Answer } from '../../src/answer/types.ts';
import { PLACEHOLDER_TEXT } from '../../adapters/slack/render.ts';
import { loadConfig } from '../../src/config.ts';
import { callbackOf, editOf, postedTo } from '../adapters/discord/harness.ts';
import { allTexts } from '../adapters/slack/harness.ts';
import { freePort, killServer, startRedisServer } from '../integration/cache/redisKit.ts';
import { FakeDiscord } from '../support/fakeDiscord.ts';
import { FakeSlack } from '../support/fakeSlack.ts';
import { captureLogs, mentionEvent, postSlackCommand, postSlackEvent, startSlackFront, startTestApp, testEnv, waitUntil, writeFolder, type SlackFront, type TestApp } from '../support/reliabilityKit.ts';

/**
 * Channel scopes are an access boundary: a document in collection A is never retrieved,
 * cited or served from the (Redis) answer cache to a channel scoped to B, whether B asks
 * first or A has just warmed the cache with the same question. Hostile collection names
 * are data, never SQL.
 */
const CANARY = 'zebracanary-7f3a';
let port: number;
let redis: ChildProcess | undefined;
let t: TestApp;
const folders: string[] = [];

beforeAll(async () => {
  port = await freePort(6415, 6419);
  redis = await startRedisServer(port);
  // The default collection is the sensitive one: the case where falling back to it leaks.
  t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_BURST: '1000', KB_COLLECTION: 'team-a' });
  const secret = await writeFolder({
    'rotation.md': `# Credential rotation\n\n## Rotation code\n\nThe replication password rotation code is ${CANARY}; rotate the replication password every quarter with ALTER ROLE replicator PASSWORD.`,
    'checkpoints.md': '# Checkpoints\n\n## Tuning\n\nRaise max_wal_size so checkpoints happen less often; checkpoint_completion_target spreads their writes.',
    'bloat.md': '# Index bloat\n\n## Rebuilding\n\nREINDEX CONCURRENTLY rebuilds a bloated index without blocking writes.',
  });
  const open = await writeFolder({
    'roles.md': '# Roles\n\n## Replication role\n\nCreate a replication role with CREATE ROLE replicator WITH REPLICATION LOGIN, and rotate its password regularly.',
    'vacuum.md': '# Vacuum\n\n## Dead tuples\n\nVACUUM reclaims space held by dead tuples left behind by updates and deletes.',
  });
  folders.push(secret, open);
  await t.app.ingest({ inputs: [secret], collection: 'team-a' });
  await t.app.ingest({ inputs: [open], collection: 'team-b' });
});

afterAll(async () => {
  await t?.close();
  await killServer(redis);
  for (const f of folders) await fs.rm(f, { recursive: true, force: true });
});

const ask = (question: string, scope: string[], user = 'slack:U1') => t.app.assistant.answer({ question, user, scope });

function leaks(a: Answer): boolean {
  return JSON.stringify(a).includes(CANARY) || a.citations.some((c) => c.collection !== 'team-b' || c.source === 'rotation.md');
}

describe('collection scopes', () => {
  const question = 'What is the replication password rotation code?';

  it('never shows scope B a document of collection A, cold', async () => {
    const b = await ask(question, ['team-b']);
    expect(leaks(b)).toBe(false);
    const retrieved = await t.app.answers.retrieve(question, ['team-b']);
    expect(retrieved.chunks.every((c) => c.chunk.collection === 'team-b')).toBe(true);
  });

  it('can find the canary from scope A (so the test above could have failed)', async () => {
    const a = await ask(question, ['team-a']);
    expect(a.refused).toBe(false);
    expect(a.citations.map((c) => c.source)).toContain('rotation.md');
    expect(a.text).toContain(CANARY);
  });

  it('does not serve scope A’s cached answer to scope B for the same question', async () => {
    const fresh = 'Tell me the replication password rotation code.';
    const a1 = await ask(fresh, ['team-a']);
    const a2 = await ask(fresh, ['team-a']);
    expect(a1.text).toContain(CANARY);
    expect(a2.cached).toBe(true);
    const b = await ask(fresh, ['team-b'], 'slack:U2');
    expect(b.cached).toBeUndefined();
    expect(leaks(b)).toBe(false);
    // And a scope that includes A does not share B's key either.
    const ab = await ask(fresh, ['team-b', 'team-a'], 'slack:U3');
    expect(ab.cached).toBeUndefined();
  });
});

describe('hostile collection names', () => {
  const hostile = ["a' OR '1'='1", 'x"); DROP TABLE documents;--', "team-b' --", '%', '*'];

  it('find nothing, cite nothing and break nothing', async () => {
    for (const name of hostile) {
      const a = await ask('What does VACUUM reclaim?', [name]);
      expect(a.refused).toBe(true);
      expect(a.citations).toEqual([]);
      const r = await t.app.answers.retrieve('What does VACUUM reclaim?', [name]);
      expect(r.chunks).toEqual([]);
    }
    const own = await t.app.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM unnest(ARRAY['documents', 'chunks', 'chunk_terms', 'term_stats', 'collection_stats', 'feedback']) AS x WHERE to_regclass(x) IS NOT NULL",
    );
    expect(Number(own.rows[0]!.n)).toBe(6);
    expect(await t.app.store.documents.stats(['team-b'])).toEqual({ documents: 2, chunks: expect.any(Number) });
    const ok = await ask('What does VACUUM reclaim?', ['team-b']);
    expect(ok.refused).toBe(false);
  });

  it('are stored as plain data when ingested into, and stay separate', async () => {
    const name = 'x"); DROP TABLE documents;--';
    const folder = await writeFolder({ 'evil.md': '# Evil\n\n## Payload\n\nThis note lives in a collection with a hostile name; it mentions vacuum tuples.' });
    folders.push(folder);
    const before = (await t.app.store.documents.stats()).documents;
    const s = await t.app.ingest({ inputs: [folder], collection: name });
    expect(s.added).toBe(1);
    expect(await t.app.store.documents.stats([name])).toMatchObject({ documents: 1 });
    const b = await ask('What does VACUUM reclaim?', ['team-b']);
    expect(b.citations.every((c) => c.collection === 'team-b')).toBe(true);
    expect((await t.app.store.documents.stats()).documents).toBe(before + 1);
  });

  it('are refused in channel scope configuration and KB_COLLECTION', () => {
    expect(() => loadConfig(testEnv({ SLACK_CHANNEL_SCOPES: JSON.stringify({ C1: ["a' OR '1'='1"] }) }))).toThrow(/SLACK_CHANNEL_SCOPES/);
    expect(() => loadConfig(testEnv({ DISCORD_CHANNEL_SCOPES: JSON.stringify({ '123': ['x"); DROP TABLE documents;--'] }) }))).toThrow(/DISCORD_CHANNEL_SCOPES/);
    expect(() => loadConfig(testEnv({ KB_COLLECTION: "a' OR '1'='1" }))).toThrow(/KB_COLLECTION/);
  });
});

/**
 * With a scope map, a conversation the map does not cover (a DM, an unmapped channel) gets the
 * map's "*" entry, or nothing: a short reply, with nothing searched, cached or remembered. The
 * default collection here is team-a, which holds the canary, so any fallback to it shows.
 */
describe('conversations a scope map does not cover', () => {
  const question = 'What is the replication password rotation code?';
  const NOTHING = 'No knowledge base is assigned to this conversation.';
  let slackApi: FakeSlack;
  let discord: FakeDiscord;
  const discordBots: Array<{ fake: FakeDiscord; bot: DiscordBot }> = [];
  const fronts: SlackFront[] = [];
  let redisClient: Redis;
  let dmSeq = 0;

  beforeAll(async () => {
    slackApi = await new FakeSlack().start();
    discord = await discordWith((fake) => ({ [fake.channelId]: ['team-b'] }));
    redisClient = new Redis({ port });
  });

  afterEach(() => vi.restoreAllMocks());

  afterAll(async () => {
    for (const d of discordBots) await d.bot.stop();
    for (const d of discordBots) await d.fake.stop();
    for (const f of fronts) await f.stop();
    await slackApi?.close();
    redisClient?.disconnect();
  });

  /** A Discord bot on a stand-in of its own: its /ask and mentions come from the one text channel, so each test maps that channel its own way. */
  const discordWith = async (channelScopes: (fake: FakeDiscord) => Record<string, string[]>) => {
    const fake = await FakeDiscord.start();
    const bot = createDiscordBot({ assistant: t.app.assistant, logger: captureLogs('silent').logger, config: { token: 'fake-discord-bot-token', apiUrl: fake.apiUrl, channelScopes: channelScopes(fake) } });
    discordBots.push({ fake, bot });
    await bot.start();
    return fake;
  };

  /** The first message the bot posts in `channelId` (a reply in the channel, or an answer in a thread). */
  const discordPostIn = (fake: FakeDiscord, channelId: string, what: string) =>
    waitUntil(() => fake.requests.find((r) => r.method === 'POST' && r.path === `/channels/${channelId}/messages`), what, 20_000);

  const front = async (channelScopes: Record<string, string[]>) => {
    const f = await startSlackFront(t.app.assistant, slackApi, captureLogs('silent').logger, { channelScopes });
    fronts.push(f);
    return f;
  };

  /** Answer-cache entries and thread memories in Redis (the app's prefix is kb:v1:). */
  const stored = async () => ({ answers: (await redisClient.keys('kb:v1:ans:*')).length, threads: (await redisClient.keys('kb:v1:thread:*')).length });

  /** Counts what the core searched: follow-up rewriting and retrieval both go through AnswerService. */
  const watchSearches = () => ({ retrieve: vi.spyOn(t.app.answers, 'retrieve'), standalone: vi.spyOn(t.app.answers, 'standalone') });

  /** The text the Slack stand-in shows in `channel`: the answer that replaced the placeholder, or a notice posted instead of one. */
  const slackReplyIn = async (channel: string) => {
    const shown = await waitUntil(() => slackApi.messages.find((m) => m.channel === channel && m.text !== PLACEHOLDER_TEXT), `the reply in ${channel}`);
    return allTexts(shown).join('\n');
  };

  const slackDm = (f: SlackFront, text: string) => {
    const channel = `D0DM${++dmSeq}`;
    const ts = `1700200${String(100 + dmSeq)}.000100`;
    return { channel, sent: postSlackEvent(f.base, f.signingSecret, { type: 'message', channel_type: 'im', channel, user: 'U0DMUSER', text, ts, event_ts: ts }) };
  };

  /**
   * Asks (`ask` resolves to the reply's text once it is shown) and checks the reply is the
   * short one, with nothing searched (no follow-up rewriting, no retrieval) and nothing stored.
   */
  const expectNothingAssigned = async (ask: () => Promise<string>) => {
    const before = await stored();
    const searches = watchSearches();
    const reply = await ask();
    expect(reply).toContain(NOTHING);
    expect(reply).not.toContain(CANARY);
    expect(searches.retrieve).not.toHaveBeenCalled();
    expect(searches.standalone).not.toHaveBeenCalled();
    expect(await stored()).toEqual(before);
  };

  it('a Slack DM, with a map that has no "*", gets the short reply and searches and caches nothing', async () => {
    const f = await front({ C0TEAMA: ['team-a'], C0TEAMB: ['team-b'] });
    await expectNothingAssigned(async () => {
      const dm = slackDm(f, question);
      expect((await dm.sent).status).toBe(200);
      return slackReplyIn(dm.channel);
    });
  });

  it('a Slack DM uses the map\'s "*" entry when it has one', async () => {
    const f = await front({ C0TEAMA: ['team-a'], '*': ['team-b'] });
    const searches = watchSearches();
    const dm = slackDm(f, 'What does VACUUM reclaim from dead tuples?');
    const reply = await slackReplyIn(dm.channel);
    expect(reply).toContain('vacuum.md');
    expect(reply).not.toContain(NOTHING);
    expect(searches.retrieve.mock.calls.map((c) => c[1])).toEqual([['team-b']]);
    // And "*" is not the default collection: team-a's canary stays out of the DM.
    const leak = slackDm(f, question);
    expect(await slackReplyIn(leak.channel)).not.toContain(CANARY);
  });

  it('a channel mapped to [] gets the short reply and searches nothing', async () => {
    const f = await front({ C0NONE: [], C0TEAMB: ['team-b'] });
    await expectNothingAssigned(async () => {
      const res = await postSlackEvent(f.base, f.signingSecret, mentionEvent(question, { botUserId: slackApi.bot.userId, channel: 'C0NONE' }));
      expect(res.status).toBe(200);
      return slackReplyIn('C0NONE');
    });
  });

  it('a Slack /ask in an unmapped channel gets the short reply and searches nothing', async () => {
    const f = await front({ C0TEAMB: ['team-b'] });
    await expectNothingAssigned(async () => {
      const res = await postSlackCommand(f.base, f.signingSecret, { text: question, channel_id: 'C0UNMAPPED', response_url: slackApi.responseUrl('unmapped') });
      expect(res.status).toBe(200);
      // Turned away before the acknowledgement: the reply is the ack, only to the asker, and nothing is posted.
      expect(slackApi.messages.filter((m) => m.channel === 'C0UNMAPPED')).toEqual([]);
      return allTexts(JSON.parse(res.text) as { text?: string; blocks?: unknown[] }).join('\n');
    });
  });

  it('without a map, a DM still searches the default collection', async () => {
    const f = await front({});
    const dm = slackDm(f, question);
    const reply = await slackReplyIn(dm.channel);
    expect(reply).toContain(CANARY);
    expect(reply).not.toContain(NOTHING);
  });

  it('a Discord DM, with a map that has no "*", gets the short reply and searches and caches nothing', async () => {
    await expectNothingAssigned(async () => {
      discord.postMessage({ content: question, guild: false });
      const reply = await discordPostIn(discord, discord.dmChannelId, 'the DM reply');
      expect(reply.body.content).toBe(NOTHING);
      return String(reply.body.content);
    });
  });

  it('a Discord /ask in an unmapped channel gets the short reply, only to the asker, and searches nothing', async () => {
    const fake = await discordWith((f) => ({ [f.forumChannelId]: ['team-b'] }));
    await expectNothingAssigned(async () => {
      const { id, token } = fake.slashCommand(question);
      const callback = await fake.waitForRequest(callbackOf(id, token), 20_000);
      // Turned away instead of "is thinking…": an ephemeral (64) reply, links suppressed (4), no deferral to edit.
      expect(callback.body).toMatchObject({ type: 4, data: { content: NOTHING, flags: 64 | 4 } });
      expect(fake.requests.some(editOf(fake.applicationId, token))).toBe(false);
      expect(postedTo(fake, fake.channelId)).toEqual([]);
      return String((callback.body as { data: { content: string } }).data.content);
    });
  });

  it('a Discord mention in a channel mapped to [] gets the short reply, searches nothing and starts no thread', async () => {
    const fake = await discordWith((f) => ({ [f.channelId]: [], [f.forumChannelId]: ['team-b'] }));
    await expectNothingAssigned(async () => {
      const asked = fake.postMessage({ content: `<@${fake.bot.id}> ${question}`, mentionBot: true });
      const reply = await discordPostIn(fake, fake.channelId, 'the reply in the channel');
      expect(reply.body).toMatchObject({ content: NOTHING, message_reference: { message_id: asked.id } });
      // Turned away before anything is visible: no thread, no typing.
      expect(fake.threads).toEqual([]);
      expect(fake.requests.filter((r) => /\/typing$/.test(r.path))).toEqual([]);
      return String(reply.body.content);
    });
  });

  it('a Discord mention in an unmapped channel uses the map\'s "*" entry', async () => {
    const fake = await discordWith((f) => ({ [f.forumChannelId]: ['team-a'], '*': ['team-b'] }));
    const searches = watchSearches();
    const asked = fake.postMessage({ content: `<@${fake.bot.id}> What space does VACUUM reclaim after updates and deletes?`, mentionBot: true });
    const answer = await discordPostIn(fake, asked.id, 'the answer in the thread');
    expect(answer.body.content).toContain('vacuum.md');
    expect(answer.body.content).not.toContain(NOTHING);
    expect(searches.retrieve.mock.calls.map((c) => c[1])).toEqual([['team-b']]);
    // And "*" is not the default collection: team-a's canary stays out of the channel.
    const leak = fake.postMessage({ content: `<@${fake.bot.id}> ${question}`, mentionBot: true });
    expect((await discordPostIn(fake, leak.id, 'the second answer')).body.content).not.toContain(CANARY);
  });

  it('the core refuses an empty scope itself, whatever the adapter', async () => {
    const searches = watchSearches();
    await expect(t.app.assistant.answer({ question, user: 'slack:U7', scope: [] })).rejects.toMatchObject({ code: 'scope/unassigned', userMessage: NOTHING });
    expect(searches.retrieve).not.toHaveBeenCalled();
  });
});
