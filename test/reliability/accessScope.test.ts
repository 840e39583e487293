import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer } from '../../src/answer/types.ts';
import { loadConfig } from '../../src/config.ts';
import { freePort, killServer, startRedisServer } from '../integration/cache/redisKit.ts';
import { startTestApp, testEnv, writeFolder, type TestApp } from '../support/reliabilityKit.ts';

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
  port = await freePort(6380, 6389);
  redis = await startRedisServer(port);
  t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_BURST: '1000' });
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
    expect(await t.app.store.stats(['team-b'])).toEqual({ documents: 2, chunks: expect.any(Number) });
    const ok = await ask('What does VACUUM reclaim?', ['team-b']);
    expect(ok.refused).toBe(false);
  });

  it('are stored as plain data when ingested into, and stay separate', async () => {
    const name = 'x"); DROP TABLE documents;--';
    const folder = await writeFolder({ 'evil.md': '# Evil\n\n## Payload\n\nThis note lives in a collection with a hostile name; it mentions vacuum tuples.' });
    folders.push(folder);
    const before = (await t.app.store.stats()).documents;
    const s = await t.app.ingest({ inputs: [folder], collection: name });
    expect(s.added).toBe(1);
    expect(await t.app.store.stats([name])).toMatchObject({ documents: 1 });
    const b = await ask('What does VACUUM reclaim?', ['team-b']);
    expect(b.citations.every((c) => c.collection === 'team-b')).toBe(true);
    expect((await t.app.store.stats()).documents).toBe(before + 1);
  });

  it('are refused in channel scope configuration and KB_COLLECTION', () => {
    expect(() => loadConfig(testEnv({ SLACK_CHANNEL_SCOPES: JSON.stringify({ C1: ["a' OR '1'='1"] }) }))).toThrow(/SLACK_CHANNEL_SCOPES/);
    expect(() => loadConfig(testEnv({ DISCORD_CHANNEL_SCOPES: JSON.stringify({ '123': ['x"); DROP TABLE documents;--'] }) }))).toThrow(/DISCORD_CHANNEL_SCOPES/);
    expect(() => loadConfig(testEnv({ KB_COLLECTION: "a' OR '1'='1" }))).toThrow(/KB_COLLECTION/);
  });
});
