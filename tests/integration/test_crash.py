"""Crash safety: an acknowledged write survives SIGKILL.

Several rounds on one data directory: start the server, 16 threads declare incidents
as fast as they can, SIGKILL the server at a random moment, restart, and check that
every incident that got a 201 is stored with its title, its `incident.declared`
event, and that the server is healthy and keeps numbering without reuse."""

import http.client
import os
import random
import sys
import threading
import time
import unittest

from harness import Client, all_events, login_token, start_server

API = "/api/v1"
ROUNDS = 5
THREADS = 16
MAX_PER_THREAD = 300      # bounds the work per round on a slow machine
TIME_BUDGET = 55.0        # seconds for the whole test


class TestCrash(unittest.TestCase):
    def test_acknowledged_writes_survive_sigkill(self):
        seed = int(os.environ.get("KLAXON_CRASH_SEED", str(int(time.time()))))
        sys.stderr.write("crash seed %d (set KLAXON_CRASH_SEED to replay)\n" % seed)
        rng = random.Random(seed)
        began = time.monotonic()
        server = start_server(self)
        token = login_token(server, "responder")
        acked = {}          # id -> title, across all rounds
        max_id_seen = 0

        for rnd in range(ROUNDS):
            if time.monotonic() - began > TIME_BUDGET - 10:
                break
            round_acked = []
            errors = []
            lock = threading.Lock()
            go = threading.Barrier(THREADS + 1)

            def worker(n, rnd=rnd):
                c = Client(server.url, token=token, timeout=10)
                go.wait()
                for i in range(MAX_PER_THREAD):
                    title = "crash r%d t%d n%d" % (rnd, n, i)
                    try:
                        r = c.post(API + "/incidents", {"title": title, "severity": "SEV-3"})
                    except (OSError, http.client.HTTPException):
                        return  # killed mid-request: outcome unknown, not acknowledged
                    if r.status == 201:
                        with lock:
                            round_acked.append((r.body["id"], title))
                    else:
                        with lock:
                            errors.append("%s: %r" % (title, r))
                        return

            threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(THREADS)]
            for t in threads:
                t.start()
            go.wait()
            time.sleep(rng.uniform(0.3, 1.5))  # the random crash moment
            server.kill()
            for t in threads:
                t.join(15)
            self.assertFalse(any(t.is_alive() for t in threads), "client threads hung after SIGKILL")
            self.assertEqual(errors, [], "round %d (seed %d): non-201 answers under load" % (rnd, seed))

            for iid, title in round_acked:
                self.assertNotIn(iid, acked, "round %d (seed %d): id %d handed out twice" % (rnd, seed, iid))
                self.assertGreater(iid, max_id_seen, "round %d: id below one already stored" % rnd)
                acked[iid] = title

            sys.stderr.write("round %d: %d acknowledged writes before SIGKILL\n" % (rnd, len(round_acked)))
            server.start()
            c = Client(server, token=token)
            r = Client(server).get("/readyz")
            self.assertEqual(r.status, 200, "round %d: not ready after restart" % rnd)
            stored = {i["id"]: i for i in c.list_all(API + "/incidents")}
            lost = sorted(i for i, t in acked.items() if i not in stored or stored[i]["title"] != t)
            self.assertEqual(lost, [], "round %d (seed %d): %d acknowledged incidents lost or changed after "
                             "SIGKILL, e.g. %s" % (rnd, seed, len(lost), lost[:10]))
            for i in acked:
                self.assertEqual(stored[i]["status"], "triggered")
                self.assertEqual(stored[i]["ref"], "INC-%d" % i)
            # every stored incident (acknowledged or in flight) is whole
            declared = {e["incident_id"] for e in all_events(c) if e["kind"] == "incident.declared"}
            self.assertEqual(set(stored) - declared, set(), "incidents without their declared event")
            self.assertEqual(set(acked) - declared, set())
            # healthy: it takes writes and numbering continues past everything stored
            after = c.declare("after crash %d" % rnd)
            self.assertGreater(after["id"], max(stored) if stored else 0)
            acked[after["id"]] = after["title"]
            max_id_seen = after["id"]
            sample = rng.sample(sorted(acked), min(10, len(acked)))
            for i in sample:
                r = c.get("%s/incidents/%d" % (API, i))
                self.assertEqual(r.status, 200)
                self.assertEqual(r.body["title"], acked[i])
                self.assertEqual(r.body["timeline"][0]["kind"], "incident.declared")

        self.assertGreater(len(acked), ROUNDS, "no write was acknowledged under load (seed %d)" % seed)
        server.stop()
        self.assertLess(time.monotonic() - began, 90)


if __name__ == "__main__":
    unittest.main()
