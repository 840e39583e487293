import type { Database } from '../db/database.ts';
import { DocumentStore } from './documentStore.ts';
import { LexicalIndex } from './lexicalIndex.ts';
import type { Bm25Params } from './postings.ts';
import type { VectorSearchOptions } from './vectorIndex.ts';
import { VectorSearch } from './vectorSearch.ts';

/**
 * The knowledge base in PostgreSQL, in three parts over one database:
 * - `documents` (documentStore.ts): documents and chunks, batch writes with chunk reuse,
 *   removal and prune, and chunk rows for answers;
 * - `lexical` (lexicalIndex.ts): BM25F over the postings and statistics the writes keep
 *   (postings.ts), with one parameter set recorded with the stored impacts;
 * - `vectors` (vectorSearch.ts): cosine search through the vector index (vectorIndex.ts:
 *   embedding model, dimension, HNSW/IVFFlat build) or an exact scan.
 */
export class KnowledgeStore {
  readonly documents: DocumentStore;
  readonly lexical: LexicalIndex;
  readonly vectors: VectorSearch;

  /** `search`: the vector queries' search-time settings; `bm25`: the lexical index's parameters (default defaultBm25). */
  constructor(db: Database, options: { search?: VectorSearchOptions; bm25?: Bm25Params } = {}) {
    this.documents = new DocumentStore(db);
    this.lexical = new LexicalIndex(db, options.bm25);
    this.vectors = new VectorSearch(db, { search: options.search });
  }
}
