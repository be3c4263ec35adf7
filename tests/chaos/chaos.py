#!/usr/bin/python3
"""Chaos run: nodd follows a real BIND primary (named) that receives a stream of new
delegations by nsupdate, and is killed with SIGKILL at random moments -- at a random time,
during start-up, and just after an update (while the NOTIFY's IXFR is on its way) -- then
restarted on the same database. At the end it must hold:

  * every delegation added is listed exactly once in the newly_registered_domain stream
    (read by seq through the WebSocket ?from=1, up to the outbox's last seq);
  * each record's serial is at least the primary's serial of the update that added the
    name, and its timestamp (first_seen) lies between that update and the moment nodd was
    first seen holding the record's serial (the transfer that carried it);
  * sqlite's PRAGMA integrity_check says ok;
  * no serial went backwards: neither a published zone's nor the upstream copy's.

It prints "K kills, N names, L lost, D duplicated" (and every other defect found) and
exits 1 when anything is wrong. The kill schedule comes from a seeded RNG; the seed is
printed so a run can be repeated (the primary's update timing still varies).

    NODD_BUILD=build tests/chaos/chaos.py [--kills 200] [--seed N] [--dir DIR]

tests/integration/test_chaos.py runs a short one (10 kills) in the test suite; `make
chaos` runs the long one. Needs named and nsupdate (Debian: bind9, bind9-dnsutils) and
python3-websocket."""
import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import nodd_harness as h  # noqa: E402
from bind_util import ZONE, Named, upstream_yaml  # noqa: E402

NRD = "newly_registered_domain"


class Feeder(threading.Thread):
    """Adds delegations to the primary's zone in batches of 1 to 20 names, one nsupdate
    at a time. added: name -> (wall time before the update, primary serial after it)."""

    def __init__(self, named, seed):
        super().__init__(daemon=True)
        self.named = named
        self.rng = random.Random(seed)
        self.added = {}
        self.count = 0
        self.stop_flag = threading.Event()
        self.updated = threading.Condition()
        self.error = None

    def run(self):
        try:
            while not self.stop_flag.is_set():
                batch = ["c%06d.%s." % (self.count + i, ZONE)
                         for i in range(self.rng.randint(1, 20))]
                t0 = time.time()
                self.named.update(*["add %s 300 NS ns1.%s." % (n, ZONE) for n in batch])
                serial = self.named.serial()
                self.count += len(batch)
                for n in batch:
                    self.added[n.rstrip(".")] = (t0, serial)
                with self.updated:
                    self.updated.notify_all()
                time.sleep(self.rng.uniform(0, 0.3))
        except Exception as e:  # reported by the run, not lost in the thread
            self.error = e

    def wait_update(self, timeout=10):
        with self.updated:
            self.updated.wait(timeout)


class Monitor(threading.Thread):
    """While nodd is up: the first wall time each upstream serial was seen in its status,
    and every published and upstream serial that went backwards."""

    def __init__(self, nodd):
        super().__init__(daemon=True)
        self.n = nodd
        self.first_seen_serial = {}   # upstream serial -> wall time first seen
        self.top = {}                 # zone (or "upstream") -> highest serial seen
        self.backwards = []
        self.stop_flag = threading.Event()

    def _see(self, zone, serial):
        if serial is None:
            return
        if serial < self.top.get(zone, serial):
            self.backwards.append("%s: serial %d after %d" % (zone, serial, self.top[zone]))
        self.top[zone] = max(serial, self.top.get(zone, serial))

    def poll(self):
        try:
            st, body = self.n.api("GET", "/api/v1/status", timeout=1)
            serials = self.n.serials()
        except Exception:
            return  # down or starting: nothing to compare
        if st != 200:
            return
        up = body["upstreams"][0]["serial"]
        if up is not None:
            self.first_seen_serial.setdefault(up, time.time())
        self._see("upstream", up)
        for z, s in serials.items():
            self._see(z, s)

    def run(self):
        while not self.stop_flag.is_set():
            self.poll()
            time.sleep(0.2)


def upstream_serial(n):
    st, body = n.api("GET", "/api/v1/status", timeout=2)
    return body["upstreams"][0]["serial"] if st == 200 else None


def read_stream(n, timeout=60):
    """Every newly_registered_domain record from seq 1 to the outbox's last seq, through
    the WebSocket ?from=1."""
    import websocket
    last = int(h.metric_sum(n.metrics(), "nodd_outbox_last_seq", topic=NRD))
    out = []
    if last == 0:
        return out
    ws = websocket.create_connection("ws://127.0.0.1:%d/ws/%s?from=1" % (n.http_port, NRD),
                                     timeout=10)
    deadline = time.monotonic() + timeout
    try:
        while not out or out[-1]["seq"] < last:
            ws.settimeout(max(0.1, deadline - time.monotonic()))
            out.append(json.loads(ws.recv()))
    finally:
        ws.close()
    return out


MOMENTS = ["random", "start-up", "after-update"]


