-- The base URL of the API a tenant's integrations call with their tokens: the console's
-- ready line for a token calls it (issue 13). NULL: the line shows keyward's verify call.
ALTER TABLE tenant_settings ADD COLUMN api_base_url TEXT;
