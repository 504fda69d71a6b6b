# Shared by the benchmark scripts (sourced): a free port on 127.0.0.1, and waiting for a
# server's URL to answer.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {  # url, seconds
  for _ in $(seq $(($2 * 10))); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "timeout waiting for $1" >&2
  return 1
}
