#!/usr/bin/env bash
# bench/statuspage/profile.sh — perf profile of Klaxon serving the cached status page under
# wrk load (the same page as run.sh, built by setup_page.py).
#   bench/statuspage/profile.sh [PATH...]     default: /status /api/v2/summary.json
# Per path: a fresh wrk warmup, then `perf record -F FREQ --call-graph dwarf -p PID` for
# SECONDS_PROFILED seconds while wrk runs with CONNS connections. Before that, in separate
# unprofiled runs of the same length, per-request counts from `perf stat` (syscalls, page
# faults, context switches, and malloc calls through a temporary uprobe, removed after).
# Writes $OUT/<name>.{self,children,callers}.txt (perf report --stdio), <name>.wrk.json,
# <name>.counts.json. Needs root (perf; apt-get linux-perf if missing).
# Knobs: SECONDS_PROFILED=10 CONNS=256 FREQ=499 WRK_THREADS=2 MALLOC_COUNT=1
#   KLAXON=<binary> OUT=<dir>
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
KLAXON_SRC=${KLAXON:-$ROOT/build/klaxon}
SECS=${SECONDS_PROFILED:-10}
CONNS=${CONNS:-256}
FREQ=${FREQ:-499}
WRK_THREADS=${WRK_THREADS:-2}
OUTDIR=${OUT:-$HERE/results/profile}
PATHS=("${@:-/status}")
[[ $# -eq 0 ]] && PATHS=(/status /api/v2/summary.json)
export DEBIAN_FRONTEND=noninteractive
command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
mkdir -p "$OUTDIR"
WORK=$(mktemp -d /tmp/klaxon-statuspage-prof.XXXXXX)
PID=""
PROBE=""
cleanup() {
  if [[ -n $PROBE ]]; then perf probe -q -d "$PROBE" >/dev/null 2>&1 || true; fi
  if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"; sleep 2; kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PY=$(python3 -c 'import sys; print(sys.executable)')
cp "$KLAXON_SRC" "$WORK/klaxon"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
mkdir -p "$WORK/data"
"$WORK/klaxon" serve --listen "127.0.0.1:$port" --data "$WORK/data" \
  --admin-password bench-admin-password-1 --drain-timeout 1 >"$WORK/log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "$url/readyz" && break; sleep 0.1; done
"$PY" "$HERE/setup_page.py" "$url" bench-admin-password-1 >/dev/null
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "loadavg_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "klaxon: $KLAXON_SRC built $(date -u -r "$KLAXON_SRC" +%Y-%m-%dT%H:%M:%SZ), sha256 $(sha256sum "$WORK/klaxon" | cut -c1-16)"
  echo "perf: $(perf version 2>&1)"
  echo "settings: SECONDS_PROFILED=$SECS CONNS=$CONNS FREQ=$FREQ WRK_THREADS=$WRK_THREADS"
} >"$OUTDIR/machine.txt"

# Per-request counts (a separate, unprofiled run of the same length): syscalls, page
# faults, context switches (perf stat), and with MALLOC_COUNT=1 (default) malloc calls
# through a temporary uprobe on libc's malloc (it slows malloc: not a throughput run).
LIBC=$(ldd "$WORK/klaxon" | awk '/libc\.so\.6/ {print $3}')
EVENTS=raw_syscalls:sys_enter,syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,page-faults,context-switches
if [[ ${MALLOC_COUNT:-1} == 1 ]] && perf probe -q -x "$LIBC" --add kx_bench_malloc=malloc 2>/dev/null; then
  PROBE=probe_libc:kx_bench_malloc; EVENTS=$EVENTS,$PROBE
fi
for path in "${PATHS[@]}"; do
  name=$(echo "$path" | tr -c 'a-zA-Z0-9\n' '_' | sed 's/^_*//')
  wrk -t"$WRK_THREADS" -c"$CONNS" -d2s "$url$path" >/dev/null 2>&1 || true
  perf stat -x, -e "$EVENTS" -p "$PID" -o "$WORK/stat.csv" -- sleep "$SECS" >/dev/null 2>&1 &
  stat_pid=$!
  WRK_OUT="$WORK/sys.json" wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" -s "$HERE/get.lua" "$url$path" \
    >/dev/null 2>&1 || true
  wait "$stat_pid" || true
  "$PY" - "$WORK/sys.json" "$WORK/stat.csv" <<'PY' >"$OUTDIR/$name.counts.json"
import json, sys
w = json.loads(open(sys.argv[1]).read().splitlines()[-1]); n = max(1, w["requests"])
out = {"requests": w["requests"], "req_s": round(n / (w["duration_us"] / 1e6))}
for line in open(sys.argv[2]):
    f = line.strip().split(",")
    if len(f) > 2 and f[0].replace(".", "").isdigit():
        out[f[2].split(":")[-1] + "_per_req"] = round(float(f[0]) / n, 2)
print(json.dumps(out))
PY
  rm -f "$WORK/sys.json" "$WORK/stat.csv"
done
if [[ -n ${PROBE:-} ]]; then perf probe -q -d "$PROBE" >/dev/null 2>&1 || true; PROBE=; fi

for path in "${PATHS[@]}"; do
  name=$(echo "$path" | tr -c 'a-zA-Z0-9\n' '_' | sed 's/^_*//')
  wrk -t"$WRK_THREADS" -c"$CONNS" -d2s "$url$path" >/dev/null 2>&1 || true
  perf record -F "$FREQ" --call-graph dwarf,16384 -p "$PID" -o "$WORK/perf.data" -- sleep "$SECS" \
    >"$WORK/perf.log" 2>&1 &
  perf_pid=$!
  rm -f "$OUTDIR/$name.wrk.json"
  WRK_OUT="$OUTDIR/$name.wrk.json" wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" --latency \
    --timeout 10s -s "$HERE/get.lua" "$url$path" >"$OUTDIR/$name.wrk.txt" 2>&1 || true
  wait "$perf_pid" || true
  clean() { sed -E 's/ {3,}/  /g; s/ +- +-?$//; s/ +-$//; s/ +$//'; }
  perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio -g none \
    --percent-limit 0.5 2>/dev/null | clean >"$OUTDIR/$name.self.txt"
  perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g none \
    --percent-limit 1.5 2>/dev/null | clean >"$OUTDIR/$name.children.txt"
  # The klaxon:: frames and the kernel's send/receive/page-fault paths, names cut short.
  grep -E '^ +[0-9]' "$OUTDIR/$name.children.txt" | grep -E \
    'klaxon::|sys_sendmsg|sys_recvmsg|exc_page_fault|_M_assign|operator new|libc_free|epoll_wait|futex|copy_from_iter|copy_to_iter' |
    cut -c1-220 >"$OUTDIR/$name.key.txt"
  perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio \
    -g caller,0.5,callee,function,percent --percent-limit 2 2>/dev/null | clean |
    head -1500 >"$OUTDIR/$name.callers.txt"
  rm -f "$WORK/perf.data"
  echo "== $path: $(tail -1 "$OUTDIR/$name.wrk.json")"
  echo "   counts (separate run): $(cat "$OUTDIR/$name.counts.json")"
  grep -E '^ +[0-9]' "$OUTDIR/$name.self.txt" | head -20
done
echo "loadavg_at_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUTDIR/machine.txt"
