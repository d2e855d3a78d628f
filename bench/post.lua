-- wrk script: POST {"token": "$KW_TOKEN"} as JSON to the URL given on the command line.
-- Used by bench/load.sh for both POST /api/v1/verify and the bare POST /bare.
local token = os.getenv("KW_TOKEN") or ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"token": "' .. token .. '"}'
