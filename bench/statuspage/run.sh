#!/usr/bin/env bash
# bench/statuspage/run.sh — Klaxon's public status page vs Debian's nginx serving the same
# bytes as static files, side by side, one run.
#
# 1. Starts Klaxon (a copy of the binary taken at the start) with a temp data dir and
#    --admin-password; setup_page.py builds a realistic page through the API (page
#    settings, 3 groups x 4 components, a few status changes, 2 public incidents with 3
#    updates each (one unresolved), 1 scheduled maintenance).
# 2. Fetches Klaxon's rendered /status and /api/v2/summary.json and writes the bytes as
#    static files for nginx (its own minimal config in a temp dir, foreground `daemon off;`,
#    worker_processes auto, access_log off, sendfile on, keep-alive; the same Content-Type
#    and security headers as Klaxon, so both send the same body and nearly the same header
#    bytes). The system nginx service is not touched.
# 3. wrk (WRK_THREADS threads, --latency, get.lua for a JSON line of figures) against both
#    servers, both paths, each of CONNS: per (path, conns) a WARMUP-second warmup of each
#    server, then REPS runs of DURATION seconds per server, interleaved nginx/Klaxon
#    (ABBA order) so drift in the machine's load hits both; medians of the runs.
#    Each run also records the server's CPU time and context switches (all its threads /
#    worker processes, from /proc), the machine's busy CPU and the load average.
# 4. For information: Klaxon's conditional GET (If-None-Match: <ETag> -> 304) at COND_CONNS
#    connections for each path, REPS runs; the 304s are counted from Klaxon's /metrics.
# Writes $OUT/{machine.txt,setup.json,runs.jsonl,summary.md,summary.json} and, for
# reference, the headers both servers sent ($OUT/served/). Not part of `make test`. Needs root for
# apt-get if wrk or nginx are missing. Does not build Klaxon.
#
# Knobs (environment): DURATION=10 WARMUP=2 REPS=3 CONNS="16 256" WRK_THREADS=2
#   PATHS="/status /api/v2/summary.json" COND_CONNS=256 COND=1 BUDGET=450 (seconds: a block
#   that would end later is skipped) KLAXON=<binary> (default build/klaxon) KLAXON_ARGS=""
#   (extra `klaxon serve` flags) NGINX_BIN=/usr/sbin/nginx OUT=<dir>
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
KLAXON_SRC=${KLAXON:-$ROOT/build/klaxon}
KLAXON_ARGS=${KLAXON_ARGS:-}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
REPS=${REPS:-3}
CONNS=${CONNS:-"16 256"}
WRK_THREADS=${WRK_THREADS:-2}
PATHS=${PATHS:-"/status /api/v2/summary.json"}
COND=${COND:-1}
COND_CONNS=${COND_CONNS:-256}
BUDGET=${BUDGET:-450}
OUT=${OUT:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)}
ADMIN_PASSWORD=bench-admin-password-1
T0=$(date +%s)

log() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }

# ---- dependencies ---------------------------------------------------------------------
if ! command -v wrk >/dev/null || [[ ! -x $NGINX_BIN ]]; then
  log "installing wrk and nginx (apt)"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d 101: the package must not start the system nginx service.
  policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1
  fi
  apt-get install -y nginx wrk >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y nginx wrk >/dev/null; }
  if ((policy == 1)); then rm -f /usr/sbin/policy-rc.d; fi
fi
[[ -x $KLAXON_SRC ]] || { echo "no Klaxon binary at $KLAXON_SRC (build it first)" >&2; exit 1; }
for t in wrk python3 curl sha256sum; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done

# The real interpreter once: a pyenv shim costs up to a second per call on a busy machine.
PY=$(python3 -c 'import sys; print(sys.executable)')
HZ=$(getconf CLK_TCK)
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/klaxon-statuspage.XXXXXX)
chmod 755 "$WORK"  # nginx workers (user nobody) read the web root below it
PIDS=()

