#!/usr/bin/env bash
# bench/intake/run.sh — Klaxon vs Alertmanager 0.25 alert intake, side by side, one run.
#
# Starts each server fresh on a free 127.0.0.1 port, drives it with the same wrk + Lua
# generator (alerts.lua: fresh, distinct alerts in every request), and measures
#   - alerts/s accepted (2xx requests/s x batch), p50/p99 latency (wrk's histogram)
#     at batch 1 and 100 alerts per request, 16 and 256 connections;
#     each: a short warmup, then REPS runs of DURATION seconds, median of the runs;
#   - RSS (VmRSS) idle and after RSS_ALERTS distinct active alerts, per-alert bytes.
# Prints a table, writes $OUT/{runs.jsonl,rss.jsonl,summary.md,summary.json,machine.txt}.
# Not part of `make test`. Needs root for apt-get if wrk/alertmanager are missing.
#
# Knobs (environment): DURATION=10 WARMUP=2 REPS=3 BATCHES="1 100" CONNS="16 256"
#   VARIANTS="am:grouped klaxon-full:grouped klaxon-normal:grouped klaxon-full:distinct"
#   RSS_ALERTS=100000 RSS_POOL=1000 RSS_DEADLINE=90 BUDGET=800 WRK_THREADS=2 OUT=<dir>
#   KLAXON=<binary>
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
KLAXON=${KLAXON:-$ROOT/build/klaxon}
AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
REPS=${REPS:-3}
BATCHES=${BATCHES:-"1 100"}
CONNS=${CONNS:-"16 256"}
VARIANTS=${VARIANTS:-"am:grouped klaxon-full:grouped klaxon-normal:grouped klaxon-full:distinct"}
RSS_ALERTS=${RSS_ALERTS:-100000}
RSS_POOL=${RSS_POOL:-1000}
RSS_DEADLINE=${RSS_DEADLINE:-90}
BUDGET=${BUDGET:-800}  # seconds; throughput blocks that would start later are skipped
WRK_THREADS=${WRK_THREADS:-2}
OUT=${OUT:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)}
T0=$(date +%s)

log() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }

# ---- dependencies ---------------------------------------------------------------------
if ! command -v wrk >/dev/null || [[ ! -x $AM_BIN ]]; then
  log "installing wrk and prometheus-alertmanager (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y prometheus-alertmanager wrk >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y prometheus-alertmanager wrk >/dev/null; }
fi
if [[ ! -x $KLAXON ]]; then
  log "building klaxon"
  cmake --build "$ROOT/build" -j2 --target klaxon >/dev/null
fi
for t in wrk python3 curl; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/klaxon-bench.XXXXXX)
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
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wait_idle() {  # until the server burns < 10% of a core for 0.5 s, at most $2 s
  local pid=$1 max=$2 a b
  for _ in $(seq $((max * 2))); do
    a=$(cpu_ticks "$pid"); sleep 0.5; b=$(cpu_ticks "$pid")
    (((b - a) * 100 / 50 < 10)) && return 0
  done
  return 0
}

# Starts a server; sets SRV_PID, SRV_URL (intake URL), SRV_DIR.
start_am() {
  local port; port=$(free_port)
  SRV_DIR=$(mktemp -d "$WORK/am.XXXX")
  cat >"$SRV_DIR/am.yml" <<'YML'
route:
  receiver: "null"
  group_by: ["alertname"]
receivers:
  - name: "null"
YML
  "$AM_BIN" --config.file="$SRV_DIR/am.yml" --storage.path="$SRV_DIR/data" \
    --web.listen-address="127.0.0.1:$port" --cluster.listen-address= \
    >"$SRV_DIR/log" 2>&1 &
  SRV_PID=$!; PIDS+=("$SRV_PID")
  wait_http "http://127.0.0.1:$port/-/ready" 20
  SRV_URL="http://127.0.0.1:$port/api/v2/alerts"
}
start_klaxon() {  # sync = full|normal
  SRV_DIR=$(mktemp -d "$WORK/klaxon.XXXX")
  klaxon_start "$KLAXON" "$SRV_DIR" "$1" "$SRV_DIR/log"
  SRV_PID=$KLAXON_PID; PIDS+=("$SRV_PID")
  SRV_URL=$KLAXON_INTAKE_URL
}
start_variant() {
  case $1 in
    am) start_am ;;
    klaxon-full) start_klaxon full ;;
    klaxon-normal) start_klaxon normal ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
}
stop_server() { stop_pid "$SRV_PID"; rm -rf "$SRV_DIR"; }

