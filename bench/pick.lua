-- wrk script: each request presents a token picked at random from the files named in
-- $KW_TOKENS (comma-separated, one secret a line), so that the server cannot answer
-- from one warm cache line. bench/load.sh sends the same requests to the bare route.
--   KW_STYLE=header   GET with Authorization: Bearer <token> (forward auth)
--   KW_STYLE=body     POST {"token": "<token>", "tenant": "$KW_TENANT"} (verify)
--   KW_ORDER=seq      walk the tokens in order instead (each of $KW_THREADS threads from
--                     its own share), so that a warm-up presents every one of them
local style = os.getenv("KW_STYLE") or "header"
local tenant = os.getenv("KW_TENANT") or ""
local sequential = os.getenv("KW_ORDER") == "seq"
local tokens = {}
local next_thread, pos = 0, 1

function setup(thread)
  thread:set("id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  for file in string.gmatch(os.getenv("KW_TOKENS") or "", "[^,]+") do
    for line in io.lines(file) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
  end
  if #tokens == 0 then error("no tokens in KW_TOKENS") end
  -- Each thread its own sequence.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
  local threads = tonumber(os.getenv("KW_THREADS") or "1")
  pos = 1 + math.floor((id or 0) * #tokens / threads)
end

function request()
  local t
  if sequential then
    t = tokens[pos]
    pos = pos % #tokens + 1
  else
    t = tokens[math.random(#tokens)]
  end
  if style == "body" then
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
      '{"token": "' .. t .. '", "tenant": "' .. tenant .. '"}')
  end
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. t })
end
