-- keyward schema, SQLite flavour: endpoints. The same column types as the PostgreSQL schema.
-- Hosted endpoints and endpoint tokens (SPEC §6, seed 003). Endpoint tokens have no
-- owning user, department or user type, so they live in tables of their own rather than
-- in `tokens`, whose owner columns are required; the verifier tells the two apart by
-- the token's prefix (kwp_/kws_ here, kwa_/kwm_ there).

CREATE TABLE endpoints (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    search          TEXT NOT NULL,
    -- Unique across tenants: /e/{path} names no tenant.
    path            TEXT NOT NULL UNIQUE,
    description     TEXT NOT NULL,
    auth_type       TEXT NOT NULL,
    allow_deleting  BIGINT NOT NULL,
    enabled         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    created_by      TEXT,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX endpoints_tenant ON endpoints (tenant_id, created_at);

-- Primary tokens (kind 'primary': one per endpoint and method, endpoint_id and method
-- set) and secondary tokens (kind 'secondary': one per external application, assigned
-- to endpoints; endpoint_id and method NULL, which UNIQUE treats as distinct).
CREATE TABLE endpoint_tokens (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    endpoint_id    TEXT REFERENCES endpoints(id) ON DELETE CASCADE,
    method         TEXT,
    name           TEXT NOT NULL,
    search         TEXT NOT NULL,
    description    TEXT NOT NULL,
    hint           TEXT NOT NULL,
    enabled        BIGINT NOT NULL,
    sealed_secret  TEXT,
    created_at     BIGINT NOT NULL,
    created_by     TEXT,
    updated_at     BIGINT NOT NULL,
    UNIQUE (endpoint_id, method)
);
CREATE INDEX endpoint_tokens_tenant ON endpoint_tokens (tenant_id, kind, created_at);

-- As token_secrets: the current secret and, for a grace period after regeneration, the
-- previous one. Only HMAC-SHA256(server key, secret) is stored.
CREATE TABLE endpoint_token_secrets (
    hash         TEXT PRIMARY KEY,
    token_id     TEXT NOT NULL REFERENCES endpoint_tokens(id) ON DELETE CASCADE,
    valid_until  BIGINT
);
CREATE INDEX endpoint_token_secrets_token ON endpoint_token_secrets (token_id);

-- A secondary token assigned to an endpoint; switching `enabled` off cuts off that one
-- application from that one endpoint (rule 7).
CREATE TABLE endpoint_assignments (
    endpoint_id  TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    token_id     TEXT NOT NULL REFERENCES endpoint_tokens(id) ON DELETE CASCADE,
    tenant_id    TEXT NOT NULL,
    enabled      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, token_id)
);
CREATE INDEX endpoint_assignments_token ON endpoint_assignments (token_id);

-- The JSON documents POSTed to /e/{path}. token_id has no foreign key: a record keeps
-- naming the token (and, in token_name, the application) that sent it after the token
-- is deleted. NULL for a record sent to an endpoint without authentication.
CREATE TABLE endpoint_records (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    endpoint_id  TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    token_id     TEXT,
    token_kind   TEXT,
    token_name   TEXT,
    method       TEXT NOT NULL,
    ip           TEXT,
    received_at  BIGINT NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX endpoint_records_received ON endpoint_records (endpoint_id, received_at);
CREATE INDEX endpoint_records_token ON endpoint_records (endpoint_id, token_id, received_at);
