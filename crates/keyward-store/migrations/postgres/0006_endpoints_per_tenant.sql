-- keyward schema, PostgreSQL flavour: hosted endpoints are namespaced by tenant
-- (/e/{tenant}/{path}, SPEC §6), so a path is unique within its tenant only, and an
-- assignment says which methods its secondary token may use.

ALTER TABLE endpoints DROP CONSTRAINT endpoints_path_key;
ALTER TABLE endpoints ADD CONSTRAINT endpoints_tenant_path_key UNIQUE (tenant_id, path);

-- What each assignment lets its token do. Assignments made before this opened every
-- method, and keep doing so; new ones allow POST unless told otherwise.
ALTER TABLE endpoint_assignments ADD COLUMN methods TEXT NOT NULL DEFAULT 'POST,GET,DELETE';
