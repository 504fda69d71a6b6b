"""Connection limits: a slow or idle client cannot hold the server."""

import socket
import time
import unittest

from harness import Client, start_server


class TestSlowClients(unittest.TestCase):
    def connect(self, server):
        host, port = server.url.split("//")[1].split(":")
        return socket.create_connection((host, int(port)), timeout=10)

    def test_partial_request_is_cut_off_by_read_timeout(self):
        server = start_server(self, extra_args=["--read-timeout", "1", "--idle-timeout", "1"])
        with self.connect(server) as s:
            s.sendall(b"POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ti")
            t0 = time.monotonic()
            data = s.recv(4096)  # the server closes the connection
            waited = time.monotonic() - t0
        self.assertEqual(data, b"", "no response to a request that never finished")
        self.assertLess(waited, 5, "closed by the 1 s read timeout")
        # Meanwhile others are served.
        self.assertEqual(Client(server).get("/healthz").status, 200)

    def test_idle_keepalive_connection_is_closed(self):
        server = start_server(self, extra_args=["--idle-timeout", "1"])
        with self.connect(server) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            first = s.recv(4096)
            self.assertTrue(first.startswith(b"HTTP/1.1 200"), first[:40])
            t0 = time.monotonic()
            rest = s.recv(4096)
            self.assertEqual(rest, b"")
            self.assertLess(time.monotonic() - t0, 5)

    def test_many_slow_clients_do_not_block_a_fast_one(self):
        server = start_server(self, extra_args=["--read-timeout", "5"])
        slow = []
        try:
            for _ in range(50):
                s = self.connect(server)
                s.sendall(b"GET /healthz HTTP/1.1\r\n")  # headers never finish
                slow.append(s)
            t0 = time.monotonic()
            self.assertEqual(Client(server).get("/healthz").status, 200)
            self.assertLess(time.monotonic() - t0, 2)
        finally:
            for s in slow:
                s.close()

    def test_connection_limit(self):
        server = start_server(self, extra_args=["--max-connections", "5"])
        # The readiness probe's connection counts until the server has read its EOF, which
        # can be after our connects: give it that moment so the 5 below all fit.
        time.sleep(0.3)
        held = [self.connect(server) for _ in range(5)]
        try:
            for s in held:  # a keep-alive request on each proves it was accepted
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
            extra = self.connect(server)
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                got = extra.recv(4096)
            except ConnectionResetError:
                got = b""
            self.assertEqual(got, b"", "the connection over the limit is closed at accept")
            extra.close()
        finally:
            for s in held:
                s.close()
        time.sleep(0.2)
        self.assertEqual(Client(server).get("/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()
