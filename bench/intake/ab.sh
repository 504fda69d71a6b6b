#!/bin/bash
# A/B of Klaxon builds under intake load: CPU per new alert on the writer thread and in
# the whole server, alerts/s and p99, the builds alternating so the machine's noise falls
# on all of them alike.
#
#   bench/intake/ab.sh NAME=BINARY NAME=BINARY ...
#
# Each round starts each binary on a fresh data directory, loads it for SECS seconds with
# wrk (alerts.lua, grouped, BATCH alerts per request, CONNS connections) and, over 5
# seconds from its first second, counts CPU time with `perf stat -e task-clock` on the writer
# thread and on the whole process. ROUNDS=2 BATCH=100 CONNS=16 SECS=8 by default.
# Example (two builds): bench/intake/ab.sh old=/tmp/klaxon.old new=build/klaxon
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
ROUNDS=${ROUNDS:-2}
BATCH=${BATCH:-100}
CONNS=${CONNS:-16}
SECS=${SECS:-8}
[ "$SECS" -ge 7 ] || { echo "SECS must be at least 7 (CPU is counted from 1 s to 6 s)" >&2; exit 2; }
[ $# -gt 0 ] || { sed -n 2,13p "$0"; exit 2; }
command -v wrk >/dev/null && command -v perf >/dev/null || {
  echo "needs wrk and perf (apt-get install wrk linux-perf)" >&2
  exit 1
}

one() {  # $1 name, $2 binary, $3 round
  local work pid url stat_w stat_p out
  work=$(mktemp -d /tmp/klaxon-ab.XXXXXX)
  klaxon_start "$2" "$work/data" full "$work/log"
  pid=$KLAXON_PID url=$KLAXON_INTAKE_URL
  wrk -t2 -c"$CONNS" -d2s -s "$HERE/alerts.lua" "$url" -- "$BATCH" warm grouped >/dev/null 2>&1
  stat_w="$work/stat_w" stat_p="$work/stat_p"
  (
    sleep 1
    w=$(for t in /proc/$pid/task/*; do if [ "$(cat "$t/comm")" = klaxon-writer ]; then basename "$t"; fi; done)
    perf stat -e task-clock -t "$w" -x, -o "$stat_w" -- sleep 5 >/dev/null 2>&1 &
    perf stat -e task-clock -p "$pid" -x, -o "$stat_p" -- sleep 5 >/dev/null 2>&1
    wait
  ) &
  local hook=$!
  out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$HERE/alerts.lua" "$url" -- "$BATCH" "r$3" grouped 2>&1)
  wait $hook
  kill -TERM $pid
  wait $pid 2>/dev/null || true
  python3 - "$1" "$3" "$BATCH" "$stat_w" "$stat_p" <<EOF
import sys
name, rnd, batch, sw, sp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
out = """$out"""
rps = float(next(l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec")))
p99 = next(l.split()[1] for l in out.splitlines() if l.strip().startswith("99%"))
ms = lambda f: float(next(l.split(",")[0] for l in open(f) if "task-clock" in l))
n = rps * 5 * batch  # alerts in the 5 s counted
print("%s %-10s %8.0f alerts/s  p99 %8s  writer %.2f us/alert  server %.2f us/alert"
      % (rnd, name, rps * batch, p99, ms(sw) * 1000 / n, ms(sp) * 1000 / n))
EOF
  rm -rf "$work"
}

for r in $(seq 1 "$ROUNDS"); do
  for nb in "$@"; do one "${nb%%=*}" "${nb#*=}" "$r"; done
done
