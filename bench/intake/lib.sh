# Shared by bench/intake/run.sh, profile.sh and ab.sh (sourced): start a Klaxon server
# with one Prometheus intake integration, as every intake benchmark drives it.

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"  # free_port, wait_http

# klaxon_start BINARY DATA_DIR SYNC(full|normal) LOG: starts the server on a free port,
# logs in and creates the integration (group_by alertname). Sets KLAXON_PID and
# KLAXON_INTAKE_URL (its Alertmanager-API endpoint).
klaxon_start() {
  local bin=$1 data=$2 sync=$3 log=$4 port token key pw=bench-admin-password-1
  port=$(free_port)
  "$bin" serve --listen "127.0.0.1:$port" --data "$data" --sqlite-sync "$sync" \
    --admin-password "$pw" --drain-timeout 1 >"$log" 2>&1 &
  KLAXON_PID=$!
  wait_http "http://127.0.0.1:$port/readyz" 20
  token=$(curl -fsS -H 'Content-Type: application/json' -X POST \
    "http://127.0.0.1:$port/api/v1/auth/login" \
    -d "{\"username\":\"admin\",\"password\":\"$pw\",\"token_name\":\"bench\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  key=$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -X POST \
    "http://127.0.0.1:$port/api/v1/integrations" \
    -d '{"name":"bench","kind":"prometheus","group_by":["alertname"]}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  KLAXON_INTAKE_URL="http://127.0.0.1:$port/intake/prometheus/$key/api/v2/alerts"
}
