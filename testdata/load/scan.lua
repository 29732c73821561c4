-- wrk load for POST /v1/scans: a unique scan_id per request, in/out at 4 gates.
-- AUTH: a scanner API token. TOKEN: one pass token, or TOKENS: a file with
-- one pass token per line (scans spread over many passes, as at a real door).
--   TOKEN=eyJ... AUTH=lam_... wrk -t2 -c32 -d10s --latency -s testdata/load/scan.lua http://127.0.0.1:8080/
local counter = 0
local prefix = "p"
local tokens = {}
local auth = os.getenv("AUTH")
if os.getenv("TOKENS") then
  for line in io.lines(os.getenv("TOKENS")) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
else
  tokens[1] = os.getenv("TOKEN")
end
init = function(args) prefix = tostring({}):sub(8) .. math.random(1e9) end -- one prefix per thread and process
request = function()
  counter = counter + 1
  local n = #tokens
  local token = tokens[(counter % n) + 1]
  local round = math.floor(counter / n)
  local dir = (round % 2 == 0) and "in" or "out"
  local body = '{"token":"' .. token .. '","gate":"g' .. (round % 4) .. '","zone":"stage","direction":"' .. dir ..
    '","scan_id":"' .. prefix .. '-' .. counter .. '"}'
  return wrk.format("POST", "/v1/scans", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. auth}, body)
end
