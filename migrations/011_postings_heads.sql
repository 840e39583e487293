-- Each term's best postings per collection, packed into one value: the first postings of its
-- impact-ordered list (migration 003), best impact first, up to a fixed number, each as
-- chunk_id (int8), tf, tf_head and length (int2), big-endian, 14 bytes. A BM25 query then
-- reads one row per query term instead of walking the covering index posting by posting, and
-- scores the postings in the client (src/store/bm25Heads.ts).
--
-- A head is a cache of what the index holds: a write or delete of a term's postings deletes
-- its head in the same statement, a recomputation of the impacts deletes them all, and
-- refreshHeads (src/store/postings.ts) writes the missing ones again at the end of every
-- ingest. A query reads a missing head from the index instead, so a stale head is never used.
-- STORAGE EXTERNAL: uncompressed, so a query reads only the slice it needs.
CREATE TABLE term_heads (
  term       text  NOT NULL,
  collection text  NOT NULL,
  postings   bytea NOT NULL,
  PRIMARY KEY (term, collection)
);
ALTER TABLE term_heads ALTER COLUMN postings SET STORAGE EXTERNAL;
