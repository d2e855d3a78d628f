-- When each API token was last used, apart from its wide row: the last-use flush (every
-- few seconds, for every token used meanwhile) rewrites a narrow row instead of a whole
-- token, a quarter of the work per token. `tokens.last_used_at` keeps what was written
-- before this migration and the activity of mobile sessions; reads take this table first.
CREATE TABLE token_last_use (
    token_id TEXT PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE,
    at BIGINT NOT NULL
) WITHOUT ROWID;
