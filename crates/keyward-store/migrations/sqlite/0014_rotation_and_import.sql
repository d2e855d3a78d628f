-- Rotation with overlap, made observable (issue 15): a previous secret, kept for a
-- regenerate's grace period, carries the hint it had, how often it was presented since
-- and when last. Each node counts those uses in memory and adds them at its last-use
-- flush, so the count lags by at most one flush interval.
ALTER TABLE token_secrets ADD COLUMN hint TEXT;
ALTER TABLE token_secrets ADD COLUMN uses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE token_secrets ADD COLUMN last_used_at BIGINT;

-- Migration in (issue 15): when a token was imported with a secret of another system.
-- It stays after a regenerate has given the token a keyward secret: where a token came
-- from is part of its history.
ALTER TABLE tokens ADD COLUMN imported_at BIGINT;
