-- Webhooks (SPEC §10): a tenant's receivers, and the outbox of what is sent to them.
-- The same column types on both backends.

-- How many days before a token expires its `token.expiring` event is sent (and the
-- console marks it as expiring soon); 0 sends none.
ALTER TABLE tenant_settings ADD COLUMN expiry_notice_days BIGINT NOT NULL DEFAULT 14;

-- A receiver: where events of its tenant are sent, which events, and the secret their
-- signatures are made with (sealed with the server key: it must be read to sign).
CREATE TABLE webhooks (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    url            TEXT NOT NULL,
    -- `*` for every event, else the event types between commas: `,token.created,`.
    events         TEXT NOT NULL,
    enabled        BIGINT NOT NULL,
    sealed_secret  TEXT NOT NULL,
    hint           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    created_by     TEXT,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, name);

-- The outbox: one row per event and receiver, written in the transaction of the change
-- it tells of, and delivered off the request path. A node takes a row by writing its
-- lease (`lease_until`, `lease_token`) and only the holder of the lease records the
-- outcome, so one attempt runs at a time across a cluster.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    webhook_id       TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    -- `pending`, `delivered` or `failed` (every attempt spent).
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    lease_until      BIGINT,
    lease_token      TEXT,
    last_attempt_at  BIGINT,
    last_status      BIGINT,
    last_error       TEXT,
    delivered_at     BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);

-- Which expiry of which token its `token.expiring` event was made for: once per token and
-- expiry date, so a regenerate or an update that moves the date gets a new notice.
CREATE TABLE token_expiry_notices (
    token_id    TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL,
    PRIMARY KEY (token_id, expires_at)
);
