-- One 👍/👎 per user per answer: a repeated vote on the same answer replaces the earlier one
-- (FeedbackStore.record upserts on the constraint below) instead of counting again.
ALTER TABLE feedback ADD COLUMN answer_id text;

-- Votes recorded before answers were identified: the same text answering the same question in
-- the same channel is taken to be one answer.
UPDATE feedback SET answer_id = 'legacy:' || md5(channel_id || E'\n' || question || E'\n' || answer);

-- Keep each user's latest vote on each answer.
DELETE FROM feedback f
USING feedback later
WHERE later.platform = f.platform
  AND later.answer_id = f.answer_id
  AND later.user_id = f.user_id
  AND (later.created_at, later.id) > (f.created_at, f.id);

ALTER TABLE feedback ALTER COLUMN answer_id SET NOT NULL;
ALTER TABLE feedback ADD CONSTRAINT feedback_one_vote_per_answer UNIQUE (platform, answer_id, user_id);
