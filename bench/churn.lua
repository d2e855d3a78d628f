-- wrk script: administrative changes at a steady rate, while another wrk measures checks.
-- Cycles through $KW_CHURN (lines `METHOD<TAB>PATH<TAB>BODY`, `{n}` in BODY replaced by a
-- counter so that every change changes something), as $KW_ADMIN_TOKEN. Each connection
-- waits $KW_DELAY_MS between its requests: with C connections, C * 1000 / delay changes
-- a second.
local admin = os.getenv("KW_ADMIN_TOKEN") or ""
local delay_ms = tonumber(os.getenv("KW_DELAY_MS") or "20")
local lines = {}
local i = 0

function init(args)
  for line in io.lines(os.getenv("KW_CHURN")) do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t(.*)$")
    if method then lines[#lines + 1] = { method, path, body } end
  end
  if #lines == 0 then error("no requests in KW_CHURN") end
  i = math.random(#lines)
end

function delay()
  return delay_ms
end

function request()
  i = i % #lines + 1
  local r = lines[i]
  local body = r[3]:gsub("{n}", tostring(i * 7919 + os.time()))
  return wrk.format(r[1], r[2], {
    ["Authorization"] = "Bearer " .. admin,
    ["Content-Type"] = "application/json",
  }, body)
end
