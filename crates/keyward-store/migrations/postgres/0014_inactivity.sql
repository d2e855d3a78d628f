-- The inactivity policy (issue 15): after how many days without a use a token is marked
-- stale (and announced once, `token.stale`), and after how many it is revoked by the
-- system (reason `unused`). 0 is off, for both, and is the default.
ALTER TABLE tenant_settings ADD COLUMN flag_unused_after_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenant_settings ADD COLUMN revoke_unused_after_days BIGINT NOT NULL DEFAULT 0;

-- Which period of disuse of which token its `token.stale` event was made for: keyed by
-- the last activity it was stale since (its last use, or its creation if never used),
-- so a token used again that goes stale later is announced again.
CREATE TABLE token_stale_notices (
    token_id  TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    since     BIGINT NOT NULL,
    sent_at   BIGINT NOT NULL,
    PRIMARY KEY (token_id, since)
);
