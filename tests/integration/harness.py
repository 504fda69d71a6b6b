"""Test harness for the Klaxon integration tests (Python 3.11 standard library only).

`Server` starts the real `klaxon serve` binary on a free 127.0.0.1 port with its own
data directory, captures its output to a log under $KLAXON_TEST_OUTPUT/integration/
and always cleans up (register `server.close` with addCleanup / addClassCleanup; an
atexit hook kills anything left over). `Client` is a tiny HTTP client that speaks
bearer tokens or a cookie session with CSRF. `login_token(server, role)` logs in as
admin and mints an API token.

Environment:
  KLAXON_BIN          the server/CLI binary (default: <repo>/build/klaxon)
  KLAXON_TEST_OUTPUT  artifact folder (default: a temporary folder)
"""

import atexit
import glob
import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

KLAXON_BIN = os.environ.get("KLAXON_BIN") or os.path.join(REPO, "build", "klaxon")
ADMIN_PASSWORD = "admin-Secret-pw-123"
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0

RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
STATUSES = ["triggered", "acknowledged", "investigating", "identified", "monitoring", "resolved"]
ROLES = ["viewer", "responder", "admin"]

_live_servers = set()
_live_lock = threading.Lock()
_counter = itertools.count(1)


def output_dir():
    base = os.environ.get("KLAXON_TEST_OUTPUT")
    if not base:
        base = os.path.join(tempfile.gettempdir(), "klaxon-test-output")
    path = os.path.join(base, "integration")
    os.makedirs(path, exist_ok=True)
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(extra=None):
    """The environment for a child process: no inherited KLAXON_* variables (so the
    test runner's KLAXON_BIN etc. never leak into flag parsing) plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAXON_")}
    if extra:
        env.update(extra)
    return env


def parse_time(s):
    """RFC 3339 UTC with milliseconds -> seconds since the epoch (float)."""
    import datetime
    assert isinstance(s, str) and RFC3339_MS.match(s), "not RFC 3339 UTC with ms: %r" % (s,)
    dt = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


class ManualClockMixin:
    """For a test case with `self.server` (on --clock manual) and an admin `self.api`:
    must() checks a status and returns the body (with the server's log on failure);
    now() and advance() read and move the server's clock (seconds since the epoch)."""

    def must(self, r, status=200):
        self.assertEqual(r.status, status, "%r\n%s" % (r, self.server.log_tail(2000)))
        return r.body

    def now(self):
        return parse_time(self.must(self.api.get("/api/v1/admin/clock"))["now"])

    def advance(self, seconds):
        return parse_time(self.must(self.api.post("/api/v1/admin/clock/advance", {"seconds": seconds}))["now"])


@atexit.register
def _kill_leftovers():
    with _live_lock:
        servers = list(_live_servers)
    for s in servers:
        try:
            s.kill()
        except Exception:
            pass


class ServerError(AssertionError):
    pass


class Server:
    """One `klaxon serve` process. Not thread-safe for start/stop; `url` may be read
    from any thread."""

    def __init__(self, name="server", data_dir=None, admin_password=ADMIN_PASSWORD,
                 clock=None, max_body=None, extra_args=(), use_env=False, env=None):
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        self.admin_password = admin_password
        self.clock = clock
        self.max_body = max_body
        self.extra_args = list(extra_args)
        self.use_env = use_env
        self.extra_env = dict(env or {})
        self._own_data = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="klaxon-it-")
        self.proc = None
        self.port = None
        self.log_path = os.path.join(output_dir(), "%s-%d-%d.log" % (self.name, os.getpid(), next(_counter)))
        self._log = None
        self.starts = 0

    # -- lifecycle ---------------------------------------------------------
    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def command(self):
        args = [KLAXON_BIN, "serve"]
        env = {}
        opts = [("listen", "127.0.0.1:%d" % self.port), ("data", self.data_dir),
                ("admin-password", self.admin_password)]
        if self.clock:
            opts.append(("clock", self.clock))
        if self.max_body is not None:
            opts.append(("max-body", str(self.max_body)))
        for flag, value in opts:
            if self.use_env:
                env["KLAXON_" + flag.upper().replace("-", "_")] = value
            else:
                args += ["--" + flag, value]
        return args + self.extra_args, env

    def start(self):
        assert not self.running, "server already running"
        last_error = None
        for _attempt in range(3):  # retry only if the chosen port was taken meanwhile
            self.port = free_port()
            args, env = self.command()
            env.update(self.extra_env)
            self._log = open(self.log_path, "ab")
            self._log.write(("\n=== start #%d: %s\n" % (self.starts + 1, " ".join(args))).encode())
            self._log.flush()
            self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=child_env(env), cwd=self.data_dir)
            with _live_lock:
                _live_servers.add(self)
            self.starts += 1
            try:
                self.wait_ready()
                return self
            except ServerError as e:
                last_error = e
                if self.proc.poll() is None:
                    self.kill()
                    raise
                self._reap()
                if "address" not in self.log_tail().lower():
                    raise
        raise last_error

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("klaxon exited with %s before /readyz answered 200\n%s"
                                  % (self.proc.returncode, self.log_tail()))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/readyz")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise ServerError("klaxon did not become ready within %.0f s\n%s" % (timeout, self.log_tail()))

    def stop(self, timeout=STOP_TIMEOUT, check=True):
        """SIGTERM, wait, and (if check) assert the exit code is 0. Returns the code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise ServerError("klaxon did not exit within %.0f s of SIGTERM\n%s" % (timeout, self.log_tail()))
        code = self.proc.returncode
        self._reap()
        if check and code != 0:
            raise ServerError("klaxon exited with %s after SIGTERM (expected 0)\n%s" % (code, self.log_tail()))
        return code

    def kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._reap()

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        """Kill if running and delete a temporary data dir. Safe to call twice."""
        self.kill()
        if self._own_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _reap(self):
        with _live_lock:
            _live_servers.discard(self)
        if self._log:
            self._log.close()
            self._log = None

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
            return "--- %s (tail) ---\n%s" % (self.log_path, data[-n:].decode(errors="replace"))
        except OSError:
            return "(no log)"


def start_server(testcase, name=None, cls=False, **kw):
    """Start a server and register its cleanup on the test case (or class)."""
    server = Server(name=name or (testcase.__name__ if cls else testcase.id()), **kw)
    if cls:
        testcase.addClassCleanup(server.close)
    else:
        testcase.addCleanup(server.close)
    server.start()
    return server


class Response:
    """status, headers (case-insensitive), body (parsed JSON for JSON types, else text)."""

    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        self.body = raw.decode("utf-8", errors="replace")
        if self.content_type.endswith("json") and raw:
            try:
                self.body = json.loads(raw)
            except ValueError:
                pass

    @property
    def json(self):
        return self.body

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    def __repr__(self):
        body = self.body if isinstance(self.body, str) else json.dumps(self.body)
        return "<HTTP %s %s %s>" % (self.status, self.content_type, body[:600])


_NO_BODY = object()


class Client:
    """A small HTTP client. `target` is a Server (its current URL is used, so the
    client survives restarts on a new port) or a base URL string.

    auth: token="kx_..." for bearer; or call login() for a cookie session, after
    which non-GET requests carry X-CSRF-Token unless csrf=False is passed."""

    def __init__(self, target, token=None, timeout=30):
        self.target = target
        self.token = token
        self.timeout = timeout
        self.cookies = {}
        self.csrf = None
        self.user = None

    @property
    def base(self):
        return self.target.url if isinstance(self.target, Server) else self.target.rstrip("/")

    def request(self, method, path, body=_NO_BODY, headers=None, raw=None,
                content_type="application/json", csrf=True, auth=True, params=None):
        u = urllib.parse.urlsplit(self.base)
        if params:
            path += ("&" if "?" in path else "?") + urllib.parse.urlencode(params)
        hdrs = {"Accept": "application/json"}
        data = None
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
        elif body is not _NO_BODY:
            data = json.dumps(body).encode()
        if data is not None and content_type:
            hdrs["Content-Type"] = content_type
        if auth and self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        if auth and self.cookies:
            hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
            if csrf and self.csrf and method.upper() not in ("GET", "HEAD"):
                hdrs["X-CSRF-Token"] = self.csrf
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
        finally:
            conn.close()
        r = Response(resp.status, resp.headers, payload)
        for sc in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = sc.partition("=")
            value = rest.split(";")[0]
            attrs = sc.lower()
            if value == "" or "max-age=0" in attrs or "expires=thu, 01 jan 1970" in attrs:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=_NO_BODY, **kw):
        return self.request("POST", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def patch(self, path, body=_NO_BODY, **kw):
        return self.request("PATCH", path, body, **kw)

    def login(self, username="admin", password=ADMIN_PASSWORD):
        """Cookie-session login; returns the Response (200 on success)."""
        r = self.post("/api/v1/auth/login", {"username": username, "password": password}, auth=False)
        if r.status == 200 and isinstance(r.body, dict):
            self.csrf = r.body.get("csrf_token")
            self.user = r.body.get("user")
        return r

    # -- helpers -------------------------------------------------------------
    def list_all(self, path, params=None, limit=200, max_pages=1000):
        """Follow next_cursor and return all items (asserting no cursor loops)."""
        items, seen, cursor = [], set(), None
        for _ in range(max_pages):
            p = dict(params or {})
            p["limit"] = limit
            if cursor:
                p["cursor"] = cursor
            r = self.get(path, params=p)
            if r.status != 200:
                raise AssertionError("GET %s %s -> %r" % (path, p, r))
            items += r.body["items"]
            cursor = r.body.get("next_cursor")
            if not cursor:
                return items
            if cursor in seen:
                raise AssertionError("cursor repeated: %r" % cursor)
            seen.add(cursor)
        raise AssertionError("too many pages for %s" % path)

    def declare(self, title, **fields):
        body = {"title": title}
        body.update(fields)
        r = self.post("/api/v1/incidents", body)
        if r.status != 201:
            raise AssertionError("declare %r -> %r" % (body, r))
        return r.body


def admin_session(server, password=None):
    c = Client(server)
    r = c.login("admin", password or server.admin_password)
    if r.status != 200:
        raise AssertionError("admin login failed: %r\n%s" % (r, server.log_tail()))
    return c


def login_token(server, role="admin", name=None, password=None):
    """Log in as admin (cookie session + CSRF) and create an API token with `role`.
    Returns the token string ("kx_...")."""
    c = admin_session(server, password)
    name = name or "it-%s-%d" % (role, next(_counter))
    r = c.post("/api/v1/tokens", {"name": name, "role": role})
    if r.status != 201:
        raise AssertionError("token create failed: %r\n%s" % (r, server.log_tail()))
    return r.body["token"]


def role_clients(server):
    """{"viewer": Client, "responder": Client, "admin": Client} each with its own token."""
    return {role: Client(server, token=login_token(server, role)) for role in ROLES}


def all_events(client):
    """Every event in the log, oldest first (paged with `after`)."""
    events, after = [], 0
    for _ in range(10000):
        r = client.get("/api/v1/events", params={"after": after, "limit": 200})
        if r.status != 200:
            raise AssertionError("GET /api/v1/events -> %r" % r)
        items = r.body["items"]
        if not items:
            return events
        events += items
        after = items[-1]["seq"]
    raise AssertionError("event log did not end")


def run_cli(args, timeout=30, env=None, input=None):
    """Run `klaxon <args>`; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([KLAXON_BIN] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=child_env(env), input=input,
                          stdin=None if input is not None else subprocess.DEVNULL)


