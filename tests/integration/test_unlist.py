"""A listed name whose first_seen is moved back beyond 24 h (POST /api/v1/observations with
an older first_seen) leaves every zone at once: new serials, no answer for it or for its
parent, the AXFRs without it and an IXFR from the version that held it that deletes it."""
import time

import dns.query
import dns.rcode
import dns.rdatatype

import nodd_harness as h

NAME = "moved.nodtld"
ZONES = [h.RPZ["5m"], h.RPZ["24h"], h.DNSBL]


def xfr_records(n, zone, serial=None):
    """(owner, type) of every record of an AXFR (serial None) or IXFR, in order."""
    kw = {"rdtype": dns.rdatatype.IXFR, "serial": serial} if serial is not None else {}
    out = []
    for msg in dns.query.xfr("127.0.0.1", zone, port=n.port, lifetime=10, relativize=False, **kw):
        for rs in msg.answer:
            out += [(rs.name.to_text().lower(), rs.rdtype)] * len(rs)
    return out


def test_first_seen_moved_beyond_24h_unlists_at_once(tmp_path, nodd_factory):
    n = nodd_factory(extra="transfer:\n  allow:\n    - address: 127.0.0.1/32\n  min-interval: 1s\n")
    before = {z: n.serial(z) for z in ZONES}
    n.observe(NAME, first_seen=int(time.time()) - 60)
    n.observe("stays.nodtld", first_seen=int(time.time()) - 60)
    n.wait_new_versions(before)
    assert n.in_rpz(NAME, "5m") and n.a_code(NAME) == "127.0.0.2"
    held = {z: n.serial(z) for z in ZONES}
    for z in ZONES:
        assert ("%s.%s." % (NAME, z), dns.rdatatype.CNAME if z != h.DNSBL else dns.rdatatype.A) \
            in xfr_records(n, z)

    n.observe(NAME, first_seen=int(time.time()) - 25 * 3600)
    n.wait_new_versions(held, timeout=10)
    for w in h.WINDOWS:
        assert not n.in_rpz(NAME, w), w
    assert n.a_code(NAME) == "NXDOMAIN"
    assert n.a_code("stays.nodtld") == "127.0.0.2"
    for z in ZONES:
        owners = {o for o, _ in xfr_records(n, z)}
        assert "%s.%s." % (NAME, z) not in owners, z
        assert "stays.nodtld.%s." % z in owners, z
        recs = xfr_records(n, z, serial=held[z])
        assert recs[0][1] == dns.rdatatype.SOA and recs[-1][1] == dns.rdatatype.SOA, recs
        body = recs[1:-1]
        mine = [r for r in body if r[0] == "%s.%s." % (NAME, z)]
        if body and body[0][1] == dns.rdatatype.SOA:
            # incremental: the name is in the first (deletion) part only
            second_soa = [i for i, r in enumerate(body) if r[1] == dns.rdatatype.SOA][1]
            assert mine and all(body.index(r) < second_soa for r in mine), (z, recs)
        else:
            assert mine == [], (z, recs)  # AXFR-style: the new content, without it


def test_ancestor_of_a_moved_name_leaves_too(tmp_path, nodd_factory):
    """The parent of a name that moved beyond 24 h, which was an empty non-terminal only
    because of it, answers NXDOMAIN again within a few seconds."""
    n = nodd_factory(extra="transfer:\n  min-interval: 1s\n")
    before = {h.RPZ["5m"]: n.serial(h.RPZ["5m"])}
    n.observe("a.only-child.nodtld", first_seen=int(time.time()) - 60)
    n.wait_new_versions(before)
    parent = "only-child.nodtld." + h.RPZ["5m"]
    r = n.query(parent, "A")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer, r
    n.observe("a.only-child.nodtld", first_seen=int(time.time()) - 25 * 3600)
    h.wait_for(lambda: n.query(parent, "A").rcode() == dns.rcode.NXDOMAIN, 10,
               what="the parent NXDOMAIN")
