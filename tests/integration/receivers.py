"""Fixtures that stand in for the outside world Klaxon pages: a webhook receiver, an SMTP
sink, and a Standard Webhooks v1 signature verifier.

- `WebhookReceiver`: a threaded HTTP server on 127.0.0.1 (free port) that records every
  request (method, path, query, headers, raw body, parsed JSON, the status it answered)
  and answers as programmed per path: a default answer, a queue of one-shot answers
  ("503 for the next 3 requests"), or "down" (503, or close the connection without an
  answer). `wait_for(count, ...)` blocks until enough matching requests arrived.
- `SmtpSink`: Debian's aiosmtpd (python3-aiosmtpd) in a subprocess on 127.0.0.1 (free
  port); each envelope (mail_from, rcpt_tos, raw content) becomes one JSON line in a
  file; `messages()` parses them with the `email` package.
- `verify_standard_webhook(secret, headers, body)`: Standard Webhooks v1 verification
  (docs: /work/shared/specs/wire-formats.md §9).

Standard library only (the SMTP sink's child process needs aiosmtpd; it uses whichever
of this interpreter and Debian's /usr/bin/python3 has it).
"""

import base64
import binascii
import email
import email.policy
import hashlib
import hmac
import http.server
import importlib.util
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

LOCALHOST = "127.0.0.1"


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOCALHOST, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------
# Webhook receiver
# ---------------------------------------------------------------------------------------

class Headers:
    """Case-insensitive, read-only view of request headers (first value wins for get)."""

    def __init__(self, items):
        self.items_ = list(items)

    def get(self, name, default=None):
        n = name.lower()
        for k, v in self.items_:
            if k.lower() == n:
                return v
        return default

    def get_all(self, name):
        n = name.lower()
        return [v for k, v in self.items_ if k.lower() == n]

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __contains__(self, name):
        return self.get(name) is not None

    def items(self):
        return list(self.items_)

    def __repr__(self):
        return "Headers(%r)" % (self.items_,)


class Recorded:
    """One request as the receiver saw it."""

    def __init__(self, seq, method, target, headers, body, answered):
        self.seq = seq
        self.method = method
        self.target = target
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path
        self.query = urllib.parse.parse_qs(parts.query)
        self.headers = headers
        self.body = body  # raw bytes
        self.status = answered  # the status we answered (None: connection closed unanswered)
        self.at = time.monotonic()
        self.wall = time.time()
        self.json = None
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        self.content_type = ctype
        if body:
            try:
                self.json = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                self.json = None

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    @property
    def webhook_id(self):
        return self.headers.get("webhook-id")

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300

    def __repr__(self):
        return "<%s %s -> %s %s>" % (self.method, self.target, self.status, self.text[:300])


class Answer:
    def __init__(self, status=200, body=b"", content_type="text/plain; charset=utf-8", headers=None,
                 close=False):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else (body or b"")
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.close = close  # drop the connection without answering


DOWN_503 = "503"
DOWN_CLOSE = "close"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # so Expect: 100-continue is honoured (libcurl sends it)
    server_version = "TestReceiver/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _handle(self):
        recv = self.server.receiver
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        elif length:
            body = self.rfile.read(int(length))
        else:
            body = b""
        path = urllib.parse.urlsplit(self.path).path
        answer = recv._answer_for(path)
        hdrs = Headers(self.headers.items())
        recv._record(self.command, self.path, hdrs, body, None if answer.close else answer.status)
        if answer.close:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(answer.status)
        if answer.status not in (204, 304):
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
        for k, v in answer.headers.items():
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        if answer.status not in (204, 304) and self.command != "HEAD":
            try:
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up; recorded anyway
                pass
        self.close_connection = True

    def _read_chunked(self):
        out = b""
        while True:
            line = self.rfile.readline()
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return out
            out += self.rfile.read(size)
            self.rfile.readline()

    do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = do_HEAD = _handle


class _ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            return  # a client hanging up is not our error
        super().handle_error(request, client_address)


