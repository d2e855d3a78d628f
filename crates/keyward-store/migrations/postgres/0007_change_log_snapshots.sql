-- The change log is tailed by transaction snapshots instead of under a cluster-wide
-- advisory lock (see `Store::changes_after`): each row carries the id of the transaction
-- that wrote it, and a tailer asks for the rows of transactions that committed between
-- two snapshots it took. Rows written before this migration keep the id of the migrating
-- transaction, which every later snapshot already shows as committed.
ALTER TABLE change_log ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX change_log_txid ON change_log (txid);
