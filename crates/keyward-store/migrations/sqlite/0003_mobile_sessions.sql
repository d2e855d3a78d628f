-- Mobile sessions (SPEC §5) are rows of `tokens` with kind 'mobile': a hash-only secret
-- in token_secrets (never sealed), the user, department and user type the session acts
-- with, and an expiry that slides on use. A session's "Last Active" is its
-- `last_used_at`, written by the same coalesced flush as API tokens' last use.

-- What the app called the device at login (also the session's `name`); NULL for
-- every other kind of token.
ALTER TABLE tokens ADD COLUMN device_name TEXT;

-- The "Mobile Users Logged In" listing: one tenant's tokens of one kind, newest first.
CREATE INDEX tokens_tenant_kind_created ON tokens (tenant_id, kind, created_at);
