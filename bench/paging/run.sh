#!/usr/bin/env bash
# bench/paging/run.sh — paging: Klaxon vs Alertmanager 0.25 alert -> first page latency, and
# Klaxon's engine timer lateness and memory at N_PENDING pending escalations. One run.
#
# 1. latency: one webhook receiver (paging.py receiver: its own process, records the
#    CLOCK_MONOTONIC arrival of the first delivery naming each alert id) serves both servers.
#    Per run a fresh server; WARMUP + N_ALERTS distinct alerts, one per POST, open loop at
#    RATE/s over 4 connections; latency = receiver arrival - the moment just before the POST.
#    - Alertmanager: POST /api/v2/alerts, route group_by [alertname], group_wait 0s, webhook.
#    - Klaxon (default durable commits): POST /intake/prometheus/<key>/api/v2/alerts; LANES
#      chains user (webhook contact method -> receiver /k/<j>) <- policy (step 1 targets the
#      user) <- service <- integration, alerts round robin over the lanes: Klaxon sends at most
#      5 deliveries/s to one address (docs/api.md), so one address at 50 alerts/s would measure
#      that limit, not latency; RATE/LANES stays below it. A SINGLE_N-alert run over one
#      lane shows the limit (reported apart, not in the comparison).
#    Runs interleave (am, klaxon, am, klaxon, ...) REPS times; the table is the median of the
#    per-run p50/p99. For Klaxon the event log splits each alert's latency into segments.
# 2. timers-system (system clock): N_PENDING incidents by bulk intake (LOAD_BATCH alerts per
#    POST, paced to LOAD_RATE/s), policy step 1 (delay WAVE_DELAY_MIN) then step 2 (60 min, so
#    nothing after step 2 comes due in the run), both targeting a user without contact
#    methods (engine only: no deliveries). Step 1 fires at
#    once, so N_PENDING step-2 timers are pending; RSS then. A light stream of probe
#    escalations (PROBE_RATE/s, 1-minute step) measures lateness at N_PENDING pending; then the
#    N_PENDING timers come due as they were created (~LOAD_RATE/s) and their lateness is read
#    from /metrics (klaxon_engine_timer_lateness_seconds, differences of snapshots).
# 3. timers-manual (--clock manual): MANUAL_N incidents in MANUAL_WAVES chunks, the clock
#    +1 s between chunks; then the clock is moved so one chunk's step-2 timers come due at
#    once per move: the real time until all of them fired = drain time of that wave.
#
# Writes $OUT/{machine.txt,latency.jsonl,latency-*.txt,timers-system.json,timers-manual.json,
# summary.md,summary.json}. Not part of `make test`. Needs root for apt-get if Alertmanager
# is missing. Does not build Klaxon: KLAXON (default build/klaxon) must exist.
#
# Knobs (environment): N_ALERTS=1000 RATE=50 REPS=3 WARMUP=20 LANES=20 SINGLE_N=100 WAIT=30
#   N_PENDING=100000 WAVE_DELAY_MIN=4 LOAD_RATE=1000 LOAD_BATCH=250 PROBE_RATE=20 PROBE_SECONDS=30
#   MANUAL_N=$N_PENDING MANUAL_WAVES=10 PARTS="latency timers-system timers-manual"
#   OUT=<dir> KLAXON=<binary> AM_BIN=/usr/bin/prometheus-alertmanager
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export KLAXON=${KLAXON:-$ROOT/build/klaxon}
export AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
N_ALERTS=${N_ALERTS:-1000}
RATE=${RATE:-50}
REPS=${REPS:-3}
WARMUP=${WARMUP:-20}
LANES=${LANES:-20}
SINGLE_N=${SINGLE_N:-100}
WAIT=${WAIT:-30}
N_PENDING=${N_PENDING:-100000}
WAVE_DELAY_MIN=${WAVE_DELAY_MIN:-4}
LOAD_RATE=${LOAD_RATE:-1000}
LOAD_BATCH=${LOAD_BATCH:-250}
PROBE_RATE=${PROBE_RATE:-20}
PROBE_SECONDS=${PROBE_SECONDS:-30}
MANUAL_N=${MANUAL_N:-$N_PENDING}
MANUAL_WAVES=${MANUAL_WAVES:-10}
PARTS=${PARTS:-"latency timers-system timers-manual"}
OUT=${OUT:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)}
T0=$(date +%s)

log() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }

if [[ ! -x $AM_BIN ]]; then
  log "installing prometheus-alertmanager (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y prometheus-alertmanager >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y prometheus-alertmanager >/dev/null; }
fi
[[ -x $KLAXON ]] || { echo "no Klaxon binary at $KLAXON (build it first)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "missing python3" >&2; exit 1; }

mkdir -p "$OUT"
# Every part runs the same binary: a copy taken now (build/klaxon may be rebuilt meanwhile).
SNAP=$(mktemp -d /tmp/klaxon-paging-bin.XXXXXX)
trap 'rm -rf "$SNAP"' EXIT
KLAXON_SRC=$KLAXON
cp "$KLAXON_SRC" "$SNAP/klaxon"
export KLAXON=$SNAP/klaxon
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
  echo "klaxon: $("$KLAXON" version 2>&1 | head -1) ($KLAXON_SRC, built $(date -u -r "$KLAXON_SRC" +%Y-%m-%dT%H:%M:%SZ), sha256 $(sha256sum "$KLAXON" | cut -c1-16); a copy of it ran every part)"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) + $(git -C "$ROOT" status --porcelain 2>/dev/null | grep -c '^ M\|^??') changed/new paths in the working tree"
  echo "python: $(python3 --version 2>&1)"
  echo "command: ${BENCH_COMMAND:-bench/paging/run.sh}"
  echo "settings: N_ALERTS=$N_ALERTS RATE=$RATE REPS=$REPS WARMUP=$WARMUP LANES=$LANES SINGLE_N=$SINGLE_N N_PENDING=$N_PENDING WAVE_DELAY_MIN=$WAVE_DELAY_MIN LOAD_RATE=$LOAD_RATE LOAD_BATCH=$LOAD_BATCH PROBE_RATE=$PROBE_RATE PROBE_SECONDS=$PROBE_SECONDS MANUAL_N=$MANUAL_N MANUAL_WAVES=$MANUAL_WAVES"
  echo "parts: $PARTS"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# paging.py starts and stops every server and the receiver itself (also on SIGINT/SIGTERM);
# we forward our signals to it and wait.
CHILD=
on_signal() {
  [[ -n $CHILD ]] && kill -TERM "$CHILD" 2>/dev/null || true
  [[ -n $CHILD ]] && wait "$CHILD" 2>/dev/null || true
  exit 130
}
trap on_signal INT TERM
run_part() {
  python3 "$HERE/paging.py" "$@" &
  CHILD=$!
  wait "$CHILD"
  CHILD=
}

for part in $PARTS; do
  log "part: $part"
  case $part in
    latency)
      rm -f "$OUT/latency.jsonl"
      run_part latency --out "$OUT" --n "$N_ALERTS" --rate "$RATE" --reps "$REPS" --warmup "$WARMUP" \
        --lanes "$LANES" --single-n "$SINGLE_N" --wait "$WAIT" ;;
    timers-system)
      run_part timers-system --out "$OUT" --n-pending "$N_PENDING" --wave-delay "$WAVE_DELAY_MIN" \
        --load-rate "$LOAD_RATE" --load-batch "$LOAD_BATCH" --probe-rate "$PROBE_RATE" \
        --probe-seconds "$PROBE_SECONDS" ;;
    timers-manual)
      run_part timers-manual --out "$OUT" --n-pending "$MANUAL_N" --waves "$MANUAL_WAVES" ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
echo "loadavg_at_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
echo "total_seconds: $(($(date +%s) - T0))" >>"$OUT/machine.txt"

python3 "$HERE/summarize.py" "$OUT"
log "done; results in $OUT"
