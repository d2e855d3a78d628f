-- wrk script: POST {"token": "$KW_TOKEN", "tenant": "$KW_TENANT"} as JSON to the URL given
-- on the command line (the bare route parses the same body).
-- Used by bench/load.sh for both POST /api/v1/verify and the bare POST /bare.
local token = os.getenv("KW_TOKEN") or ""
local tenant = os.getenv("KW_TENANT") or ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"token": "' .. token .. '", "tenant": "' .. tenant .. '"}'
