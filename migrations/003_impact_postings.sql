-- Impact-ordered postings. Each posting stores its BM25 term-frequency factor ("impact",
-- k1 = 1.2, b = 0.75, heading weight 4, with the collection's average length when it was
-- written), and one covering index keeps every term's postings in impact order. A query reads
-- only the best postings of each term from the index (no heap pages), so its cost no longer
-- grows with the number of chunks a common term appears in. Scores are still computed
-- exactly from tf, tf_head and length with today's statistics; the impact only orders.
--
-- The primary key and the foreign key to chunks go: postings are written once per chunk
-- (grouped by term), deleted explicitly with their chunks, and the key and the trigger were a
-- third of the cost of writing them.
ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_chunk_id_fkey;
ALTER TABLE chunk_terms DROP CONSTRAINT chunk_terms_pkey;
ALTER TABLE chunk_terms ADD COLUMN impact real;

UPDATE chunk_terms ct
   SET impact = (ct.tf + 4 * ct.tf_head) / (ct.tf + 4 * ct.tf_head + 1.2 * (0.25 + 0.75 * ct.length / greatest(cs.total_length / greatest(cs.chunk_count, 1), 1)))
  FROM collection_stats cs
 WHERE cs.collection = ct.collection;
UPDATE chunk_terms SET impact = 0 WHERE impact IS NULL;
ALTER TABLE chunk_terms ALTER COLUMN impact SET NOT NULL;

CREATE INDEX chunk_terms_impact_idx ON chunk_terms (term, collection, impact DESC) INCLUDE (chunk_id, tf, tf_head, length);

-- Lookups by chunk (deleting a document's postings, "which query terms does this chunk
-- contain") read the index alone.
DROP INDEX chunk_terms_chunk_idx;
CREATE INDEX chunk_terms_chunk_idx ON chunk_terms (chunk_id, term);
