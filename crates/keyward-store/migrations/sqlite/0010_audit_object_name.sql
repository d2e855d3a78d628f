-- The audit log names what it tells of (issue 13): `object_name` is the object's name at
-- the time of the change (token name, username, department, endpoint path...), written
-- by keyward with each event so that it survives the object's deletion. Events written
-- before this migration have none; the reader falls back to a name their details hold.
ALTER TABLE audit_events ADD COLUMN object_name TEXT;

-- An investigation follows one object or one administrator through the log.
CREATE INDEX audit_events_object ON audit_events (tenant_id, object_id, at);
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor_id, at);
