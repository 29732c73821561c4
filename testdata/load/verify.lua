-- wrk load for POST /v1/verify. TOKEN: a pass token.
--   TOKEN=eyJ... wrk -t2 -c32 -d10s --latency -s testdata/load/verify.lua http://127.0.0.1:8080/v1/verify
wrk.method = "POST"
wrk.body = '{"token":"' .. os.getenv("TOKEN") .. '"}'
wrk.headers["Content-Type"] = "application/json"
