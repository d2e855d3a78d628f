-- wrk script: GET with Authorization: Bearer $KW_TOKEN (for GET /auth/forward).
-- bench/load.sh also sends the same header to the bare GET, so both sides carry it.
local token = os.getenv("KW_TOKEN") or ""
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
