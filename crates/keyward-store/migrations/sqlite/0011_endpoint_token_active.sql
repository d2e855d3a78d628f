-- A secondary token is active (in the endpoint token list's default view) or deactivated
-- (moved to the inactive view), as seed 003 describes, apart from being switched on or
-- off: a token switched off stays in the list, where its Enabled toggle switches it on
-- again. A deactivated token is always switched off. Until now a switched-off token was
-- listed as inactive, so each keeps the view it had.
ALTER TABLE endpoint_tokens ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
UPDATE endpoint_tokens SET active = enabled;
