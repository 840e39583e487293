-- One row per question the assistant was asked, for the admin page (coverage gaps, 👎,
-- sources, rates, latency). Users and conversations are stored as keyed hashes (HMAC-SHA256
-- with INTERACTIONS_HASH_KEY), never as platform ids. Rows older than
-- INTERACTIONS_RETENTION_DAYS are deleted by the running server.
CREATE TABLE interactions (
  id                  bigserial PRIMARY KEY,
  created_at          timestamptz NOT NULL DEFAULT now(),
  platform            text NOT NULL,
  conversation_hash   text,
  user_hash           text NOT NULL,
  collections         text[] NOT NULL,
  question            text NOT NULL,
  standalone_question text NOT NULL,
  outcome             text NOT NULL CHECK (outcome IN ('answered', 'refused', 'rate_limited', 'error')),
  confidence          real,
  answer              text,
  sources             jsonb NOT NULL DEFAULT '[]',
  latency_ms          real NOT NULL,
  cache_hit           boolean NOT NULL DEFAULT false,
  degraded            boolean NOT NULL DEFAULT false,
  feedback            text CHECK (feedback IN ('up', 'down'))
);
CREATE INDEX interactions_time_idx ON interactions (created_at);
CREATE INDEX interactions_user_time_idx ON interactions (platform, user_hash, created_at DESC);
