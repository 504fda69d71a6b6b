"""A small local HTTP app standing in for a team's deploy / feature-flag service, the kind
of thing Klaxon's remediation actions call.

    python3 remediation_app.py --port-file F [--max-seconds 600]

Binds 127.0.0.1 on a free port, writes the port to F (atomically: a reader sees the whole
number or no file), and serves until --max-seconds have passed (then it exits by itself,
so it never lingers) or it gets SIGTERM / SIGINT. Standard library only.

Endpoints (JSON answers):
    POST /deploys/{service}/rollback     202 {"service", "rolled_back_to"}  (body {"to": v} optional)
    PUT  /flags/{name}                   200 {"name", "enabled"}; body {"enabled": bool}, else 400
    GET  /flags/{name}                   200 {"name", "enabled"}, 404 when never set
    POST /read-only                      200 {"read_only": true}  (body {"enabled": false} turns it off)
    POST /circuit-breakers/{name}/reset  200 {"name", "state": "closed"}
    POST /slow?ms=N                      sleeps N ms (at most 60000), then 200 {"slept_ms": N}
    POST /fail                           500 {"error": "deploy service exploded"}
    ANY  /redirect?to=PATH               302 to PATH (a client must not follow it)
    ANY  /echo                           200 {"method", "path", "headers", "body"}: the request
    GET  /_requests                      200 [{"method", "path", "query", "headers", "body"}, ...]
    POST /_reset                         200; forgets the requests, flags and state

Every request (except to /_requests and /_reset) is recorded, including those answered
401 or 404. When the environment variable REMEDIATION_APP_TOKEN is set, every request
other than GET and the /_ endpoints needs `Authorization: Bearer <token>` (else 401).
"""

import argparse
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

TOKEN = os.environ.get("REMEDIATION_APP_TOKEN") or None


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.requests = []
        self.flags = {}
        self.read_only = False
        self.rollbacks = {}


STATE = State()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "RemediationApp/1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_PATCH(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    # --- plumbing ---

    def _answer(self, status, payload=None, extra_headers=()):
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", "application/json")
            for k, v in extra_headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _handle(self):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        body = raw.decode("utf-8", errors="replace")
        if path == "/_requests" and self.command == "GET":
            with STATE.lock:
                return self._answer(200, list(STATE.requests))
        if path == "/_reset" and self.command == "POST":
            with STATE.lock:
                STATE.reset()
            return self._answer(200, {"reset": True})
        record = {
            "method": self.command,
            "path": path,
            "query": url.query,
            "headers": {k: v for k, v in self.headers.items()},
            "body": body,
        }
        with STATE.lock:
            STATE.requests.append(record)
        if TOKEN and self.command != "GET":
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                return self._answer(401, {"error": "missing or wrong bearer token"})
        self._route(path, query, body, record)

    def _json_body(self, body):
        if not body:
            return {}
        try:
            value = json.loads(body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    # --- the app ---

    def _route(self, path, query, body, record):
        parts = [p for p in path.split("/") if p]
        method = self.command
        if path == "/echo":
            return self._answer(200, record)
        if path == "/redirect":
            to = (query.get("to") or ["/"])[0]
            return self._answer(302, {"see": to}, [("Location", to)])
        if method == "POST" and len(parts) == 3 and parts[0] == "deploys" and parts[2] == "rollback":
            data = self._json_body(body)
            if data is None:
                return self._answer(400, {"error": "body must be a JSON object"})
            to = str(data.get("to") or "previous")
            with STATE.lock:
                STATE.rollbacks[parts[1]] = to
            return self._answer(202, {"service": parts[1], "rolled_back_to": to})
        if len(parts) == 2 and parts[0] == "flags":
            name = parts[1]
            if method == "PUT":
                data = self._json_body(body)
                if data is None or not isinstance(data.get("enabled"), bool):
                    return self._answer(400, {"error": 'body must be {"enabled": true|false}'})
                with STATE.lock:
                    STATE.flags[name] = data["enabled"]
                return self._answer(200, {"name": name, "enabled": data["enabled"]})
            if method == "GET":
                with STATE.lock:
                    enabled = STATE.flags.get(name)
                if enabled is None:
                    return self._answer(404, {"error": "no flag " + name})
                return self._answer(200, {"name": name, "enabled": enabled})
        if method == "POST" and path == "/read-only":
            data = self._json_body(body) or {}
            with STATE.lock:
                STATE.read_only = bool(data.get("enabled", True))
                on = STATE.read_only
            return self._answer(200, {"read_only": on})
        if (method == "POST" and len(parts) == 3 and parts[0] == "circuit-breakers"
                and parts[2] == "reset"):
            return self._answer(200, {"name": parts[1], "state": "closed"})
        if method == "POST" and path == "/slow":
            try:
                ms = max(0, min(60000, int((query.get("ms") or ["1000"])[0])))
            except ValueError:
                return self._answer(400, {"error": "ms must be an integer"})
            time.sleep(ms / 1000.0)
            return self._answer(200, {"slept_ms": ms})
        if method == "POST" and path == "/fail":
            return self._answer(500, {"error": "deploy service exploded"})
        return self._answer(404, {"error": "no route for " + method + " " + path})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--max-seconds", type=float, default=600)
    args = ap.parse_args()

    server = Server(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)

    def stop(*_):
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deadline = threading.Timer(args.max_seconds, stop)
    deadline.daemon = True
    deadline.start()
    server.serve_forever(poll_interval=0.2)


def start(testcase, token=None, max_seconds=300):
    """Runs the app in a child process for a test (stopped by the test's cleanup).
    Returns (base_url, requests) where requests() lists what the app received."""
    import subprocess
    import tempfile
    import urllib.request

    d = tempfile.mkdtemp(prefix="klaxon-remediation-")
    port_file = os.path.join(d, "port")
    env = dict(os.environ)
    env.pop("REMEDIATION_APP_TOKEN", None)
    if token:
        env["REMEDIATION_APP_TOKEN"] = token
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--port-file", port_file,
                             "--max-seconds", str(max_seconds)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    testcase.addCleanup(lambda: (proc.terminate(), proc.wait(10)))
    deadline = time.monotonic() + 20
    while not os.path.exists(port_file):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("remediation app did not start")
        time.sleep(0.05)
    with open(port_file) as f:
        base = "http://127.0.0.1:%d" % int(f.read())

    def requests():
        with urllib.request.urlopen(base + "/_requests", timeout=5) as r:
            return json.loads(r.read())

    return base, requests


if __name__ == "__main__":
    sys.exit(main())
