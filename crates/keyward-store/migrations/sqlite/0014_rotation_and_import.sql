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

-- The inactivity policy for applications' endpoint tokens (issue 15): their last use,
-- written coalesced as for API tokens, and which period of disuse each was announced
-- stale for (`token.stale`, once).
CREATE TABLE endpoint_token_last_use (
    token_id TEXT PRIMARY KEY REFERENCES endpoint_tokens (id) ON DELETE CASCADE,
    at BIGINT NOT NULL
) WITHOUT ROWID;
CREATE TABLE endpoint_token_stale_notices (
    token_id  TEXT NOT NULL REFERENCES endpoint_tokens(id) ON DELETE CASCADE,
    since     BIGINT NOT NULL,
    sent_at   BIGINT NOT NULL,
    PRIMARY KEY (token_id, since)
);
-- When an administrator last activated a deactivated endpoint token: its disuse counts
-- from then too, so a token retired for disuse and brought back is not retired again
-- at the next pass.
ALTER TABLE endpoint_tokens ADD COLUMN activated_at BIGINT;
