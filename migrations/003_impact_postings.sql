-- Impact-ordered postings. Each posting stores its BM25 term-frequency factor ("impact",
-- with the collection's average length when it was written), and one covering index keeps
-- every term's postings in impact order. A query reads only the best postings of each term
-- from the index (no heap pages), so its cost no longer grows with the number of chunks a
-- common term appears in. Scores are still computed exactly from tf, tf_head and length with
-- today's statistics; the impact only orders. Impacts are computed by the lexical index
-- (src/store/postings.ts, the one copy of the formula): postings that exist when this runs
-- get 0, and migration 009 leaves their parameters unrecorded so that they are computed at
-- the next start.
--
-- The primary key and the foreign key to chunks go: postings are written once per chunk
-- (grouped by term), deleted explicitly with their chunks, and the key and the trigger were a
-- third of the cost of writing them.
ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_chunk_id_fkey;
ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_pkey;
ALTER TABLE chunk_terms ADD COLUMN impact real NOT NULL DEFAULT 0;
ALTER TABLE chunk_terms ALTER COLUMN impact DROP DEFAULT;

CREATE INDEX chunk_terms_impact_idx ON chunk_terms (term, collection, impact DESC) INCLUDE (chunk_id, tf, tf_head, length);

-- Lookups by chunk (deleting a document's postings, "which query terms does this chunk
-- contain") read the index alone.
DROP INDEX chunk_terms_chunk_idx;
CREATE INDEX chunk_terms_chunk_idx ON chunk_terms (chunk_id, term);