def sse_connect(server, token, last_event_id=None, params=None, timeout=5):
    """Open GET /api/v1/events/stream; returns (conn, response)."""
    path = "/api/v1/events/stream"
    if params:
        path += "?" + urllib.parse.urlencode(params)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    headers = {"Accept": "text/event-stream", "Authorization": "Bearer " + token}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    conn.request("GET", path, headers=headers)
    return conn, conn.getresponse()


def sse_messages(resp, deadline):
    """Yield SSE messages {"id","event","data"} from resp until the deadline
    (monotonic). Comment lines (": keepalive") are skipped."""
    msg = {}
    data_lines = []
    while time.monotonic() < deadline:
        try:
            line = resp.readline()
        except (socket.timeout, TimeoutError):
            return
        if not line:
            return
        line = line.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data_lines:  # per the SSE spec, only a message with data is an event
                msg["data"] = "\n".join(data_lines)
                yield msg
            msg, data_lines = {}, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data_lines.append(value)
        else:
            msg[field] = value


def example_files(name):
    """The files of examples/NAME as POST /api/v1/apply takes them, in name order, named
    relative to the repo."""
    base = os.path.join(REPO, "examples", name)
    paths = sorted(glob.glob(os.path.join(base, "*.yaml")) + glob.glob(os.path.join(base, "*.yml")))
    files = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            files.append({"name": os.path.relpath(p, REPO), "text": f.read()})
    return files

