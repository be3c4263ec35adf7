"""IPv6 on loopback (::1): nodd listening on 127.0.0.1 and ::1 answers over both, UDP and
TCP (dnspython and dig); transfer.allow with an IPv6 prefix lets an AXFR over ::1 through
and refuses the same request from 127.0.0.1; NOTIFY goes to an IPv6 target and its answer
is matched (the status says acknowledged)."""
import shutil
import socket
import subprocess

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import pytest

import nodd_harness as h


@pytest.fixture
def need_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        pytest.skip("no IPv6 loopback here")


class NotifyTarget(h.UdpServer):
    """Answers every NOTIFY (unsigned) on ::1 and records its zones."""

    def __init__(self):
        self.zones = set()
        super().__init__("::1")

    def handle(self, data, peer):
        q = dns.message.from_wire(data)
        if q.opcode() != dns.opcode.NOTIFY:
            return
        self.zones.add(q.question[0].name.to_text().rstrip(".").lower())
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        self.sock.sendto(r.to_wire(), peer)


def test_ipv6_listen_transfer_allow_and_notify(nodd_factory, need_ipv6):
    """Over ::1: UDP and TCP answers, an AXFR allowed by an IPv6 prefix (refused from
    127.0.0.1), NOTIFY to an IPv6 target acknowledged, the ::1 consumer in the status."""
    tgt = NotifyTarget()
    try:
        n = nodd_factory(start=False)
        p6 = h.free_port("::1")
        n.server_extra["listen"] = ["127.0.0.1@%d" % n.port, '"::1@%d"' % p6]
        n.extra = ("transfer:\n  allow:\n    - address: ::1/128\n"
                   "  notify:\n    - address: ::1@%d\n  min-interval: 1s\n" % tgt.port)
        n.write_config()
        n.start()
        n.observe("six.nodtld")
        name = "six.nodtld." + h.DNSBL
        # answers over ::1, UDP and TCP
        for query in (dns.query.udp, dns.query.tcp):
            r = query(dns.message.make_query(name, "A"), "::1", port=p6, timeout=3)
            assert r.rcode() == dns.rcode.NOERROR and r.answer[0][0].address == "127.0.0.2", r
        if shutil.which("dig"):
            out = subprocess.run(["dig", "@::1", "-p", str(p6), "+short", "+tcp", name, "TXT"],
                                 capture_output=True, text=True, timeout=10).stdout
            assert "first_seen=" in out, out
        # transfer.allow ::1/128: allowed over ::1, refused from 127.0.0.1
        z5 = "5m.rpz." + h.SUFFIX
        h.wait_for(lambda: any("six.nodtld" in rs.name.to_text()
                               for m in dns.query.xfr("::1", z5, port=p6, lifetime=5,
                                                      relativize=False)
                               for rs in m.answer), 10, what="the name in the AXFR over ::1")
        r = dns.query.tcp(dns.message.make_query(z5, "AXFR"), "127.0.0.1", port=n.port, timeout=5)
        assert r.rcode() == dns.rcode.REFUSED, r
        # NOTIFY to the IPv6 target, answered and matched
        zones = {"%s.rpz.%s" % (w, h.SUFFIX) for w in h.WINDOWS} | {h.DNSBL}
        h.wait_for(lambda: zones <= tgt.zones, 10, what="a NOTIFY of every zone over ::1")

        def states():
            st = n.api("GET", "/api/v1/status")[1]["publish"]
            return {z: q["state"] for z, q in st["notify"][0]["zones"].items()}, st
        h.wait_for(lambda: set(states()[0].values()) == {"acknowledged"}, 10,
                   what="every NOTIFY acknowledged: %s" % (states(),))
        st = states()[1]
        assert st["notify"][0]["address"] == "::1@%d" % tgt.port, st
        assert any(c["peer"] == "::1" and c["zone"] == z5 for c in st["consumers"]), st
    finally:
        tgt.close()


def test_ipv4_and_ipv6_wildcard_on_one_port(nodd_factory, need_ipv6):
    """listen: [127.0.0.1@P, "::@P"] -- an IPv4 address and the IPv6 wildcard on the same
    port, as a dual-stack server lists them -- starts, and answers over UDP and TCP on both
    127.0.0.1 and ::1 (the IPv6 sockets are IPv6-only, so they do not claim the IPv4 port)."""
    n = nodd_factory(start=False)
    n.server_extra["listen"] = ["127.0.0.1@%d" % n.port, '"::@%d"' % n.port]
    n.write_config()
    n.start()
    n.observe("both.nodtld")
    name = "both.nodtld." + h.DNSBL
    for host in ("127.0.0.1", "::1"):
        for query in (dns.query.udp, dns.query.tcp):
            r = query(dns.message.make_query(name, "A"), host, port=n.port, timeout=3)
            assert r.rcode() == dns.rcode.NOERROR and r.answer[0][0].address == "127.0.0.2", \
                (host, query, r)
