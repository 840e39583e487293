-- 👍/👎 on answers, from Slack and Discord alike.
CREATE TABLE feedback (
  id         bigserial PRIMARY KEY,
  platform   text NOT NULL CHECK (platform IN ('slack', 'discord')),
  vote       text NOT NULL CHECK (vote IN ('up', 'down')),
  question   text NOT NULL,
  answer     text NOT NULL,
  citations  jsonb NOT NULL DEFAULT '[]',
  user_id    text NOT NULL,
  channel_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_vote_time_idx ON feedback (vote, created_at DESC);