class CliTestMixin:
    """For tests that run the klaxon CLI against a server: `self.env` (the CLI's
    environment) and `self.nowhere_env` (a server nobody listens on: usage errors must be
    caught before any request) are set by the test class."""

    @staticmethod
    def must(r, status=200):
        if r.status != status:
            raise AssertionError("expected %d, got %r" % (status, r))
        return r.body

    def cli(self, *args, ok=True, env=None):
        p = run_cli(list(args), env=env or self.env)
        if ok:
            self.assertEqual(p.returncode, 0, "klaxon %s\nstdout: %s\nstderr: %s" % (" ".join(args), p.stdout, p.stderr))
        return p

    def cli_json(self, *args):
        p = self.cli(*args)
        self.assertEqual(p.stderr, "", "klaxon %s wrote to stderr" % " ".join(args))
        return json.loads(p.stdout)

    def cli_fails(self, *args, code=1, message=None):
        p = self.cli(*args, ok=False, env=self.nowhere_env if code == 2 else None)
        self.assertEqual(p.returncode, code, "klaxon %s\nstdout: %s\nstderr: %s" % (" ".join(args), p.stdout, p.stderr))
        self.assertEqual(p.stdout, "", "klaxon %s printed to stdout on failure" % " ".join(args))
        self.assertTrue(p.stderr.startswith("klaxon: "), p.stderr)
        if message:
            self.assertIn(message, p.stderr)
        if code == 2:
            self.assertIn("\nusage: klaxon %s" % args[0], p.stderr)
        return p
