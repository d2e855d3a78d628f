-- Console sessions: the cookie holds a random value; only its HMAC is kept here.
CREATE TABLE console_sessions (
    id_hash     TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The synchronizer token every console form must send back.
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- The console language a user chose (en, nb); NULL follows the browser.
ALTER TABLE users ADD COLUMN locale TEXT;