# One wrk run; appends a JSON line to $OUT/runs.jsonl (rep 0 = warmup, not recorded).
run_wrk() {  # target mode batch conns seconds rep
  local target=$1 mode=$2 batch=$3 conns=$4 secs=$5 rep=$6 tmp
  tmp="$WORK/wrk.$RANDOM.json"
  WRK_OUT=$tmp wrk -t"$WRK_THREADS" -c"$conns" -d"${secs}s" --latency --timeout 10s \
    -s "$HERE/alerts.lua" "$SRV_URL" -- "$batch" "r$RUN_SEQ" "$mode" >"$tmp.txt" 2>&1 || true
  RUN_SEQ=$((RUN_SEQ + 1))
  if [[ $rep -gt 0 ]]; then
    if [[ -s $tmp ]]; then
      printf '{"target":"%s","mode":"%s","batch":%d,"conns":%d,"rep":%d,"wrk":%s}\n' \
        "$target" "$mode" "$batch" "$conns" "$rep" "$(tail -1 "$tmp")" >>"$OUT/runs.jsonl"
      python3 - "$tmp" "$batch" <<'PY' >&2
import json, sys
w = json.loads(open(sys.argv[1]).read().splitlines()[-1]); b = int(sys.argv[2])
ok = w["requests"] - w["err_status"]
print(f"        {ok * b / (w['duration_us'] / 1e6):10.0f} alerts/s  p50 {w['p50_us']/1000:8.1f} ms"
      f"  p99 {w['p99_us']/1000:8.1f} ms  non2xx {w['err_status']} timeouts {w['err_timeout']}")
PY
    else
      log "wrk produced no result: $(tail -3 "$tmp.txt")"
    fi
  fi
  rm -f "$tmp" "$tmp.txt"
}

# ---- machine ---------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "mem_total: $(awk '/^MemTotal/ {print $2 " kB"}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "loadavg_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "fs_of_tmp: $(df -T /tmp | awk 'NR==2 {print $2}')"
  echo "fsync_ms_median: $(python3 -c '
import os, time, statistics
p = "/tmp/.kx-fsync-probe"; fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600); t = []
for i in range(50):
    os.write(fd, b"x" * 4096); s = time.perf_counter(); os.fsync(fd); t.append(time.perf_counter() - s)
os.close(fd); os.unlink(p); print(round(statistics.median(t) * 1000, 3))')"
  echo "alertmanager: $("$AM_BIN" --version 2>&1 | head -1)"
  echo "klaxon: $("$KLAXON" version 2>&1 | head -1) ($KLAXON)"
  echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "command: ${BENCH_COMMAND:-bench/intake/run.sh}"
  echo "settings: DURATION=$DURATION WARMUP=$WARMUP REPS=$REPS BATCHES='$BATCHES' CONNS='$CONNS' WRK_THREADS=$WRK_THREADS RSS_ALERTS=$RSS_ALERTS RSS_POOL=$RSS_POOL"
  echo "variants: $VARIANTS"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2
: >"$OUT/runs.jsonl"
: >"$OUT/rss.jsonl"
RUN_SEQ=1

