-- keyward schema, PostgreSQL flavour. Ids are UUID text, times are Unix milliseconds,
-- flags are 0/1 integers: the same column types as the PostgreSQL schema, so one set
-- of queries serves both backends.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE tenant_settings (
    tenant_id                    TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    api_tokens_enabled           BIGINT NOT NULL,
    require_technical_user       BIGINT NOT NULL,
    secret_storage               TEXT NOT NULL,
    max_token_lifetime_days      BIGINT NOT NULL,
    default_token_lifetime_days  BIGINT NOT NULL,
    mobile_session_days          BIGINT NOT NULL,
    updated_at                   BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    username       TEXT NOT NULL,
    email          TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    is_admin       BIGINT NOT NULL,
    is_technical   BIGINT NOT NULL,
    locked         BIGINT NOT NULL,
    active_from    BIGINT,
    active_until   BIGINT,
    password_hash  TEXT,
    -- Lower-cased by keyward (Unicode-aware, unlike SQLite's LOWER) for search.
    search         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (tenant_id, username)
);

CREATE TABLE departments (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    search      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE user_types (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    search       TEXT NOT NULL,
    permissions  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE memberships (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    department_id  TEXT NOT NULL REFERENCES departments(id),
    user_type_id   TEXT NOT NULL REFERENCES user_types(id),
    created_at     BIGINT NOT NULL,
    UNIQUE (user_id, department_id, user_type_id)
);

CREATE TABLE tokens (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    name              TEXT NOT NULL,
    search            TEXT NOT NULL,
    description       TEXT NOT NULL,
    hint              TEXT NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users(id),
    department_id     TEXT NOT NULL REFERENCES departments(id),
    user_type_id      TEXT NOT NULL REFERENCES user_types(id),
    enabled           BIGINT NOT NULL,
    sealed_secret     TEXT,
    allowed_cidrs     TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    created_by        TEXT,
    expires_at        BIGINT,
    revoked_at        BIGINT,
    revoked_by        TEXT,
    last_used_at      BIGINT,
    -- Optional limits: successful checks per window (per node), and uses left.
    rate_limit_requests        BIGINT,
    rate_limit_window_seconds  BIGINT,
    uses_remaining             BIGINT
);
CREATE INDEX tokens_tenant_created ON tokens (tenant_id, created_at);
CREATE INDEX tokens_user ON tokens (user_id);

-- A token has one current secret and, for a grace period after regeneration, its
-- previous one. Only HMAC-SHA256(server key, secret) is stored.
CREATE TABLE token_secrets (
    hash         TEXT PRIMARY KEY,
    token_id     TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    valid_until  BIGINT
);
CREATE INDEX token_secrets_token ON token_secrets (token_id);

-- Append-only: nothing updates or deletes these rows.
CREATE TABLE audit_events (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    at           BIGINT NOT NULL,
    actor_id     TEXT,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    ip           TEXT,
    details      TEXT NOT NULL
);
CREATE INDEX audit_events_tenant_at ON audit_events (tenant_id, at);

-- Written in the same transaction as each change and tailed by every node of a cluster.
-- On PostgreSQL the insert happens under a transaction-scoped advisory lock, so sequence
-- numbers become visible in commit order and a tailer never skips one.
CREATE TABLE change_log (
    seq          BIGSERIAL PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    at           BIGINT NOT NULL
);
