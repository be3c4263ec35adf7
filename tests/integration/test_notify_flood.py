"""A flood of NOTIFYs from a primary's address (unsigned, as an upstream without a key
accepts them) leaves nodd responsive: DNS over TCP and the HTTP API answer within bounded
times, a change on the real BIND primary still arrives, the SOA probes the NOTIFYs cause
are paced per zone, and SIGTERM stops nodd within 5 s."""
import signal
import subprocess
import sys
import time

import dns.message
import dns.query
import dns.rcode
import pytest

import nodd_harness as h
from bind_util import Named, ZONE, upstream_yaml
from test_secondary import need_named  # noqa: F401 (a fixture)

# Sends NOTIFY for the zone to nodd from 127.0.0.1 (the primary's address) over 8 sockets,
# paced at about RATE a second, until killed or for at most LIMIT seconds; never reads answers.
FLOODER = r"""
import socket, sys, time
import dns.message, dns.opcode, dns.rdatatype
port, zone, rate, limit = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
q = dns.message.make_query(zone, dns.rdatatype.SOA)
q.flags = 0x0400  # AA, as a primary sends it
q.set_opcode(dns.opcode.NOTIFY)
wire = bytearray(q.to_wire())
socks = []
for i in range(8):  # several source ports: the kernel spreads them over nodd's UDP threads
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.setblocking(False)
    socks.append(s)
end = time.monotonic() + limit
batch = max(1, rate // 100)
sent = 0
while time.monotonic() < end:
    t = time.monotonic()
    for i in range(batch):
        wire[0], wire[1] = (sent >> 8) & 0xff, sent & 0xff
        sent += 1
        try:
            socks[sent % 8].sendto(wire, ("127.0.0.1", port))
        except BlockingIOError:
            pass
    time.sleep(max(0.0, 0.01 - (time.monotonic() - t)))
"""

RATE = 5000          # NOTIFYs a second: thousands, without taking a whole core
INTERVAL = 1         # notify-min-interval's default (docs/configuration.md)


def upstream_of(n):
    st, body = n.api("GET", "/api/v1/status", timeout=5)
    assert st == 200, body
    return body["upstreams"][0]


def metric(n, name):
    for mname, labels, v in n.metrics():
        if mname == name and labels.get("zone") == ZONE:
            return v
    raise AssertionError("%s{zone=%s} not in /metrics" % (name, ZONE))


def tcp_soa_ok(n, timeout):
    """DNS over TCP answers the DNSBL zone's SOA within timeout seconds."""
    q = dns.message.make_query(h.DNSBL, "SOA")
    r = dns.query.tcp(q, "127.0.0.1", port=n.port, timeout=timeout)
    return r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1


def start_flood(n, seconds):
    return subprocess.Popen([sys.executable, "-c", FLOODER, str(n.port), ZONE + ".", str(RATE),
                             str(seconds)])


def test_notify_flood_keeps_nodd_responsive(tmp_path, nodd_factory, need_named):
    """During a flood of thousands of NOTIFYs a second from the primary's address, DNS over
    TCP and GET /api/v1/status answer within 3 s each, an nsupdate on the primary reaches
    nodd, the NOTIFYs are counted while the SOA probes stay within one per
    notify-min-interval (plus the few the refresh and the change cause), and SIGTERM stops
    nodd within 5 s with the flood still running."""
    n = nodd_factory(start=False, server={"udp-threads": 4})
    named = Named(tmp_path / "named", n.port, names=["old1"], key=False)
    flood = None
    try:
        n.extra = upstream_yaml(named, key=False)
        n.write_config()
        n.start()
        h.wait_for(lambda: upstream_of(n)["serial"] == named.serial(), 15,
                   what="the baseline transfer")
        notify0 = metric(n, "nodd_upstream_notify_total")
        probes0 = metric(n, "nodd_upstream_probes_total")

        flood = start_flood(n, 60)
        t0 = time.monotonic()
        time.sleep(1.0)
        for _ in range(3):  # the loop keeps serving while NOTIFYs pour in
            t = time.monotonic()
            assert tcp_soa_ok(n, 3.0)
            st, body = n.api("GET", "/api/v1/status", timeout=3.0)
            assert st == 200 and body["upstreams"][0]["zone"] == ZONE, body
            assert time.monotonic() - t < 6.0
            time.sleep(0.3)

        named.update("add fresh.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        want = named.serial()
        h.wait_for(lambda: upstream_of(n)["serial"] == want, 15,
                   what="serial %d from the primary during the flood" % want)
        time.sleep(1.0)
        assert flood.poll() is None, "the flood ended early"
        notify1 = metric(n, "nodd_upstream_notify_total")
        probes1 = metric(n, "nodd_upstream_probes_total")
        elapsed = time.monotonic() - t0
        assert notify1 - notify0 >= 1000, "the flood did not reach nodd: %d NOTIFYs counted" % (
            notify1 - notify0)
        # one probe per interval from the NOTIFYs, one more for the change's transfer
        # follow-up and the refresh timer, and a margin for the second boundaries
        bound = elapsed / INTERVAL + 4
        assert probes1 - probes0 <= bound, "%d SOA probes in %.1f s (bound %.0f)" % (
            probes1 - probes0, elapsed, bound)

        t = time.monotonic()
        n.send_signal(signal.SIGTERM)
        try:
            n.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pytest.fail("nodd did not stop within 5 s of SIGTERM during the flood")
        assert time.monotonic() - t < 5
        assert n.proc.returncode == 0, n.log_tail()
    finally:
        if flood is not None:
            flood.kill()
            flood.wait(5)
        named.stop()