class WebhookReceiver:
    """Records every request; answers per path as programmed.

    r = WebhookReceiver()            # started; r.url("/alice") -> http://127.0.0.1:P/alice
    r.respond("/slack", 200, "ok")   # default answer for a path (else 200 "" / `default`)
    r.respond_next("/a", 3, 503)     # the next 3 requests to /a answer 503, then as before
    r.down("/a") / r.down()          # answer 503 (mode="close": drop connections) until up()
    r.wait_for(2, path="/a", timeout=5) -> the matching requests (AssertionError on timeout)
    r.stop()
    """

    def __init__(self, port=0, default=None):
        self._lock = threading.Condition()
        self._requests = []
        self._seq = 0
        self._defaults = {}
        self._queued = {}
        self._down = {}  # path or None (= every path) -> mode
        self.default = default or Answer(200, b"", "text/plain; charset=utf-8")
        self._server = None
        self._thread = None
        self.port = port
        self.start()

    # -- lifecycle -----------------------------------------------------------------
    def start(self):
        assert self._server is None, "receiver already running"
        self._server = _ThreadingServer((LOCALHOST, self.port), _Handler)
        self._server.receiver = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="webhook-receiver-%d" % self.port)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening (connections to the port are then refused). Safe to call twice;
        start() listens again on the same port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._server = None
        self._thread = None

    @property
    def running(self):
        return self._server is not None

    def url(self, path="/"):
        if not path.startswith("/"):
            path = "/" + path
        return "http://%s:%d%s" % (LOCALHOST, self.port, path)

    # -- programming answers --------------------------------------------------------
    def respond(self, path, status=200, body=b"", content_type="text/plain; charset=utf-8", headers=None):
        with self._lock:
            self._defaults[path] = Answer(status, body, content_type, headers)

    def respond_json(self, path, status, obj, headers=None):
        self.respond(path, status, json.dumps(obj).encode(), "application/json", headers)

    def respond_next(self, path, count, status=503, body=b"", content_type="text/plain; charset=utf-8",
                     headers=None, close=False):
        with self._lock:
            q = self._queued.setdefault(path, [])
            for _ in range(count):
                q.append(Answer(status, body, content_type, headers, close))

    def down(self, path=None, mode=DOWN_503):
        """Answer 503 (mode "503") or drop the connection unanswered (mode "close") for
        `path` (None: every path) until up()."""
        assert mode in (DOWN_503, DOWN_CLOSE)
        with self._lock:
            self._down[path] = mode

    def up(self, path=None):
        with self._lock:
            self._down.pop(path, None)

    def _answer_for(self, path):
        with self._lock:
            mode = self._down.get(path) or self._down.get(None)
            if mode == DOWN_CLOSE:
                return Answer(close=True)
            if mode == DOWN_503:
                return Answer(503, b"down for the test", "text/plain; charset=utf-8")
            q = self._queued.get(path)
            if q:
                return q.pop(0)
            return self._defaults.get(path, self.default)

    # -- recorded requests ------------------------------------------------------------
    def _record(self, method, target, headers, body, status):
        with self._lock:
            self._seq += 1
            self._requests.append(Recorded(self._seq, method, target, headers, body, status))
            self._lock.notify_all()

    def requests(self, path=None, predicate=None):
        with self._lock:
            items = list(self._requests)
        return [r for r in items if (path is None or r.path == path) and (predicate is None or predicate(r))]

    def count(self, path=None, predicate=None):
        return len(self.requests(path, predicate))

    def clear(self):
        with self._lock:
            self._requests = []

    def wait_for(self, count, path=None, timeout=5.0, predicate=None, what=None):
        """Wait until at least `count` matching requests arrived; returns them all.
        AssertionError (listing what did arrive) on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                got = [r for r in self._requests
                       if (path is None or r.path == path) and (predicate is None or predicate(r))]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    everything = list(self._requests)
                    break
                self._lock.wait(min(left, 0.2))
        raise AssertionError("receiver: %s: expected at least %d request(s)%s within %.1f s, got %d; "
                             "all requests so far: %r" % (what or "wait_for", count,
                                                          " to %s" % path if path else "", timeout,
                                                          len(got), everything[-20:]))

    def wait_quiet(self, duration=1.0, path=None, predicate=None):
        """Wait `duration` seconds and return the matching requests that arrived meanwhile."""
        before = {r.seq for r in self.requests(path, predicate)}
        time.sleep(duration)
        return [r for r in self.requests(path, predicate) if r.seq not in before]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------------------
# SMTP sink (aiosmtpd in a subprocess)
# ---------------------------------------------------------------------------------------

_SMTP_SCRIPT = r"""
import base64, json, sys
from aiosmtpd.controller import Controller

