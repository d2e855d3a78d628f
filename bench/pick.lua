-- wrk script: each request presents a token picked at random from the files named in
-- $KW_TOKENS (comma-separated, one secret a line), so that the server cannot answer
-- from one warm cache line. bench/load.sh sends the same requests to the bare route.
--   KW_STYLE=header   GET with Authorization: Bearer <token> (forward auth)
--   KW_STYLE=body     POST {"token": "<token>", "tenant": "$KW_TENANT"} (verify)
local style = os.getenv("KW_STYLE") or "header"
local tenant = os.getenv("KW_TENANT") or ""
local tokens = {}

function init(args)
  for file in string.gmatch(os.getenv("KW_TOKENS") or "", "[^,]+") do
    for line in io.lines(file) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
  end
  if #tokens == 0 then error("no tokens in KW_TOKENS") end
  -- Each thread its own sequence.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local t = tokens[math.random(#tokens)]
  if style == "body" then
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
      '{"token": "' .. t .. '", "tenant": "' .. tenant .. '"}')
  end
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. t })
end
