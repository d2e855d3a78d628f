-- keyward schema, SQLite flavour: hosted endpoints are namespaced by tenant
-- (/e/{tenant}/{path}, SPEC §6), so a path is unique within its tenant only, and an
-- assignment says which methods its secondary token may use.
--
-- SQLite cannot drop a column's UNIQUE constraint, so `endpoints` is rebuilt (SQLite's
-- documented procedure: new table, copy, drop, rename). keyward runs SQLite migrations
-- with foreign keys off and checks them afterwards (see pool.rs), so dropping the old
-- table does not cascade into the tokens, assignments and records that refer to it.

CREATE TABLE endpoints_new (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    search          TEXT NOT NULL,
    path            TEXT NOT NULL,
    description     TEXT NOT NULL,
    auth_type       TEXT NOT NULL,
    allow_deleting  BIGINT NOT NULL,
    enabled         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    created_by      TEXT,
    updated_at      BIGINT NOT NULL,
    UNIQUE (tenant_id, path)
);
INSERT INTO endpoints_new (id, tenant_id, name, search, path, description, auth_type, allow_deleting,
                           enabled, created_at, created_by, updated_at)
    SELECT id, tenant_id, name, search, path, description, auth_type, allow_deleting,
           enabled, created_at, created_by, updated_at FROM endpoints;
DROP TABLE endpoints;
ALTER TABLE endpoints_new RENAME TO endpoints;
CREATE INDEX endpoints_tenant ON endpoints (tenant_id, created_at);

-- What each assignment lets its token do. Assignments made before this opened every
-- method, and keep doing so; new ones allow POST unless told otherwise.
ALTER TABLE endpoint_assignments ADD COLUMN methods TEXT NOT NULL DEFAULT 'POST,GET,DELETE';
