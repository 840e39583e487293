-- The postings' two indexes (migration 003), as one function that drops or builds them, so
-- their definition stays in the migrations: a first ingest into an empty postings table
-- writes its postings without them and builds them once at the end (a sorted build is much
-- cheaper than keeping two B-trees ordered row by row). Building is idempotent: an ingest
-- that failed or was killed before the build leaves them to the next ingest.
CREATE FUNCTION kb_postings_indexes(build boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF build THEN
    CREATE INDEX IF NOT EXISTS chunk_terms_impact_idx ON chunk_terms (term, collection, impact DESC) INCLUDE (chunk_id, tf, tf_head, length);
    CREATE INDEX IF NOT EXISTS chunk_terms_chunk_idx ON chunk_terms (chunk_id, term);
  ELSE
    DROP INDEX IF EXISTS chunk_terms_impact_idx;
    DROP INDEX IF EXISTS chunk_terms_chunk_idx;
  END IF;
END
$$;
