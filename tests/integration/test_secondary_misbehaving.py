"""nodd as a secondary of scripted misbehaving upstreams (ldns-testns, and a Python primary
for transfers past the limits): each bad transfer is discarded whole, the last good version
keeps serving, and the error is in status."""
import shutil
import socketserver
import struct
import threading
import time

import dns.flags
import dns.message
import dns.rdatatype
import dns.rrset
import pytest

import nodd_harness as h
from testns_util import ScriptedUpstream, upstream_yaml


@pytest.fixture
def need_testns():
    if not shutil.which("ldns-testns"):
        pytest.skip("ldns-testns is not installed (Debian: ldnsutils)")


def status_of(n):
    return n.api("GET", "/api/v1/status")[1]["upstreams"][0]


def follow(nodd_factory, scenario):
    ns = ScriptedUpstream(scenario)
    n = nodd_factory(start=False)
    n.extra = upstream_yaml(ns.port)
    n.write_config()
    n.start()
    # the baseline AXFR at serial 1
    h.wait_for(lambda: status_of(n)["serial"] == 1, 15, what="baseline from ldns-testns")
    return n, ns


@pytest.mark.parametrize("scenario,evil,error", [
    ("ixfr_wrong_start", "evil1", "starts at serial 7"),
    ("ixfr_delete_absent", "evil2", "deletes a record we do not hold"),
    ("ixfr_cut", "evil3", "closed in the middle"),
])
def test_bad_ixfr_is_discarded(nodd_factory, need_testns, scenario, evil, error):
    n, ns = follow(nodd_factory, scenario)
    try:
        s = h.wait_for(lambda: (lambda x: x if x["last_error"] and error in x["last_error"] else None)(
            status_of(n)), 40, what="the error %r in status" % error)
        assert s["serial"] == 1, s
        assert n.a_code("%s.nodtest" % evil) == "NXDOMAIN"
        assert n.a_code("old.nodtest") == "NXDOMAIN"  # baseline, never listed
        n.observe("stillserving.se")
        assert n.a_code("stillserving.se") == "127.0.0.2"
    finally:
        ns.stop()


def test_serial_going_backwards_is_refused(nodd_factory, need_testns):
    n, ns = follow(nodd_factory, "serial_backwards")
    try:
        s = h.wait_for(lambda: (lambda x: x if x["last_error"] and "older" in x["last_error"] else None)(
            status_of(n)), 15, what="serial backwards reported")
        assert s["serial"] == 1 and s["transfers"]["ixfr"] == 0, s
        assert n.a_code("evil4.nodtest") == "NXDOMAIN"
    finally:
        ns.stop()


def test_refused_ixfr_falls_back_to_axfr(nodd_factory, need_testns):
    n, ns = follow(nodd_factory, "ixfr_refused")
    try:
        h.wait_for(lambda: status_of(n)["transfers"]["axfr"] >= 2, 15, what="AXFR fallback")
        assert status_of(n)["transfers"]["ixfr"] == 0
        assert "falling back to AXFR" in n.log_text()
    finally:
        ns.stop()


# ---- a Python primary past the transfer limits -------------------------------------------

ZONE = "nodtest."
BASE = ["nodtest. 300 IN NS ns1.nodtest.", "ns1.nodtest. 300 IN A 127.0.0.1",
        "old.nodtest. 300 IN NS ns1.nodtest."]


def _soa(serial):
    return dns.rrset.from_text(ZONE, 300, "IN", "SOA",
                               "ns1.nodtest. hostmaster.nodtest. %d 60 60 3600 60" % serial)


def _ns(name):
    return dns.rrset.from_text("%s.nodtest." % name, 300, "IN", "NS", "ns1.nodtest.")


def _zone(names):
    base = [r.split(None, 4) for r in BASE]
    return [dns.rrset.from_text(o, int(t), c, ty, rd) for o, t, c, ty, rd in base] + \
        [_ns(x) for x in names]


