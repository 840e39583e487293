-- The BM25 parameters the stored impacts (chunk_terms.impact) were computed with: one row,
-- written by the lexical index (src/store/postings.ts), which recomputes every impact when
-- the configured parameters differ from these.
CREATE TABLE lexical_parameters (
  only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  k1            double precision NOT NULL,
  b             double precision NOT NULL,
  heading_boost double precision NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);

-- Impacts written so far were computed with k1 1.2, b 0.75 and heading weight 4, the only
-- values the code has used; a knowledge base whose postings migration 003 left without an
-- impact (0) records nothing, and its impacts are computed at the next start.
INSERT INTO lexical_parameters (k1, b, heading_boost)
SELECT 1.2, 0.75, 4 WHERE NOT EXISTS (SELECT 1 FROM chunk_terms WHERE impact = 0);
