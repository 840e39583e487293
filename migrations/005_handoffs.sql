-- Hand-offs to human responders ("I need a human" under an answer), and who resolved them.
CREATE TABLE handoffs (
  id          bigserial PRIMARY KEY,
  platform    text NOT NULL CHECK (platform IN ('slack', 'discord')),
  channel_id  text NOT NULL,
  thread_id   text,
  asker_id    text NOT NULL,
  question    text NOT NULL,
  citations   jsonb NOT NULL DEFAULT '[]',
  responders  text[] NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  resolved_by text,
  resolved_at timestamptz
);
CREATE INDEX handoffs_open_idx ON handoffs (created_at DESC) WHERE status = 'open';