class LimitPrimary:
    """Zone nodtest. served over TCP on loopback by a thread. set(serial, names) serves a
    good version (every transfer, IXFR too, answered AXFR-style); set(..., bad=mode)
    serves a version whose transfers misbehave: "forever" streams valid messages and
    never sends the closing SOA, "drip" sends one message and then a byte every 0.5 s
    (the next message never completes), "records" sends a complete transfer of 100
    extra delegations."""

    def __init__(self):
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.set(1, [])
        primary = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.settimeout(30)
                try:
                    while not primary.stopped.is_set():
                        hdr = _recv(self.request, 2)
                        if hdr is None:
                            return
                        wire = _recv(self.request, struct.unpack("!H", hdr)[0])
                        if wire is None:
                            return
                        primary.answer(self.request, dns.message.from_wire(wire))
                except OSError:
                    return

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.srv = Server(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def set(self, serial, names, bad=None):
        with self.lock:
            self.serial, self.names, self.bad = serial, list(names), bad

    @staticmethod
    def _send(sock, q, rrsets):
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        r.answer = rrsets
        w = r.to_wire()
        sock.sendall(struct.pack("!H", len(w)) + w)

    def answer(self, sock, q):
        with self.lock:
            serial, names, bad = self.serial, self.names, self.bad
        if q.question[0].rdtype == dns.rdatatype.SOA:
            return self._send(sock, q, [_soa(serial)])
        if bad == "records":
            names = names + ["evil"] + ["many%d" % i for i in range(100)]
        elif bad:
            names = names + ["evil"]
        self._send(sock, q, [_soa(serial)] + _zone(names))
        i = 0
        while bad == "forever" and not self.stopped.is_set():
            self._send(sock, q, [_ns("flood%d-%d" % (i, j)) for j in range(20)])
            i += 1
            time.sleep(0.02)
        if bad == "drip":
            sock.sendall(struct.pack("!H", 400))
            while not self.stopped.wait(0.5):
                sock.sendall(b"\0")
        self._send(sock, q, [_soa(serial)])

    def stop(self):
        self.stopped.set()
        self.srv.shutdown()
        self.srv.server_close()


def _recv(sock, n):
    buf = b""
    while len(buf) < n:
        c = sock.recv(n - len(buf))
        if not c:
            return None
        buf += c
    return buf


@pytest.mark.parametrize("bad,limits,error,cut", [
    ("forever", "max-transfer-time: 3s", "transfer exceeded max-transfer-time 3s", "time"),
    ("drip", "max-transfer-idle: 2s", "transfer exceeded max-transfer-idle 2s", "idle"),
    ("records", "max-records: 50", "transfer exceeded max-records 50", "records"),
])
def test_transfer_past_a_limit_is_cut_and_discarded(nodd_factory, bad, limits, error, cut):
    """A transfer that runs past max-transfer-time, goes idle past max-transfer-idle or
    stages more than max-records is cut: status and the log give the exact reason, the
    cut counter counts it, no name of the cut transfer is listed, the names of the last
    good version still answer, and the next good transfer is applied."""
    up = LimitPrimary()
    try:
        n = nodd_factory(start=False)
        n.extra = upstream_yaml(up.port) + "    %s\n" % limits
        n.write_config()
        n.start()
        h.wait_for(lambda: status_of(n)["serial"] == 1, 15, what="the baseline")
        up.set(2, ["good2"])
        h.wait_for(lambda: n.a_code("good2.nodtest") == "127.0.0.2", 20, what="serial 2 applied")
        up.set(3, ["good2"], bad=bad)
        s = h.wait_for(lambda: (lambda x: x if x["last_error"] and "exceeded" in x["last_error"]
                                else None)(status_of(n)), 30, what="the limit in status")
        assert s["last_error"] == error, s
        assert s["serial"] == 2 and s["transfers"]["failed"] >= 1, s
        assert n.a_code("evil.nodtest") == "NXDOMAIN"
        assert n.a_code("flood0-0.nodtest") == "NXDOMAIN"
        assert n.a_code("many0.nodtest") == "NXDOMAIN"
        assert n.a_code("good2.nodtest") == "127.0.0.2"
        assert h.metric_sum(n.metrics(), "nodd_upstream_transfers_cut_total", zone="nodtest",
                            limit=cut) >= 1
        assert "upstream nodtest: 127.0.0.1@%d (127.0.0.1): %s" % (up.port, error) \
            in n.log_text(), n.log_tail()
        # the primary mends its ways: the next transfer applies
        up.set(4, ["good2", "later"])
        h.wait_for(lambda: n.a_code("later.nodtest") == "127.0.0.2", 30, what="serial 4 applied")
        s = status_of(n)
        assert s["serial"] == 4, s
        assert n.a_code("evil.nodtest") == "NXDOMAIN"
        assert n.a_code("good2.nodtest") == "127.0.0.2"
    finally:
        up.stop()