# ---- throughput / latency --------------------------------------------------------------
# One fresh server per (variant, batch, conns): warmup, then REPS runs; the server is
# stopped after its block, so a backlog it could not finish never bleeds into another
# target's measurement.
for variant in $VARIANTS; do
  target=${variant%%:*}; mode=${variant#*:}
  for batch in $BATCHES; do
    for conns in $CONNS; do
      if (($(date +%s) - T0 > BUDGET)); then
        log "SKIPPED $target $mode batch=$batch conns=$conns: over the ${BUDGET}s budget"
        continue
      fi
      start_variant "$target"
      log "$target $mode batch=$batch conns=$conns (pid $SRV_PID)"
      run_wrk "$target" "$mode" "$batch" "$conns" "$WARMUP" 0
      wait_idle "$SRV_PID" 2
      for rep in $(seq "$REPS"); do
        run_wrk "$target" "$mode" "$batch" "$conns" "$DURATION" "$rep"
        wait_idle "$SRV_PID" 2
      done
      stop_server
    done
  done
done

# ---- memory: RSS idle and after RSS_ALERTS distinct active alerts ---------------------
# Loaded in batches of 100 over 4 connections, alertname from a pool of RSS_POOL names
# (RSS_ALERTS/RSS_POOL alerts per group), every alert distinct, endsAt +1h (active).
active_count() {  # target: alerts the server holds (AM: all marker states; Klaxon: alert.fired)
  case $1 in
    am) curl -fsS "${SRV_URL%%/api/v2/alerts}/metrics" |
          awk '/^alertmanager_alerts\{/ {s += $2} END {print s + 0}' ;;
    *) curl -fsS "${SRV_URL%%/intake/*}/metrics" |
          awk '/^klaxon_events_appended_total\{kind="alert.fired"\}/ {print $2 + 0}' ;;
  esac
}
for target in am klaxon-full; do
  start_variant "$target"
  sleep 2
  idle=$(rss_kb "$SRV_PID")
  per_thread=$((RSS_ALERTS / WRK_THREADS))
  log "$target: loading $RSS_ALERTS distinct alerts (pid $SRV_PID, idle RSS ${idle} kB)"
  t_start=$(date +%s.%N)
  # Each wrk thread stops after its quota of distinct alerts, but wrk itself only exits
  # at -d: poll the server's count and end our wrk once every alert is in.
  WRK_OUT=$WORK/rss-wrk.json wrk -t"$WRK_THREADS" -c4 -d"${RSS_DEADLINE}s" --timeout 30s \
    -s "$HERE/alerts.lua" "$SRV_URL" -- 100 "rss" pool "$RSS_POOL" "$per_thread" \
    >"$WORK/rss-wrk.txt" 2>&1 &
  wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep 0.5
    n=$(active_count "$target" 2>/dev/null || echo 0)
    [[ ${n:-0} -ge $((per_thread * WRK_THREADS)) ]] && break
  done
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
  t_load=$(python3 -c "import time; print(round(time.time() - $t_start, 1))")
  wait_idle "$SRV_PID" 10
  sleep 3
  after=$(rss_kb "$SRV_PID"); hwm=$(hwm_kb "$SRV_PID")
  count=$(active_count "$target" || echo 0)
  disk=0
  if [[ $target != am ]]; then disk=$(du -sk "$SRV_DIR" | awk '{print $1}'); fi
  printf '{"target":"%s","idle_kb":%d,"after_kb":%d,"hwm_kb":%d,"alerts":%d,"load_s":%s,"disk_kb":%d}\n' \
    "$target" "$idle" "$after" "$hwm" "${count:-0}" "$t_load" "$disk" >>"$OUT/rss.jsonl"
  log "$target: RSS ${idle} -> ${after} kB with ${count} alerts (load ${t_load}s, disk ${disk} kB)"
  stop_server
done

# ---- summary ---------------------------------------------------------------------------
python3 "$HERE/summarize.py" "$OUT"
log "done; results in $OUT"