out_path, port = sys.argv[1], int(sys.argv[2])

class Handler:
    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content if envelope.original_content is not None else envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        rec = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
               "content_b64": base64.b64encode(raw).decode("ascii")}
        with open(out_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
            f.flush()
        return "250 Message accepted for delivery"

controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
sys.stdout.write("ready\n")
sys.stdout.flush()
try:
    sys.stdin.read()  # until the parent closes our stdin (or dies)
finally:
    controller.stop()
"""

DEBIAN_PYTHON = "/usr/bin/python3"


def _python_with(module):
    """An interpreter that can import `module`: this one, else Debian's."""
    if importlib.util.find_spec(module) is not None:
        return sys.executable
    if os.path.exists(DEBIAN_PYTHON):
        r = subprocess.run([DEBIAN_PYTHON, "-c", "import %s" % module], capture_output=True, timeout=30)
        if r.returncode == 0:
            return DEBIAN_PYTHON
    return None


class Mail:
    """One received mail: envelope plus the parsed message (email.message.EmailMessage)."""

    def __init__(self, mail_from, rcpt_tos, raw):
        self.mail_from = mail_from
        self.rcpt_tos = rcpt_tos
        self.raw = raw
        self.message = email.message_from_bytes(raw, policy=email.policy.default)

    @property
    def subject(self):
        return str(self.message.get("Subject", ""))

    def header(self, name):
        v = self.message.get(name)
        return None if v is None else str(v)

    def text(self):
        """The text/plain body (decoded), else the text/html one, else ''."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    def html(self):
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    def all_text(self):
        """Every text part, decoded, joined (for searching)."""
        out = []
        for part in self.message.walk():
            if part.get_content_maintype() == "text":
                try:
                    out.append(part.get_content())
                except (LookupError, ValueError):
                    out.append(part.get_payload(decode=True).decode("utf-8", errors="replace"))
        return "\n".join(out)

    def __repr__(self):
        return "<Mail from=%s to=%s subject=%r>" % (self.mail_from, self.rcpt_tos, self.subject)


class SmtpSink:
    """aiosmtpd on 127.0.0.1:<free port> in a subprocess; `port`, `messages()`, `stop()`."""

    READY_TIMEOUT = 15.0

    def __init__(self):
        self.python = _python_with("aiosmtpd")
        if self.python is None:
            raise RuntimeError("aiosmtpd is not importable (install Debian's python3-aiosmtpd)")
        self.dir = tempfile.mkdtemp(prefix="klaxon-smtp-")
        self.path = os.path.join(self.dir, "mail.jsonl")
        open(self.path, "w").close()
        self.log_path = os.path.join(self.dir, "smtpd.log")
        self.proc = None
        self.port = None
        last = None
        for _ in range(3):
            try:
                self._start()
                return
            except RuntimeError as e:  # port taken meanwhile: try another one
                last = e
                self._kill()
        shutil.rmtree(self.dir, ignore_errors=True)
        raise last

    def _start(self):
        self.port = _free_port()
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.python, "-c", _SMTP_SCRIPT, self.path, str(self.port)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        deadline = time.monotonic() + self.READY_TIMEOUT
        line = self.proc.stdout.readline()  # "ready" once the controller is serving
        if line.strip() != b"ready":
            raise RuntimeError("aiosmtpd did not start: %r\n%s" % (line, self._log_tail()))
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("aiosmtpd exited with %s\n%s" % (self.proc.returncode, self._log_tail()))
            try:
                with socket.create_connection((LOCALHOST, self.port), timeout=1) as s:
                    s.settimeout(2)
                    banner = s.recv(512)
                    if banner.startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("aiosmtpd did not accept connections on port %d\n%s" % (self.port, self._log_tail()))

    def _log_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-3000:].decode(errors="replace")
        except OSError:
            return ""

    @property
    def url(self):
        return "smtp://%s:%d" % (LOCALHOST, self.port)

    def messages(self):
        out = []
        with open(self.path, "r", encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                rec = json.loads(line)
                out.append(Mail(rec["mail_from"], rec["rcpt_tos"], base64.b64decode(rec["content_b64"])))
        return out

    def wait_for(self, count, timeout=5.0, predicate=None, what=None):
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.messages() if predicate is None or predicate(m)]
            if len(got) >= count:
                return got
            if time.monotonic() >= deadline:
                raise AssertionError("smtp sink: %s: expected at least %d mail(s) within %.1f s, got %d: %r"
                                     % (what or "wait_for", count, timeout, len(got), self.messages()))
            time.sleep(0.05)

    def _kill(self):
        if self.proc is None:
            return
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        try:
            self._log.close()
        except Exception:
            pass

    def stop(self):
        self._kill()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Standard Webhooks v1
# ---------------------------------------------------------------------------------------

class WebhookVerificationError(AssertionError):
    pass


def _b64decode(s):
    s = s.strip()
    s += "=" * (-len(s) % 4)
    return base64.b64decode(s, validate=True)


def verify_standard_webhook(secret, headers, body, tolerance=300, now=None):
    """Verify a Standard Webhooks v1 delivery. `headers`: anything with a case-insensitive
    .get (Headers, http.client message) or a plain dict; `body`: the raw bytes (or str).
    `now`: Unix seconds (or several acceptable "now"s); the timestamp must lie within
    `tolerance` seconds of one of them (None: the real clock). Returns True, else raises
    WebhookVerificationError saying why."""
    def header(name):
        if hasattr(headers, "get") and not isinstance(headers, dict):
            return headers.get(name)
        for k, v in headers.items():
            if k.lower() == name.lower():
                return v
        return None

    if isinstance(body, str):
        body = body.encode("utf-8")
    msg_id, ts, sigs = header("webhook-id"), header("webhook-timestamp"), header("webhook-signature")
    if not msg_id or not ts or not sigs:
        raise WebhookVerificationError("missing webhook-id/-timestamp/-signature headers: %r" % (headers,))
    if "." in msg_id:
        raise WebhookVerificationError("webhook-id contains a full stop: %r" % msg_id)
    try:
        ts_int = int(ts)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not an integer: %r" % ts)
    if str(ts_int) != ts.strip():
        raise WebhookVerificationError("webhook-timestamp is not plain integer seconds: %r" % ts)
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        raise WebhookVerificationError("secret is not whsec_...: %r" % (secret,))
    try:
        key = _b64decode(secret[len("whsec_"):])
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("secret is not base64 after whsec_: %r" % secret)
    nows = [time.time()] if now is None else (list(now) if isinstance(now, (list, tuple)) else [now])
    if not any(abs(n - ts_int) <= tolerance for n in nows):
        raise WebhookVerificationError("webhook-timestamp %d is more than %d s from now %r"
                                       % (ts_int, tolerance, nows))
    signed = ("%s.%s." % (msg_id, ts)).encode("utf-8") + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    for entry in sigs.split(" "):
        version, _, value = entry.partition(",")
        if version != "v1":
            continue
        try:
            got = _b64decode(value)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(got, expected):
            return True
    raise WebhookVerificationError("no valid v1 signature in %r (expected v1,%s)"
                                   % (sigs, base64.b64encode(expected).decode()))
