-- keyward schema: verifier keys and server-wide settings. The same column types on both backends.

-- A verifier key (kwv_…) is a protected service's credential for asking checks of its
-- tenant's tokens (SPEC §4): it binds the check to the tenant and may do nothing else.
-- It has one secret for its whole life (rotate by creating a new key and deleting the
-- old one), so the secret's hash is kept in the row itself.
CREATE TABLE verifier_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    hint         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    created_by   TEXT,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX verifier_keys_tenant ON verifier_keys (tenant_id, name);

-- Settings of the server as a whole rather than of one tenant, such as the
-- single-tenant mode that `keyward serve --single-tenant` records.
CREATE TABLE server_settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
