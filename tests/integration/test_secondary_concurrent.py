"""Transfers of several upstream zones that run at the same time stay apart: a real BIND
primary serves two zones of tens of thousands of delegations each, nodd follows both,
and the first AXFRs, the IXFRs after a change of both zones, and the AXFRs of a
retransfer of both all overlap. Each zone's stored copy, serial, new names and status
are checked exactly afterwards."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

import nodd_harness as h
from bind_util import options_clause, start_named

ZONES = ("alpha", "beta")
BASE = 25000        # delegations of each zone in the first AXFR
NEW = 3000          # delegations added to each zone at once


@pytest.fixture
def need_named():
    if not shutil.which("named") and not os.path.exists("/usr/sbin/named"):
        pytest.skip("named is not installed (Debian: bind9)")
    try:
        import websocket  # noqa: F401
    except ImportError:
        pytest.skip("python3-websocket is not installed")


def names_of(zone, first, count):
    """count delegation owners of zone: a letter of the zone, then a number."""
    return ["%s%06d.%s" % (zone[0], i, zone) for i in range(first, first + count)]


class TwoZoneNamed:
    """named serving ZONES, both dynamic; add_both() updates both at once (an nsupdate
    per zone, side by side), so that BIND NOTIFYs both together."""

    def __init__(self, workdir, notify_port):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.port = h.free_port()
        self.serial = 0
        self.count = {z: 0 for z in ZONES}
        self.write_zones(1, BASE)
        zones = "".join("""