stop_pid() {  # SIGTERM, then SIGKILL after 3 s; only our own children
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$HERE/../lib.sh"  # free_port, wait_http
# CPU ticks (user+system) of a process and its direct children (nginx: master + workers).
proc_ticks() {
  local pid=$1 total=0 c
  total=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  for c in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
# voluntary and involuntary context switches of a process's threads and its children's
ctx_switches() {
  local pid=$1 c pids
  pids="$pid $(cat "/proc/$pid/task/$pid/children" 2>/dev/null)"
  for c in $pids; do cat /proc/"$c"/task/*/status 2>/dev/null; done |
    awk '/^voluntary_ctxt_switches/ {v += $2} /^nonvoluntary_ctxt_switches/ {n += $2} END {print v + 0, n + 0}'
}
# busy and total jiffies of the whole machine (all CPUs)
machine_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
http_count() {  # Klaxon's klaxon_http_requests_total for route $1 and status $2
  curl -fsS "$KX_URL/metrics" |
    awk -v r="route=\"$1\"" -v s="status=\"$2\"" \
      '/^klaxon_http_requests_total\{/ && index($0, r) && index($0, s) {n += $2} END {print n + 0}'
}

# ---- Klaxon: start, build the page ------------------------------------------------------
# A copy of the binary: build/klaxon may be rebuilt by others during the run.
cp "$KLAXON_SRC" "$WORK/klaxon"
KLAXON=$WORK/klaxon
KX_PORT=$(free_port)
KX_URL=http://127.0.0.1:$KX_PORT
mkdir -p "$WORK/kx-data"
# shellcheck disable=SC2086
"$KLAXON" serve --listen "127.0.0.1:$KX_PORT" --data "$WORK/kx-data" \
  --admin-password "$ADMIN_PASSWORD" --drain-timeout 1 $KLAXON_ARGS >"$WORK/klaxon.log" 2>&1 &
KX_PID=$!; PIDS+=("$KX_PID")
wait_http "$KX_URL/readyz" 20
log "klaxon pid $KX_PID on $KX_URL; building the page"
"$PY" "$HERE/setup_page.py" "$KX_URL" "$ADMIN_PASSWORD" >"$WORK/setup.json"

# ---- nginx: the same bytes as static files --------------------------------------------
WEB=$WORK/nginx/www
mkdir -p "$WEB/api/v2" "$WORK/nginx/tmp" "$OUT/served"
chmod -R 755 "$WORK/nginx"
curl -fsS -D "$OUT/served/status.headers" -o "$WEB/status.html" "$KX_URL/status"
curl -fsS -D "$OUT/served/summary.headers" -o "$WEB/api/v2/summary.json" "$KX_URL/api/v2/summary.json"
chmod 644 "$WEB/status.html" "$WEB/api/v2/summary.json"
# The bodies themselves are not kept (they are the same every run; sizes are in
# setup.json/summary); only the headers both servers sent.
etag_of() { awk 'tolower($1) == "etag:" {sub(/\r$/, ""); print $2}' "$1"; }
ETAG_STATUS=$(etag_of "$OUT/served/status.headers")
ETAG_SUMMARY=$(etag_of "$OUT/served/summary.headers")
NG_PORT=$(free_port)
NG_URL=http://127.0.0.1:$NG_PORT
cat >"$WORK/nginx/nginx.conf" <<NGINX
# bench/statuspage: a minimal static server for the same bytes Klaxon serves.
daemon off;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;  # like Klaxon: no per-connection request cap
  server_tokens off;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  types { }
  server {
    listen 127.0.0.1:$NG_PORT;
    root $WEB;
    # Klaxon's response headers (add_header in a location replaces inherited ones).
    location = /status {
      default_type "text/html; charset=utf-8";
      add_header Cache-Control "public, no-cache";
      add_header X-Content-Type-Options nosniff;
      add_header Referrer-Policy strict-origin-when-cross-origin;
      add_header Content-Security-Policy "default-src 'none'; style-src 'self'; img-src 'self' https: data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
      add_header X-Frame-Options DENY;
      try_files /status.html =404;
    }
    location = /api/v2/summary.json {
      default_type "application/json; charset=utf-8";
      add_header Cache-Control "public, no-cache";
      add_header X-Content-Type-Options nosniff;
      add_header Referrer-Policy strict-origin-when-cross-origin;
      add_header Access-Control-Allow-Origin "*";
    }
  }
}
NGINX
"$NGINX_BIN" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" \
  >"$WORK/nginx/stdout.log" 2>&1 &
NG_PID=$!; PIDS+=("$NG_PID")
wait_http "$NG_URL/status" 10
for p in $PATHS; do
  a=$(curl -fsS "$KX_URL$p" | sha256sum | cut -c1-16)
  b=$(curl -fsS "$NG_URL$p" | sha256sum | cut -c1-16)
  [[ $a == "$b" ]] || { echo "nginx does not serve Klaxon's bytes for $p ($a vs $b)" >&2; exit 1; }
done
curl -fsS -D - -o /dev/null "$NG_URL/status" >"$OUT/served/status.nginx.headers"
curl -fsS -D - -o /dev/null "$NG_URL/api/v2/summary.json" >"$OUT/served/summary.nginx.headers"
log "nginx pid $NG_PID on $NG_URL serves the same bytes ($(nproc) workers)"

# ---- machine ---------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "mem_total: $(awk '/^MemTotal/ {print $2 " kB"}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "loadavg_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "klaxon: $("$KLAXON" version 2>&1 | head -1) ($KLAXON_SRC, built $(date -u -r "$KLAXON_SRC" +%Y-%m-%dT%H:%M:%SZ), sha256 $(sha256sum "$KLAXON" | cut -c1-16); a copy of it ran)"
  echo "klaxon_args: --admin-password … --drain-timeout 1 $KLAXON_ARGS (defaults otherwise: --threads = cores, --log-level info)"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) + $(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c '^ M\|^??') changed/new paths in the working tree"
  echo "nginx: $("$NGINX_BIN" -v 2>&1 | head -1) (Debian $(dpkg-query -W -f='${Version}' nginx 2>/dev/null || echo '?'))"
  echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "python: $("$PY" --version 2>&1)"
  echo "bytes: /status $(stat -c %s "$WEB/status.html"), /api/v2/summary.json $(stat -c %s "$WEB/api/v2/summary.json")"
  echo "page: $(cat "$WORK/setup.json")"
  echo "command: ${BENCH_COMMAND:-bench/statuspage/run.sh}"
  echo "settings: DURATION=$DURATION WARMUP=$WARMUP REPS=$REPS CONNS='$CONNS' WRK_THREADS=$WRK_THREADS PATHS='$PATHS' COND=$COND COND_CONNS=$COND_CONNS BUDGET=$BUDGET"
} >"$OUT/machine.txt"
cp "$WORK/setup.json" "$OUT/setup.json"
cp "$WORK/nginx/nginx.conf" "$OUT/served/nginx.conf"
cat "$OUT/machine.txt" >&2
: >"$OUT/runs.jsonl"

# ---- one wrk run ------------------------------------------------------------------------
# run_wrk server path conns seconds rep [etag]; rep 0 = warmup (not recorded).
run_wrk() {
  local server=$1 path=$2 conns=$3 secs=$4 rep=$5 etag=${6:-} url pid tmp
  local c0 c1 m0 m1 x0 x1 la kind=get n304a=0 n304b=0 n200a=0 n200b=0
  case $server in
    nginx) url=$NG_URL$path; pid=$NG_PID ;;
    klaxon) url=$KX_URL$path; pid=$KX_PID ;;
  esac
  [[ -n $etag ]] && kind=conditional
  tmp="$WORK/wrk.$RANDOM.json"
  if [[ $kind == conditional && $rep -gt 0 ]]; then
    local route; route=$([[ $path == /api/v2/* ]] && echo '/api/v2/*.json' || echo /status)
    n304a=$(http_count "$route" 304); n200a=$(http_count "$route" 200)
  fi
  la=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(proc_ticks "$pid"); m0=$(machine_ticks); x0=$(ctx_switches "$pid")
  WRK_OUT=$tmp wrk -t"$WRK_THREADS" -c"$conns" -d"${secs}s" --latency --timeout 10s \
    -s "$HERE/get.lua" "$url" -- "$etag" >"$tmp.txt" 2>&1 || true
  c1=$(proc_ticks "$pid"); m1=$(machine_ticks); x1=$(ctx_switches "$pid")
  if [[ $kind == conditional && $rep -gt 0 ]]; then
    n304b=$(http_count "$route" 304); n200b=$(http_count "$route" 200)
  fi
  if [[ $rep -gt 0 ]]; then
    if [[ -s $tmp ]]; then
      "$PY" - "$tmp" "$server" "$path" "$kind" "$conns" "$rep" "$la" "$((c1 - c0))" "$m0" "$m1" \
        "$((n304b - n304a))" "$((n200b - n200a))" "$HZ" "$(nproc)" "$OUT/runs.jsonl" "$x0" "$x1" <<'PY' >&2
import json, sys
(tmp, server, path, kind, conns, rep, la, ticks, m0, m1, n304, n200, hz, ncpu, out, x0, x1) = sys.argv[1:]
w = json.loads(open(tmp).read().splitlines()[-1])
m0, m1 = [int(x) for x in m0.split()], [int(x) for x in m1.split()]
x0, x1 = [int(x) for x in x0.split()], [int(x) for x in x1.split()]
line = {"server": server, "path": path, "kind": kind, "conns": int(conns), "rep": int(rep),
        "loadavg1": float(la), "server_cpu_s": round(int(ticks) / int(hz), 2),
        "machine_busy_cores": round((m1[0] - m0[0]) / max(1, m1[1] - m0[1]) * int(ncpu), 2),
        "ctx_voluntary": x1[0] - x0[0], "ctx_involuntary": x1[1] - x0[1],
        "n304": int(n304), "n200": int(n200), "wrk": w}
with open(out, "a") as f:
    f.write(json.dumps(line) + "\n")
secs = w["duration_us"] / 1e6
errs = w["err_status"] + w["err_timeout"] + w["err_connect"] + w["err_read"] + w["err_write"]
print(f"        {server:6} {path:22} {kind:11} c={conns:>3}"
      f" {w['requests'] / secs:9.0f} req/s  p50 {w['p50_us'] / 1000:7.2f} ms"
      f"  p99 {w['p99_us'] / 1000:7.2f} ms  {w['bytes'] / max(1, w['requests']):8.0f} B/resp"
      f"  errors {errs}  server {line['server_cpu_s']:.1f} s CPU  load {la}")
PY
    else
      log "wrk produced no result: $(tail -3 "$tmp.txt")"
    fi
  fi
  rm -f "$tmp" "$tmp.txt"
}

# ---- throughput / latency, interleaved ---------------------------------------------------
block_s=$((2 * WARMUP + 2 * REPS * DURATION + 2 * REPS + 4))
for conns in $CONNS; do
  for path in $PATHS; do
    if (($(date +%s) - T0 + block_s > BUDGET)); then
      log "SKIPPED $path conns=$conns: it would end after the ${BUDGET}s budget"
      continue
    fi
    log "$path, $conns connections: warmup ${WARMUP}s each, then $REPS x ${DURATION}s per server"
    run_wrk nginx "$path" "$conns" "$WARMUP" 0
    run_wrk klaxon "$path" "$conns" "$WARMUP" 0
    for rep in $(seq "$REPS"); do
      if ((rep % 2 == 1)); then order="nginx klaxon"; else order="klaxon nginx"; fi
      for server in $order; do
        sleep 0.2
        run_wrk "$server" "$path" "$conns" "$DURATION" "$rep"
      done
    done
  done
done

# ---- Klaxon's conditional GET (If-None-Match -> 304), for information ---------------------
if [[ $COND == 1 ]]; then
  for path in $PATHS; do
    etag=$ETAG_STATUS; [[ $path == /api/v2/* ]] && etag=$ETAG_SUMMARY
    cond_s=$((WARMUP + REPS * DURATION + REPS + 2))
    if (($(date +%s) - T0 + cond_s > BUDGET)); then
      log "SKIPPED conditional $path: it would end after the ${BUDGET}s budget"
      continue
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$KX_URL$path")
    [[ $code == 304 ]] || { log "conditional GET of $path answered $code, not 304"; continue; }
    log "conditional $path ($etag), $COND_CONNS connections"
    run_wrk klaxon "$path" "$COND_CONNS" "$WARMUP" 0 "$etag"
    for rep in $(seq "$REPS"); do
      sleep 0.2
      run_wrk klaxon "$path" "$COND_CONNS" "$DURATION" "$rep" "$etag"
    done
  done
fi

# The page must not have changed during the run (same ETag as at the start).
end_etag=$(curl -fsS -D - -o /dev/null "$KX_URL/status" | etag_of /dev/stdin)
[[ $end_etag == "$ETAG_STATUS" ]] || log "WARNING: /status changed during the run ($ETAG_STATUS -> $end_etag)"
echo "etag_unchanged: $([[ $end_etag == "$ETAG_STATUS" ]] && echo yes || echo no)" >>"$OUT/machine.txt"
echo "klaxon_rss_end_kb: $(awk '/^VmRSS:/ {print $2}' /proc/$KX_PID/status)" >>"$OUT/machine.txt"
echo "loadavg_at_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
echo "total_seconds: $(($(date +%s) - T0))" >>"$OUT/machine.txt"

"$PY" "$HERE/summarize.py" "$OUT"
log "done; results in $OUT"
