import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedbackRecord } from '../../../src/assistant/types.ts';
import { migrate } from '../../../src/db/migrate.ts';
import { projectDir } from '../../../src/projectDir.ts';
import { FeedbackStore } from '../../../src/store/feedbackStore.ts';
import { backends, type TestDatabase } from '../../support/databases.ts';

/**
 * A 👍/👎 counts once per user per answer: voting again on the same answer replaces the vote,
 * and migration 007 brings a database holding repeated votes to the same state.
 */
const partial = { n: 1, title: 'Partial Indexes', location: 'indexes-partial.html' };
const today = () => new Date().toISOString().slice(0, 10);

function vote(store: FeedbackStore, user: string, v: FeedbackRecord['vote'], answerId: string): Promise<void> {
  return store.record({ platform: 'slack', vote: v, answerId, question: 'How do I create a partial index?', answer: 'With CREATE INDEX … WHERE [1].', citations: [partial], user, channel: 'C1' });
}

/** Applies the migrations before `before` the way migrate() does, leaving the rest to it. */
async function migrateUpTo(database: TestDatabase, before: string): Promise<void> {
  const dir = path.join(projectDir, 'migrations');
  const files = (await fs.readdir(dir)).filter((f) => /^\d+_.*\.sql$/.test(f) && f < before).sort();
  await database.db.transaction(async (tx) => {
    await tx.query('CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const f of files) {
      await tx.script(await fs.readFile(path.join(dir, f), 'utf8'));
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [f]);
    }
  });
}

describe.each(backends)('feedback on %s', (_name, open) => {
  const opened: TestDatabase[] = [];
  const fresh = async () => {
    const d = await open();
    opened.push(d);
    return d;
  };
  let store: FeedbackStore;

  beforeAll(async () => {
    const database = await fresh();
    await migrate(database.db);
    store = new FeedbackStore(database.db);
  });

  afterAll(async () => {
    for (const d of opened) await d.drop();
  });

  it("counts a user's repeated votes on one answer once, the latest standing", async () => {
    await vote(store, 'U1', 'up', 'rec-first');
    await vote(store, 'U1', 'up', 'rec-first');
    await vote(store, 'U1', 'down', 'rec-first');
    await vote(store, 'U2', 'up', 'rec-first');
    // The same question answered again is another answer, with a vote of its own.
    await vote(store, 'U1', 'up', 'rec-second');

    const summary = await store.summary(1);
    expect(summary.perDay).toEqual([{ day: today(), up: 2, down: 1 }]);
    expect(summary.perSource).toEqual([{ title: 'Partial Indexes', location: 'indexes-partial.html', up: 2, down: 1 }]);
    expect((await store.recent('down', 10)).map((r) => r.user_id)).toEqual(['U1']);
    expect((await store.recent('up', 10)).map((r) => r.user_id).sort()).toEqual(['U1', 'U2']);
  });

  it("migration 007 keeps each user's latest vote on an answer in an existing database, then holds one", async () => {
    const database = await fresh();
    await migrateUpTo(database, '007');
    const insert = (user: string, v: string, answer: string, daysAgo: number, channel = 'C1') =>
      database.db.query(
        `INSERT INTO feedback (platform, vote, question, answer, citations, user_id, channel_id, created_at)
         VALUES ('slack', $1, 'How do I create a partial index?', $2, $3::jsonb, $4, $5, now() - make_interval(days => $6::int))`,
        [v, answer, JSON.stringify([partial]), user, channel, daysAgo],
      );
    // U1 voted three times on one answer (the last vote a 👎), U2 once; U1 also voted on
    // another answer, and on the same text posted in another channel.
    await insert('U1', 'up', 'answer one', 3);
    await insert('U1', 'up', 'answer one', 2);
    await insert('U1', 'down', 'answer one', 1);
    await insert('U2', 'up', 'answer one', 2);
    await insert('U1', 'up', 'answer two', 2);
    await insert('U1', 'up', 'answer one', 2, 'C2');

    expect(await migrate(database.db)).toContain('007_feedback_once.sql');

    const rows = await database.db.query<{ user_id: string; vote: string; answer: string; channel_id: string }>('SELECT user_id, vote, answer, channel_id FROM feedback ORDER BY user_id, channel_id, answer');
    expect(rows.rows).toEqual([
      { user_id: 'U1', vote: 'down', answer: 'answer one', channel_id: 'C1' },
      { user_id: 'U1', vote: 'up', answer: 'answer two', channel_id: 'C1' },
      { user_id: 'U1', vote: 'up', answer: 'answer one', channel_id: 'C2' },
      { user_id: 'U2', vote: 'up', answer: 'answer one', channel_id: 'C1' },
    ]);
    // And from now on a second row for the same user and answer is refused.
    await expect(
      database.db.query("INSERT INTO feedback (platform, vote, answer_id, question, answer, user_id, channel_id) SELECT platform, 'up', answer_id, question, answer, user_id, channel_id FROM feedback WHERE user_id = 'U2'"),
    ).rejects.toMatchObject({ code: '23505' });
    const migrated = new FeedbackStore(database.db);
    await vote(migrated, 'U3', 'up', 'rec-new');
    await vote(migrated, 'U3', 'down', 'rec-new');
    expect((await migrated.summary(7)).perSource).toEqual([{ title: 'Partial Indexes', location: 'indexes-partial.html', up: 3, down: 2 }]);
  });
});
