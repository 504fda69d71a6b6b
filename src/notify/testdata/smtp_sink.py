#!/usr/bin/env python3
"""SMTP sink for notify/transport_test.cc.

Usage: smtp_sink.py OUT_FILE

Listens on 127.0.0.1 (a free port), prints "ready PORT" once it accepts connections,
and appends one JSON line per accepted message to OUT_FILE: envelope sender and
recipients, the decoded subject, Message-ID, the text and HTML parts, and whether the
raw message used CRLF line endings only. Recipients whose address starts with "reject"
are refused with 550. Stops on SIGTERM or SIGINT, or by itself after 120 seconds.
Exits with status 3 when aiosmtpd is not installed.
"""
import email
import email.policy
import json
import re
import signal
import socket
import sys
import threading

try:
    from aiosmtpd.controller import Controller
except ImportError:
    print("missing aiosmtpd", flush=True)
    sys.exit(3)


class Sink:
    def __init__(self, path):
        self.path = path

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "message_id": str(msg["message-id"]),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
            "crlf_only": re.search(rb"(?<!\r)\n", raw) is None,
        }
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 2.0.0 accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    if len(sys.argv) != 2:
        print("usage: smtp_sink.py OUT_FILE", file=sys.stderr)
        return 2
    port = free_port()
    controller = Controller(Sink(sys.argv[1]), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"ready {port}", flush=True)
    stop.wait(120)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
