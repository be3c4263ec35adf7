#!/usr/bin/python3
"""Streams benchmark (make bench): an upstream burst of N added delegations in ONE IXFR
from a real BIND primary, and the time until every newly_registered_domain record has been
consumed by kcat (from the librdkafka mock cluster) and by a WebSocket client.
Prints records/s for both. Loopback only; everything started is stopped by PID."""
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import nodd_harness as h  # noqa: E402
from bind_util import Named, ZONE, upstream_yaml  # noqa: E402

N = int(os.environ.get("BENCH_STREAM_NAMES", "100000"))


def main():
    import websocket
    tmp = tempfile.mkdtemp(prefix="nodd-bench-streams.")
    mock = subprocess.Popen([os.path.join(h.BUILD, "tests", "tools", "kafka_mock"), "-t",
                             "zone_diff,newly_registered_domain"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    boot = mock.stdout.readline().split("=", 1)[1].strip()
    n = h.Nodd(os.path.join(tmp, "nodd"))
    named = Named(os.path.join(tmp, "named"), n.port, names=["base"])
    try:
        n.extra = upstream_yaml(named) + "kafka:\n  brokers: %s\n" % boot
        n.write_config()
        n.start()
        h.wait_for(lambda: n.api("GET", "/api/v1/status")[1]["upstreams"][0]["serial"] == 1, 30,
                   what="baseline")
        ws = websocket.create_connection("ws://127.0.0.1:%d/ws/newly_registered_domain" % n.http_port,
                                         timeout=600)
        got_ws = {"n": 0, "t": None}

        def read_ws():
            while got_ws["n"] < N:
                json.loads(ws.recv())
                got_ws["n"] += 1
            got_ws["t"] = time.monotonic()
        th = threading.Thread(target=read_ws, daemon=True)
        th.start()
        # the burst: nodd is paused (SIGSTOP) while nsupdate adds N delegations in chunks,
        # then resumed: it fetches them all in ONE IXFR from the serial it holds
        import signal
        from bind_util import KEY, SECRET
        n.proc.send_signal(signal.SIGSTOP)
        t_upd = time.monotonic()
        for c in range(0, N, 500):
            script = "server 127.0.0.1 %d\nzone %s\n" % (named.port, ZONE)
            script += "".join("update add b%06d.%s. 300 NS ns1.%s.\n" % (i, ZONE, ZONE)
                              for i in range(c, min(N, c + 500)))
            script += "send\n"
            subprocess.run(["nsupdate", "-y", "hmac-sha512:%s:%s" % (KEY, SECRET)], input=script,
                           text=True, check=True, timeout=600)
        print("nsupdate of %d delegations took %.1f s" % (N, time.monotonic() - t_upd))
        t0 = time.monotonic()
        n.proc.send_signal(signal.SIGCONT)
        # librdkafka's mock broker keeps only the newest ~30,000 messages of a partition, so
        # kcat reads the LAST record until it carries seq N (the records arrive in order)
        def last_seq():
            r = subprocess.run(["kcat", "-b", boot, "-C", "-t", "newly_registered_domain", "-o", "-1",
                                "-c", "1", "-e", "-q", "-f", "%h"], capture_output=True, text=True,
                               timeout=30)
            try:
                return int(r.stdout.strip().split("seq=")[1])
            except (IndexError, ValueError):
                return 0
        while last_seq() < N:
            time.sleep(0.2)
        t_kafka = time.monotonic()
        count = N
        th.join(600)
        st = n.api("GET", "/api/v1/status")[1]["upstreams"][0]
        print("applied serial %s; observations %d" % (st["serial"], st["observations"]))
        print("kcat consumed %d records in %.1f s after the update: %.0f records/s"
              % (count, t_kafka - t0, count / (t_kafka - t0)))
        if got_ws["t"]:
            print("WebSocket client received %d records in %.1f s: %.0f records/s"
                  % (got_ws["n"], got_ws["t"] - t0, got_ws["n"] / (got_ws["t"] - t0)))
        else:
            print("WebSocket client received only %d records" % got_ws["n"])
        ws.close()
    finally:
        n.stop()
        named.stop()
        mock.stdin.close()
        mock.wait(10)


if __name__ == "__main__":
    main()
