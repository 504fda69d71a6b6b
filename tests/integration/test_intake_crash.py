"""Intake durability: a 2xx from an intake endpoint means the alerts are committed.

Rounds on one data directory: 16 threads post batches of distinct alerts to the
Prometheus-compatible endpoint, the server is SIGKILLed at a random moment, restarted,
and every alert of every batch that got a 200 must be stored (and attached to an incident)."""

import http.client
import json
import os
import random
import sys
import threading
import time
import unittest

from harness import Client, login_token, start_server

API = "/api/v1"
ROUNDS = 4
THREADS = 16
BATCH = 10
MAX_PER_THREAD = 200
TIME_BUDGET = 50.0


class TestIntakeCrash(unittest.TestCase):
    def test_acknowledged_alerts_survive_sigkill(self):
        seed = int(os.environ.get("KLAXON_CRASH_SEED", str(int(time.time()))))
        sys.stderr.write("intake crash seed %d (set KLAXON_CRASH_SEED to replay)\n" % seed)
        rng = random.Random(seed)
        began = time.monotonic()
        server = start_server(self)
        admin = Client(server, token=login_token(server, "admin"))
        r = admin.post(API + "/integrations", {"name": "prom", "kind": "prometheus", "group_by": ["alertname"]})
        self.assertEqual(r.status, 201, r)
        path = "/intake/prometheus/%s/api/v2/alerts" % r.body["key"]
        acked = set()

        for rnd in range(ROUNDS):
            if time.monotonic() - began > TIME_BUDGET - 10:
                break
            lock = threading.Lock()
            errors = []
            go = threading.Barrier(THREADS + 1)

            def worker(n, rnd=rnd):
                c = Client(server.url, timeout=10)
                go.wait()
                for i in range(MAX_PER_THREAD):
                    ids = ["r%d-t%d-b%d-%d" % (rnd, n, i, k) for k in range(BATCH)]
                    batch = [{"labels": {"alertname": "CrashTest", "n": x}} for x in ids]
                    try:
                        resp = c.request("POST", path, raw=json.dumps(batch), auth=False)
                    except (OSError, http.client.HTTPException):
                        return  # killed mid-request: not acknowledged
                    if resp.status == 200:
                        with lock:
                            acked.update(ids)
                    else:
                        with lock:
                            errors.append(repr(resp))
                        return

            threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(THREADS)]
            for t in threads:
                t.start()
            go.wait()
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()
            for t in threads:
                t.join(15)
            self.assertEqual(errors, [], "non-2xx answers before the kill")
            server.start()

        self.assertGreater(len(acked), 0, "no batch was acknowledged")
        stored = set()
        for inc in admin.list_all(API + "/incidents"):
            for a in admin.get(API + "/incidents/%d/alerts" % inc["id"]).body["items"]:
                stored.add(a["labels"]["n"])
        missing = sorted(acked - stored)
        self.assertEqual(missing[:10], [], "%d acknowledged alerts missing after SIGKILL" % len(missing))
        sys.stderr.write("%d acknowledged alerts, all present\n" % len(acked))


if __name__ == "__main__":
    unittest.main()
