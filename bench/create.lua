-- wrk script: POST a new API token for the member in $KW_CREATE_BODY (a JSON body of
-- POST /api/v1/tokens), as $KW_ADMIN_TOKEN. Each 201 is one token acknowledged as durable.
local admin = os.getenv("KW_ADMIN_TOKEN") or ""
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. admin
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("KW_CREATE_BODY") or ""
