-- When each API token was last used, apart from its wide row (see the SQLite migration
-- of the same name): the flush writes narrow rows, and reads take this table first.
CREATE TABLE token_last_use (
    token_id TEXT PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE,
    at BIGINT NOT NULL
);