zone "%(z)s" {
    type primary;
    file "%(dir)s/db.%(z)s";
    allow-transfer { any; };
    allow-update { 127.0.0.1; };
};
""" % {"z": z, "dir": self.dir} for z in ZONES)
        conf = options_clause(self.dir, self.port, notify_port, extra="transfers-out 20;") + zones
        self.conf = os.path.join(self.dir, "named.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.p, self.log = start_named(self.conf, self.dir)
        h.wait_for(lambda: all(self.served_serial(z) == self.serial for z in ZONES), 30,
                   what="named serving both zones")

    def write_zones(self, serial, count):
        self.serial = serial
        for z in ZONES:
            self.count[z] = count
            lines = ["$TTL 300",
                     "@ IN SOA ns1.%s. hostmaster.%s. %d 3600 600 86400 60" % (z, z, serial),
                     "@ IN NS ns1.%s." % z, "ns1 IN A 127.0.0.1"]
            lines += ["%s. IN NS ns1.%s." % (n, z) for n in names_of(z, 0, count)]
            path = os.path.join(self.dir, "db." + z)
            with open(path + ".tmp", "w") as f:
                f.write("\n".join(lines) + "\n")
            os.replace(path + ".tmp", path)

    def served_serial(self, zone):
        import dns.message
        import dns.query
        try:
            r = dns.query.udp(dns.message.make_query(zone, "SOA"), "127.0.0.1", port=self.port,
                              timeout=0.5)
            return r.answer[0][0].serial if r.answer else None
        except Exception:
            return None

    def add_both(self, count, batch):
        """Add count delegations to each zone, batch names per update (a new serial and a
        NOTIFY each), both zones' nsupdate running at once. The serials BIND gave."""
        procs = []
        for z in ZONES:
            script = ""
            names = names_of(z, self.count[z], count)
            for i in range(0, count, batch):
                script += "server 127.0.0.1 %d\nzone %s\n" % (self.port, z)
                script += "".join("update add %s. 300 NS ns1.%s.\n" % (nm, z)
                                  for nm in names[i:i + batch])
                script += "send\n"
            p = subprocess.Popen(["nsupdate", "-v"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            procs.append((p, script))
        for p, script in procs:
            p.stdin.write(script)
            p.stdin.close()
        for p, _ in procs:
            out = p.stdout.read()
            assert p.wait(60) == 0, "nsupdate failed: " + out
        for z in ZONES:
            self.count[z] += count
        return {z: self.served_serial(z) for z in ZONES}

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except Exception:
                self.p.kill()
                self.p.wait(5)
        self.log.close()


def upstreams_yaml(named):
    y = "upstreams:\n"
    for z in ZONES:
        # the zone's own refresh (1 h) keeps the timers out: NOTIFY and the API drive it
        y += ("  - zone: %s.\n    primaries: [127.0.0.1@%d]\n    retry-min: 1s\n"
              "    retry-max: 2s\n" % (z, named.port))
    return y


def statuses(n):
    st, body = n.api("GET", "/api/v1/status")
    assert st == 200
    return {u["zone"]: u for u in body["upstreams"]}


def wait_serials(n, serials, timeout=60):
    """serials: {zone: serial}."""
    h.wait_for(lambda: all(u["serial"] == serials[z] and u["state"] == "idle"
                           for z, u in statuses(n).items()), timeout,
               what="nodd to hold serials %r (%r)" % (serials, statuses(n)))


def copy_ns(n):
    """{zone: set of the owners of NS records in nodd's stored copy of it}."""
    db = sqlite3.connect("file:%s?mode=ro" % n.db, uri=True, timeout=10)
    try:
        out = {}
        for zone, owner in db.execute("SELECT zone, owner FROM zone_rr WHERE type = 2"):
            out.setdefault(zone, set()).add(owner)
        return out
    finally:
        db.close()


def assert_copies(n, named):
    held = copy_ns(n)
    for z in ZONES:
        want = set(names_of(z, 0, named.count[z])) | {z}
        got = held.get(z, set())
        assert got == want, ("zone %s: %d NS owners held, %d wanted; %d missing (e.g. %r), "
                             "%d not of the zone (e.g. %r)"
                             % (z, len(got), len(want), len(want - got), sorted(want - got)[:3],
                                len(got - want), sorted(got - want)[:3]))
    assert set(held) == set(ZONES), sorted(held)


def assert_status_clean(n, serials, axfr, ixfr):
    """No transfer failed; axfr AXFRs applied, and at least ixfr IXFRs."""
    for z, u in statuses(n).items():
        assert u["serial"] == serials[z], (z, u)
        assert u["last_error"] is None and u["errors"] == 0, (z, u)
        assert u["transfers"]["failed"] == 0, (z, u)
        assert u["transfers"]["axfr"] == axfr and u["transfers"]["ixfr"] >= ixfr, (z, u)
        assert u["last_transfer"]["result"] == "applied", (z, u)


def nrd_records(n, want):
    """The newly_registered_domain records from the first on: exactly want of them (one
    more within a second fails)."""
    import websocket
    ws = websocket.create_connection("ws://127.0.0.1:%d/ws/newly_registered_domain?from=1"
                                     % n.http_port, timeout=10)
    try:
        out = []
        deadline = time.monotonic() + 30
        while len(out) < want:
            ws.settimeout(max(0.1, deadline - time.monotonic()))
            out.append(json.loads(ws.recv()))
        ws.settimeout(1)
        try:
            extra = ws.recv()
        except websocket.WebSocketTimeoutException:
            extra = None
        assert extra is None, "a record beyond the %d expected: %s" % (want, extra)
        return out
    finally:
        ws.close()


def assert_new_names(recs, count_before, count_after):
    by_zone = {z: [] for z in ZONES}
    for r in recs:
        assert r["zone"] in by_zone, r
        assert r["domain"].endswith("." + r["zone"]), r
        by_zone[r["zone"]].append(r["domain"])
    for z in ZONES:
        assert sorted(by_zone[z]) == names_of(z, count_before, count_after - count_before), (
            "zone %s: %d new names" % (z, len(by_zone[z])))


def test_overlapping_transfers_of_two_zones_stay_apart(tmp_path, nodd_factory, need_named):
    """First AXFRs of both zones at start, IXFRs of both zones updated at once, then AXFRs of
    both by retransfer, each pair overlapping: every copy holds exactly its zone, every
    new name is recorded once under its own zone, and no transfer failed."""
    n = nodd_factory(start=False)
    named = TwoZoneNamed(tmp_path / "named", n.port)
    try:
        n.extra = upstreams_yaml(named)
        n.write_config()
        n.start()
        # the first AXFRs: the baseline of each zone, nothing new
        serials = {z: 1 for z in ZONES}
        wait_serials(n, serials)
        assert_copies(n, named)
        assert_status_clean(n, serials, axfr=1, ixfr=0)

        # both zones change at once, in several updates: BIND NOTIFYs both each time, the
        # IXFRs run side by side
        serials = named.add_both(NEW, 500)
        assert all(serials[z] > 1 for z in ZONES), serials
        wait_serials(n, serials)
        assert_copies(n, named)
        assert_status_clean(n, serials, axfr=1, ixfr=1)
        assert_new_names(nrd_records(n, 2 * NEW), BASE, BASE + NEW)

        # both zones transferred whole at once: the difference of each AXFR against its
        # copy is empty, and applies
        for z in ZONES:
            st, body = n.api("POST", "/api/v1/zones/%s/retransfer" % z)
            assert st == 200, body
        h.wait_for(lambda: all(u["transfers"]["axfr"] == 2 and not u["retransfer_pending"]
                               and u["state"] == "idle" for u in statuses(n).values()), 60,
                   what="both retransfers applied (%r)" % statuses(n))
        assert_copies(n, named)
        assert_status_clean(n, serials, axfr=2, ixfr=1)
        assert_new_names(nrd_records(n, 2 * NEW), BASE, BASE + NEW)
    finally:
        named.stop()
