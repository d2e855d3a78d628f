-- wrk script: each request presents a token picked at random from the files named in
-- $KW_TOKENS (comma-separated, one secret a line), so that the server cannot answer
-- from one warm cache line. bench/load.sh sends the same requests to the bare route.
--   KW_STYLE=header   GET with Authorization: Bearer <token> (forward auth)
--   KW_STYLE=body     POST {"token": "<token>", "tenant": "$KW_TENANT"} (verify)
--   KW_ORDER=seq      walk the tokens in order instead (each of $KW_THREADS threads from
--                     its own share), so that a warm-up presents every one of them
--
-- Every request is formatted once, in init: a request built per call (a concatenation
-- and wrk.format each time) made wrk itself the ceiling when the tokens were many. On
-- one core, the bare route answered 181,000 GETs a second with 1,000 tokens and 112,000
-- with 100,000 that way, and 211,000 and 200,000 with the requests prepared.
local style = os.getenv("KW_STYLE") or "header"
local tenant = os.getenv("KW_TENANT") or ""
local sequential = os.getenv("KW_ORDER") == "seq"
local requests = {}
local next_thread, pos = 0, 1

function setup(thread)
  thread:set("id", next_thread)
  next_thread = next_thread + 1
end

local function format(t)
  if style == "body" then
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
      '{"token": "' .. t .. '", "tenant": "' .. tenant .. '"}')
  end
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. t })
end

function init(args)
  for file in string.gmatch(os.getenv("KW_TOKENS") or "", "[^,]+") do
    for line in io.lines(file) do
      if #line > 0 then requests[#requests + 1] = format(line) end
    end
  end
  if #requests == 0 then error("no tokens in KW_TOKENS") end
  -- Each thread its own sequence.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
  local threads = tonumber(os.getenv("KW_THREADS") or "1")
  pos = 1 + math.floor((id or 0) * #requests / threads)
end

function request()
  if sequential then
    local r = requests[pos]
    pos = pos % #requests + 1
    return r
  end
  return requests[math.random(#requests)]
end
