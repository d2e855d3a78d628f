-- wrk script: POST a small JSON record to a hosted endpoint (`/e/{tenant}/{path}`) that
-- needs no token. Each 201 is one record acknowledged as durable.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"order": 1234, "status": "shipped", "note": "a small record of the benchmark"}'
