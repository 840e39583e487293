import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { ingest, type IngestRequest } from '../../src/ingest/ingest.ts';
import { KnowledgeStore } from '../../src/store/knowledgeStore.ts';
import { citationFor } from '../../src/answer/citations.ts';
import { createServerDatabase, type TestDatabase } from '../support/databases.ts';
import { FakeEmbeddings } from '../support/fakeEmbeddings.ts';
import { writeFolder } from '../support/reliabilityKit.ts';
import { encryptedPdf, makePdf, type PdfPageSpec } from '../support/pdfFixtures.ts';

/** `kb ingest` of a folder with PDFs: text by page, page citations, and unreadable PDFs reported while the rest goes in. */
const space = { model: 'fake-32', dimension: 32 };
let t: TestDatabase;
let store: KnowledgeStore;
const folders: string[] = [];
const embeddings = new FakeEmbeddings(32);

const manualPages = (pageTwo: string): PdfPageSpec[] => [
  { lines: [{ text: 'Backup Manual', y: 750, size: 22 }, { text: 'Base backups', y: 710, size: 15 }, { text: 'pg_basebackup copies the whole cluster over a replication connection.', y: 690 }] },
  { lines: [{ text: 'Point-in-time recovery', y: 750, size: 15 }, { text: pageTwo, y: 730 }] },
  { image: true },
];

let collections = 0;
/** A folder of PDFs (one with an edited second page, one scanned, one encrypted, one cut off) and a collection of its own. */
async function pdfFolder() {
  const folder = await writeFolder({
    'manual.pdf': await makePdf(manualPages('Replay archived WAL up to a recovery target time.')),
    'scan.pdf': await makePdf([{ image: true }]),
    'locked.pdf': encryptedPdf(),
    'broken.pdf': Buffer.from('%PDF-1.7 this file was cut off'),
    'notes.md': '# Notes\n\nRestore drills run monthly.',
  });
  folders.push(folder);
  const collection = `pdfs-${++collections}`;
  return {
    folder,
    collection,
    run: (req: Partial<IngestRequest> = {}) => ingest({ db: t.db, store, embeddings, space }, { inputs: [folder], collection, baseUrl: 'https://docs.example.com/files/', ...req }),
    chunkRows: async () =>
      (
        await t.db.query<{ heading: string; anchor: string; content: string; url: string }>(
          "SELECT c.heading, c.anchor, c.content, d.url FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.collection = $1 AND d.source = 'manual.pdf' ORDER BY c.ord",
          [collection],
        )
      ).rows,
  };
}

beforeAll(async () => {
  t = await createServerDatabase();
  await migrate(t.db);
  store = new KnowledgeStore(t.db);
});

afterAll(async () => {
  await t?.drop();
  for (const folder of folders) await fs.rm(folder, { recursive: true, force: true });
});

describe('ingesting PDFs', () => {
  it('ingests the text of each page with a page citation, and reports scanned pages and unreadable PDFs while the rest goes in', async () => {
    const { run, chunkRows, collection } = await pdfFolder();
    const first = await run();
    expect(first).toMatchObject({ added: 2, changed: 0, unchanged: 0, removed: 0 });
    expect(first.skipped).toEqual([
      { source: 'broken.pdf', reason: expect.stringMatching(/^not a readable PDF \(.+\)$/) },
      { source: 'locked.pdf', reason: 'encrypted (it needs a password to open)' },
      { source: 'manual.pdf#page=3', reason: 'no text layer (a scanned page?)' },
      { source: 'scan.pdf', reason: 'no text layer (a scan? run OCR on it first)' },
    ]);
    expect(await chunkRows()).toEqual([
      { heading: 'Base backups', anchor: 'page=1', content: 'pg_basebackup copies the whole cluster over a replication connection.', url: 'https://docs.example.com/files/manual.pdf' },
      { heading: 'Point-in-time recovery', anchor: 'page=2', content: 'Replay archived WAL up to a recovery target time.', url: 'https://docs.example.com/files/manual.pdf' },
    ]);
    const sources = [...(await store.documents.documentStates(collection)).keys()].sort();
    expect(sources).toEqual(['manual.pdf', 'notes.md']);

    // What an answer cites: the page, as a PDF viewer opens it.
    const row = (await t.db.query<{ id: string }>("SELECT c.id::text AS id FROM chunks c WHERE c.collection = $1 AND c.anchor = 'page=2'", [collection])).rows[0]!;
    const chunk = (await store.documents.chunks([row.id])).get(row.id)!;
    const citation = citationFor({ chunk, score: 1 } as never, 1);
    expect(citation).toMatchObject({ title: 'Backup Manual › Point-in-time recovery', location: 'manual.pdf#page=2', url: 'https://docs.example.com/files/manual.pdf#page=2' });
  });

  it('skips unchanged PDFs on a re-run, re-embeds only the edited page of an edited one, and keeps reporting the unreadable ones', async () => {
    const { folder, run, chunkRows } = await pdfFolder();
    await run();
    const again = await run();
    expect(again).toMatchObject({ added: 0, changed: 0, unchanged: 2, embedded: 0 });
    expect(again.skipped.map((s) => s.source)).toEqual(['broken.pdf', 'locked.pdf', 'scan.pdf']);

    await fs.writeFile(path.join(folder, 'manual.pdf'), await makePdf(manualPages('Replay archived WAL up to a named restore point.')));
    const edited = await run({ rehash: true });
    expect(edited).toMatchObject({ added: 0, changed: 1, unchanged: 1, chunks: 2, embedded: 1, reused: 1 });
    expect((await chunkRows()).map((r) => r.content)).toEqual(['pg_basebackup copies the whole cluster over a replication connection.', 'Replay archived WAL up to a named restore point.']);
  });
});
