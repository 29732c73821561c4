-- wrk load for POST /v1/scans: a unique scan_id per request, in/out at 4 gates.
-- TOKEN: a pass token; AUTH: a scanner API token.
--   TOKEN=eyJ... AUTH=lam_... wrk -t2 -c32 -d10s --latency -s testdata/load/scan.lua http://127.0.0.1:8080/
local counter = 0
local prefix = "p"
local token = os.getenv("TOKEN")
local auth = os.getenv("AUTH")
init = function(args) prefix = tostring({}):sub(8) end -- one prefix per thread
request = function()
  counter = counter + 1
  local dir = (counter % 2 == 0) and "in" or "out"
  local body = '{"token":"' .. token .. '","gate":"g' .. (counter % 4) .. '","zone":"stage","direction":"' .. dir ..
    '","scan_id":"' .. prefix .. '-' .. counter .. '"}'
  return wrk.format("POST", "/v1/scans", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. auth}, body)
end
