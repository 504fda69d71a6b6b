-- wrk script for bench/statuspage: plain GETs of one URL (wrk's static request: no
-- request() or response() hook, so wrk does no per-request Lua work), and at the end one
-- JSON line with the figures, appended to $WRK_OUT (or printed).
--
--   wrk -s get.lua URL                 -- plain GET
--   wrk -s get.lua URL -- '"<etag>"'   -- conditional GET: If-None-Match: <etag> (→ 304)
--
-- wrk counts only statuses > 399 as errors, so a 304 is a success here; run.sh checks the
-- 304s with the server's own counters and bytes per response.

function init(args)
  if args[1] and args[1] ~= "" then
    wrk.headers["If-None-Match"] = args[1]
  end
end

function done(summary, latency, requests)
  local out = os.getenv("WRK_OUT")
  local e = summary.errors
  local line = string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,' ..
    '"err_write":%d,"err_status":%d,"err_timeout":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean)
  if out and out ~= "" then
    local f = io.open(out, "a")
    f:write(line, "\n")
    f:close()
  else
    io.write(line, "\n")
  end
end
