-- Knowledge base: documents, their chunks with embeddings, and the statistics BM25 needs.
CREATE EXTENSION IF NOT EXISTS vector;

-- Which embedding model the stored vectors come from. One row: the store never mixes models.
CREATE TABLE kb_settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE documents (
  id           bigserial PRIMARY KEY,
  collection   text NOT NULL,
  source       text NOT NULL,
  title        text NOT NULL,
  url          text,
  content_hash text NOT NULL,
  chunk_count  integer NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (collection, source)
);

CREATE TABLE chunks (
  id          bigserial PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  collection  text NOT NULL,
  ord         integer NOT NULL,
  heading     text NOT NULL,
  anchor      text,
  content     text NOT NULL,
  -- BM25 length: number of indexed body terms.
  length      real NOT NULL,
  embedding   vector NOT NULL
);
CREATE INDEX chunks_document_idx ON chunks (document_id);
-- The HNSW index is partial on the vector's dimension (see src/store/vectorIndex.ts);
-- these statistics tell the planner that the predicate keeps (nearly) every row.
CREATE STATISTICS chunks_embedding_dims ON (vector_dims(embedding)) FROM chunks;
CREATE INDEX chunks_collection_idx ON chunks (collection);

-- Postings: one row per (term, chunk): occurrences in the body and in the title/heading
-- (BM25F weighs them at query time). collection and body length are copied here so
-- BM25 scoring reads postings only.
CREATE TABLE chunk_terms (
  term       text NOT NULL,
  chunk_id   bigint NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
  collection text NOT NULL,
  tf         real NOT NULL,
  tf_head    real NOT NULL,
  length     real NOT NULL,
  PRIMARY KEY (term, chunk_id)
);
CREATE INDEX chunk_terms_chunk_idx ON chunk_terms (chunk_id);

-- Document frequency of each term per collection, and per-collection totals.
CREATE TABLE term_stats (
  collection text NOT NULL,
  term       text NOT NULL,
  df         integer NOT NULL,
  PRIMARY KEY (term, collection)
);

CREATE TABLE collection_stats (
  collection   text PRIMARY KEY,
  chunk_count  bigint NOT NULL,
  total_length double precision NOT NULL
);
