import { createHash } from 'node:crypto';
import { Document } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { PGVectorStore } from '@langchain/community/vectorstores/pgvector';
import pg from 'pg';
import { embeddingText } from '../../src/ingest/ingest.ts';
import type { LoadedDocument } from '../../src/ingest/sourceFiles.ts';

/**
 * The baseline: LangChain's PGVectorStore fed the very chunks the project's loader made.
 * pageContent is the text the project embeds (title, heading, content), so both systems
 * embed identical strings; ids are derived from source and position, so re-adding a
 * folder can first delete exactly the rows it replaces (PGVectorStore has no upsert).
 */
export function toLangChainDocuments(docs: LoadedDocument[]): { documents: Document[]; ids: string[] } {
  const documents: Document[] = [];
  const ids: string[] = [];
  for (const d of docs) {
    for (const c of d.chunks) {
      documents.push(new Document({ pageContent: embeddingText(d.title, c.heading, c.content), metadata: { source: d.source, title: d.title, heading: c.heading, anchor: c.anchor ?? null, ord: c.ord } }));
      ids.push(uuidFor(`${d.source}#${c.ord}`));
    }
  }
  return { documents, ids };
}

function uuidFor(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface LangChainBaseline {
  store: PGVectorStore;
  addAll(documents: Document[], ids: string[]): Promise<void>;
  /** What re-ingesting a folder takes with PGVectorStore: delete its rows, add them all again. */
  readdAll(documents: Document[], ids: string[], oldIds: string[]): Promise<void>;
  createIndex(dimension: number): Promise<void>;
  /** The GIN index on to_tsvector(content) that the seed recipe's hybrid query (ts_rank) needs. */
  createTextIndex(): Promise<void>;
  rowCount(): Promise<number>;
  tableBytes(): Promise<number>;
  close(): Promise<void>;
}

export async function openLangChainBaseline(url: string, embeddings: EmbeddingsInterface, dimension: number): Promise<LangChainBaseline> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const store = await PGVectorStore.initialize(embeddings, { pool, tableName: 'lc_chunks', dimensions: dimension, distanceStrategy: 'cosine' });
  return {
    store,
    addAll: (documents, ids) => store.addDocuments(documents, { ids }),
    async readdAll(documents, ids, oldIds) {
      await store.delete({ ids: oldIds });
      await store.addDocuments(documents, { ids });
    },
    createIndex: (dim) => store.createHnswIndex({ dimensions: dim }),
    async createTextIndex() {
      await pool.query(`CREATE INDEX IF NOT EXISTS lc_chunks_text_gin ON ${store.computedTableName} USING gin (to_tsvector('english', ${store.contentColumnName}))`);
    },
    async rowCount() {
      return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM lc_chunks')).rows[0]?.n ?? 0);
    },
    async tableBytes() {
      return Number((await pool.query<{ b: string }>("SELECT pg_total_relation_size('lc_chunks') AS b")).rows[0]?.b ?? 0);
    },
    close: () => store.end(),
  };
}