def kill_once(n, feeder, kind, rng):
    """Wait for the moment kind names, then SIGKILL nodd. For "start-up" nodd was launched
    without waiting for it to be ready; the kill comes within 0.4 s of the launch."""
    if kind == "start-up":
        time.sleep(rng.uniform(0, 0.4))
    elif kind == "after-update":
        feeder.wait_update()
        time.sleep(rng.uniform(0, 0.05))
    else:
        time.sleep(rng.uniform(0.1, 2.0))
    n.stop(signal.SIGKILL)


def check(n, named, feeder, monitor, records, kills):
    """The defects found, and the summary numbers."""
    problems = list(monitor.backwards)
    if feeder.error:
        problems.append("feeder: %s" % feeder.error)
    seqs = [r["seq"] for r in records]
    if seqs != sorted(set(seqs)):
        problems.append("stream seqs not increasing: %s" % seqs[:50])
    count = {}
    for r in records:
        count[r["domain"]] = count.get(r["domain"], 0) + 1
    lost = sorted(set(feeder.added) - set(count))
    dup = sorted(d for d, c in count.items() if c > 1)
    extra = sorted(set(count) - set(feeder.added))
    if extra:
        problems.append("records of names never added: %s" % extra[:10])
    seen = sorted(monitor.first_seen_serial.items())
    for r in records:
        if r["domain"] not in feeder.added or count[r["domain"]] != 1:
            continue
        t_update, serial = feeder.added[r["domain"]]
        if r["serial"] is None or r["serial"] < serial:
            problems.append("%s: record serial %s before the update's %d" % (
                r["domain"], r["serial"], serial))
            continue
        # the first time nodd was seen holding this serial or a later one
        t_held = next((t for s, t in seen if s >= r["serial"]), time.time())
        if not int(t_update) - 1 <= r["timestamp"] <= t_held + 1:
            problems.append("%s: first_seen %d outside [%d, %d] (update .. transfer of %d)"
                            % (r["domain"], r["timestamp"], t_update, t_held, r["serial"]))
    return problems, lost, dup


def run(workdir, kills, seed, log=print):
    """One chaos run in workdir; returns (summary line, problems list)."""
    rng = random.Random(seed)
    log("chaos: seed %d, %d kills, build %s" % (seed, kills, h.BUILD))
    n = h.Nodd(os.path.join(workdir, "nodd"), name="nodd (chaos)")
    named = Named(os.path.join(workdir, "named"), n.port)
    feeder = monitor = None
    try:
        n.extra = upstream_yaml(named)
        n.write_config()
        n.start()
        h.wait_for(lambda: upstream_serial(n) == named.serial(), 30, what="first transfer")
        feeder = Feeder(named, seed + 1)
        monitor = Monitor(n)
        feeder.start()
        monitor.start()
        kinds = {}
        kind = rng.choices(MOMENTS, weights=[4, 3, 3])[0]
        for k in range(kills):
            kill_once(n, feeder, kind, rng)
            kinds[kind] = kinds.get(kind, 0) + 1
            kind = rng.choices(MOMENTS, weights=[4, 3, 3])[0]
            # restart on the same database; wait until it serves unless the next kill
            # is to come during start-up
            n.start(wait=kind != "start-up" or k == kills - 1)
        feeder.stop_flag.set()
        feeder.join(30)
        want = named.serial()
        h.wait_for(lambda: upstream_serial(n) == want, 60,
                   what="nodd to catch up with serial %d" % want)
        monitor.poll()
        monitor.stop_flag.set()
        monitor.join(5)
        records = read_stream(n)
        problems, lost, dup = check(n, named, feeder, monitor, records, kills)
        rc = n.stop()
        if rc != 0:
            problems.append("nodd exited with %s on SIGTERM" % rc)
        db = sqlite3.connect(n.db)
        ic = db.execute("PRAGMA integrity_check").fetchall()
        db.close()
        if ic != [("ok",)]:
            problems.append("sqlite integrity_check: %s" % ic)
        problems += n.sanitizer_reports()
        log("chaos: kills by moment: %s" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
        summary = "%d kills, %d names, %d lost, %d duplicated" % (kills, len(feeder.added),
                                                                  len(lost), len(dup))
        if lost:
            problems.append("lost: %s" % lost[:20])
        if dup:
            problems.append("duplicated: %s" % dup[:20])
        return summary, problems
    finally:
        if feeder:
            feeder.stop_flag.set()
        if monitor:
            monitor.stop_flag.set()
        n.stop(signal.SIGKILL)
        named.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--dir", default=None,
                    help="work directory, kept (default: a temporary one, removed unless a "
                    "defect was found)")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 31)
    workdir = a.dir or tempfile.mkdtemp(prefix="nodd-chaos.")
    summary, problems = run(workdir, a.kills, seed)
    for p in problems:
        print("DEFECT: %s" % p)
    if problems or a.dir:
        print("seed %d, work directory %s (logs, database)" % (seed, workdir))
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        print("seed %d" % seed)
    print(summary)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
