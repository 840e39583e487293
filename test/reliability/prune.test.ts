import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { ingest, type IngestRequest } from '../../src/ingest/ingest.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';
import { writeFolder } from '../support/reliabilityKit.ts';

/**
 * `kb ingest … --prune` removes only documents whose files lived under the folders it was
 * given and are gone, and never empties a collection by mistake (a wrong or empty path)
 * unless `--force` says so.
 */
const space = { model: 'fake-32', dimension: 32 };
let t: TestDatabase;
let store: KnowledgeStore;
let docs: string;
let collection: string;
let n = 0;

const run = (req: Omit<IngestRequest, 'collection'>) => ingest({ db: t.db, store, embeddings: new FakeEmbeddings(32), space }, { ...req, collection });
const sources = async () => [...(await store.documents.documentStates(collection)).keys()].sort();

beforeAll(async () => {
  t = await createServerDatabase();
  await migrate(t.db);
  store = new KnowledgeStore(t.db);
});

afterAll(async () => {
  await t?.drop();
});

beforeEach(async () => {
  collection = `prune${++n}`;
  docs = await writeFolder({ 'a/wal.md': '# WAL\n\nwrite-ahead log words', 'a/vacuum.md': '# Vacuum\n\nvacuum words', 'b/index.md': '# Index\n\nbtree index words' });
  await run({ inputs: [docs] });
  return () => fs.rm(docs, { recursive: true, force: true });
});

describe('ingest --prune', () => {
  it('prunes only within the folders given: docs/a --prune after docs keeps every b/ document', async () => {
    const first = await run({ inputs: [path.join(docs, 'a')], prune: true });
    expect(first.removed).toBe(0);
    expect(await sources()).toEqual(['a/vacuum.md', 'a/wal.md', 'b/index.md', 'vacuum.md', 'wal.md']);

    // A file under docs/a goes: both documents read from it are pruned, b/ is untouched.
    await fs.rm(path.join(docs, 'a', 'wal.md'));
    const second = await run({ inputs: [path.join(docs, 'a')], prune: true });
    expect(second.removed).toBe(2);
    expect(await sources()).toEqual(['a/vacuum.md', 'b/index.md', 'vacuum.md']);
  });

  it('removes nothing when pruning an empty folder or one never ingested', async () => {
    const empty = await writeFolder({});
    const elsewhere = await writeFolder({ 'other.md': '# Other\n\nother words' });
    expect((await run({ inputs: [empty], prune: true })).removed).toBe(0);
    expect((await run({ inputs: [elsewhere], prune: true })).removed).toBe(0);
    expect(await sources()).toEqual(['a/vacuum.md', 'a/wal.md', 'b/index.md', 'other.md']);
    await Promise.all([empty, elsewhere].map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  it('refuses a prune that would remove every document of the collection, with nothing removed, unless --force', async () => {
    for (const f of ['a/wal.md', 'a/vacuum.md', 'b/index.md']) await fs.rm(path.join(docs, f));
    const before = await store.documents.stats([collection]);
    await expect(run({ inputs: [docs], prune: true })).rejects.toThrow(
      `--prune would remove all 3 documents of collection "${collection}" (none of their files is left under ${docs}): check the path, or add --force to remove them`,
    );
    expect(await store.documents.stats([collection])).toEqual(before);
    expect(await sources()).toHaveLength(3);

    const forced = await run({ inputs: [docs], prune: true, force: true });
    expect(forced.removed).toBe(3);
    expect(await sources()).toEqual([]);
  });
});
