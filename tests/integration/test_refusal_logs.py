"""Refused transfers are logged at most once a minute per peer: 100 AXFRs refused by
transfer.allow write one log line (each is still refused and counted in /metrics)."""
import struct

import dns.message
import dns.rcode

import nodd_harness as h

Z5 = h.RPZ["5m"]


def test_100_refused_axfrs_log_one_line(tmp_path, nodd_factory):
    n = nodd_factory(extra="transfer:\n  allow:\n    - address: 127.0.0.2/32\n")
    s = n.tcp_connect()
    try:
        for i in range(100):
            q = dns.message.make_query(Z5, "AXFR")
            q.id = i
            w = q.to_wire()
            s.sendall(struct.pack("!H", len(w)) + w)
            r = dns.message.from_wire(h.tcp_read_msg(s))
            assert r.id == i and r.rcode() == dns.rcode.REFUSED, r
    finally:
        s.close()
    h.wait_for(lambda: h.metric_sum(n.metrics(), "nodd_xfr_out_refused_total") == 100, 5,
               what="100 refusals counted")
    lines = [l for l in n.log_text().splitlines() if "not allowed (transfer.allow)" in l]
    assert len(lines) == 1, "\n".join(lines[:5])
    assert "from 127.0.0.1 unsigned" in lines[0], lines[0]
