-- wrk body generator for bench/intake: every request carries `batch` fresh, distinct
-- alerts in the Alertmanager API v2 shape (a JSON array of postableAlert), as
-- Prometheus sends them.
--
--   wrk -s alerts.lua URL -- BATCH RUN_ID MODE [POOL] [QUOTA]
--
-- MODE "grouped":   alertname is fixed ("BenchIntake"), the `instance` label carries a
--                   counter, so every alert has a new fingerprint but all alerts share
--                   one group (group_by: [alertname]) -> one incident on Klaxon.
-- MODE "distinct":  the counter is also in alertname, so every alert is a new group
--                   (on Klaxon: one new incident per alert; the worst case).
-- MODE "pool":      alertname is one of POOL names (counter % POOL): distinct alerts in
--                   POOL groups (used to load the 100k alerts for the RSS figure).
-- QUOTA (optional): distinct alerts per wrk thread; after it the thread stops (the few
--                   requests still in flight re-send the first batch = refreshes only).
-- RUN_ID keeps alerts distinct across runs against the same server process; the wrk
-- thread id keeps them distinct across wrk threads.
-- At the end one JSON line with the figures is appended to $WRK_OUT (or printed).


local tid_counter = 0

function setup(thread)
  tid_counter = tid_counter + 1
  thread:set("tid", tid_counter)

end

local batch, run_id, mode, n, pool, quota, responses, first_body
local starts_at, ends_at

-- Defined only with a quota: a response() hook makes wrk parse every response.
local function count_response(status, headers, body)
  responses = responses + 1
  if responses * batch >= quota then wrk.thread:stop() end
end

function init(args)
  batch = tonumber(args[1] or "1")
  run_id = args[2] or "r0"
  mode = args[3] or "grouped"
  pool = tonumber(args[4] or "1000")
  quota = tonumber(args[5] or "0")
  n = 0
  responses = 0
  if quota > 0 then response = count_response end
  local now = os.time()
  starts_at = os.date("!%Y-%m-%dT%H:%M:%S.000Z", now)
  ends_at = os.date("!%Y-%m-%dT%H:%M:%S.000Z", now + 3600)  -- active for the whole bench
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local parts = {}

function request()
  if quota > 0 and n >= quota and first_body then return first_body end
  for i = 1, batch do
    n = n + 1
    local id = run_id .. "-" .. tid .. "-" .. n
    local alertname = "BenchIntake"
    if mode == "distinct" then
      alertname = "BenchIntake_" .. id
    elseif mode == "pool" then
      alertname = "BenchIntake_" .. (n % pool)
    end
    parts[i] = '{"labels":{"alertname":"' .. alertname .. '","instance":"host-' .. id ..
      ':9100","job":"node","severity":"warning","cluster":"bench"},' ..
      '"annotations":{"summary":"Bench alert ' .. id .. '"},' ..
      '"startsAt":"' .. starts_at .. '","endsAt":"' .. ends_at .. '",' ..
      '"generatorURL":"http://prometheus.bench:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"}'
  end
  for i = batch + 1, #parts do parts[i] = nil end
  local req = wrk.format(nil, nil, nil, "[" .. table.concat(parts, ",") .. "]")
  if not first_body then first_body = req end
  return req
end


function done(summary, latency, requests)
  local out = os.getenv("WRK_OUT")
  local e = summary.errors
  local line = string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,' ..
    '"err_write":%d,"err_status":%d,"err_timeout":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean)
  if out and out ~= "" then
    local f = io.open(out, "a")
    f:write(line, "\n")
    f:close()
  else
    io.write(line, "\n")
  end
end
