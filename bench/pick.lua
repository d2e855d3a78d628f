-- wrk script: each request presents a token picked at random from the files named in
-- $KW_TOKENS (comma-separated, one secret a line), so that the server cannot answer
-- from one warm cache line. bench/load.sh sends the same requests to the bare route.
--   KW_STYLE=header   GET with Authorization: Bearer <token> (forward auth)
--   KW_STYLE=body     POST {"token": "<token>", "tenant": "$KW_TENANT"} (verify)
--   KW_ORDER=seq      walk the tokens in order instead (each of $KW_THREADS threads from
--                     its own share), so that a warm-up presents every one of them
--   KW_FILL=N         repeat the tokens until N requests are held, each repetition a
--                     string of its own (its header name in another letter case): a run
--                     of the few refused tokens then picks from as many requests as one
--                     of all the valid ones, so that wrk does the same work for both
--                     (see below)
--
-- Every request is formatted once, in init: a request built per call (a concatenation
-- and wrk.format each time) made wrk itself the ceiling when the tokens were many. On
-- one core, the bare route answered 181,000 GETs a second with 1,000 tokens and 112,000
-- with 100,000 that way, and 211,000 and 200,000 with the requests prepared.
--
-- Picking from a million requests costs wrk cache misses of its own, and a slower client
-- changes what the server pays per request: the server, on its own core, wakes wrk's
-- threads less often when they are busy. With a million tokens stored, 3,000 refused
-- tokens were answered at 59,000-64,000 a second and all the valid ones at 99,000-101,000
-- (wrk at 100 % of its core, the server at 62 %), but 3,000 of the valid ones at 60,000-
-- 70,000: the same as the refusals. Hence KW_FILL.
local style = os.getenv("KW_STYLE") or "header"
local tenant = os.getenv("KW_TENANT") or ""
local sequential = os.getenv("KW_ORDER") == "seq"
local requests = {}
local next_thread, pos = 0, 1

function setup(thread)
  thread:set("id", next_thread)
  next_thread = next_thread + 1
end

-- `name` in the letter case that the bits of `variant` pick (0: as given). Header names
-- are case-insensitive, and parsed at the same cost in any case. Made once per variant:
-- init formats up to a million requests, and all of one variant share its name.
local names = {}
local function cased(name, variant)
  if variant == 0 then return name end
  local key = name .. "/" .. variant
  if names[key] then return names[key] end
  local out, bit = {}, 1
  for i = 1, #name do
    local c = name:sub(i, i)
    if c:match("%a") then
      if math.floor(variant / bit) % 2 == 1 then
        c = (c == c:upper()) and c:lower() or c:upper()
      end
      bit = bit * 2
    end
    out[i] = c
  end
  names[key] = table.concat(out)
  return names[key]
end

-- The request presenting `t`; `variant` > 0 makes a copy of it that is a different
-- string (LuaJIT interns every string: the same text is one object).
local function format(t, variant)
  if style == "body" then
    return wrk.format("POST", nil, { [cased("Content-Type", variant)] = "application/json" },
      '{"token": "' .. t .. '", "tenant": "' .. tenant .. '"}')
  end
  return wrk.format("GET", nil, { [cased("Authorization", variant)] = "Bearer " .. t })
end

function init(args)
  local tokens = {}
  for file in string.gmatch(os.getenv("KW_TOKENS") or "", "[^,]+") do
    for line in io.lines(file) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
  end
  if #tokens == 0 then error("no tokens in KW_TOKENS") end
  local fill = math.max(#tokens, tonumber(os.getenv("KW_FILL") or "0"))
  for i = 1, fill do
    requests[i] = format(tokens[(i - 1) % #tokens + 1], math.floor((i - 1) / #tokens))
  end
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
