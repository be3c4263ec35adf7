"""DNS answers of the eight published zones (docs/zones.md), checked with dnspython for
exact flags/rcode/sections and with dig and kdig for the main cases.

One daemon serves the whole module; names are observed once through the API with
first_seen set to the middle of each age bucket, so no window edge is crossed while the
module runs (the smallest margin is 4 minutes)."""
import random
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

import nodd_harness as h
from conftest import need
from nodd_harness import (DNSBL, RPZ, WINDOWS, WINDOW_SECONDS, ZONES, assert_a, assert_cname_dot,
                          assert_flags, assert_nodata, assert_nxdomain, assert_txt_first_seen)

# name -> age in seconds at fixture time
AGES = {
    "age2.se": 60,            # 127.0.0.2
    "age3.se": 450,           # .3
    "age4.ch": 1200,          # .4
    "age5.nu": 2700,          # .5
    "age6.li": 7200,          # .6
    "age7.se": 21600,         # .7
    "age8.se": 64800,         # .8
    "aged-out.org": 108000,   # 30 h: NXDOMAIN everywhere
    "xq.se": 1200,             # 20 min: in 30m..24h, not in 5m/10m
    "deep.sub.example.nu": 60,  # example.nu and sub.example.nu are empty non-terminals
}


@pytest.fixture(scope="module")
def srv(nodd_module):
    now = int(time.time())
    nodd_module.fs = {}
    for d, age in AGES.items():
        nodd_module.observe(d, now - age)
        nodd_module.fs[d] = now - age
    return nodd_module


def bl(name):
    return "%s.%s" % (name, DNSBL)


# ---- DNSBL ------------------------------------------------------------------------------
@pytest.mark.parametrize("domain", [d for d in AGES if AGES[d] < 86400])
def test_dnsbl_a_age_code(srv, domain):
    age = AGES[domain]
    r = srv.query(bl(domain), "A")
    assert_a(r, bl(domain), h.expected_code(age))


def test_dnsbl_age_codes_cover_all_buckets(srv):
    codes = sorted(srv.a_code(d) for d in ("age2.se", "age3.se", "age4.ch", "age5.nu",
                                             "age6.li", "age7.se", "age8.se"))
    assert codes == ["127.0.0.%d" % i for i in range(2, 9)]


def test_dnsbl_aged_out_is_nxdomain(srv):
    for t in ("A", "TXT", "MX"):
        assert_nxdomain(srv.query(bl("aged-out.org"), t), bl("aged-out.org"))
    # its parent has no listed name below it: not an empty non-terminal either
    assert_nxdomain(srv.query(bl("org"), "A"), bl("org"))
    assert_nxdomain(srv.query(bl("www.aged-out.org"), "A"), bl("www.aged-out.org"))


@pytest.mark.parametrize("domain", ["age2.se", "age5.nu", "age8.se", "xq.se", "deep.sub.example.nu"])
def test_dnsbl_txt_first_seen(srv, domain):
    assert_txt_first_seen(srv.query(bl(domain), "TXT"), bl(domain), srv.fs[domain])


@pytest.mark.parametrize("qtype", ["AAAA", "MX", "NS", "SOA", "CNAME", "SRV", "PTR", "DNSKEY"])
def test_dnsbl_other_types_nodata(srv, qtype):
    assert_nodata(srv.query(bl("age2.se"), qtype), bl("age2.se"))


@pytest.mark.parametrize("sub", ["mail.xq.se", "a.b.mail.xq.se", "WWW.XQ.SE"])
def test_dnsbl_subdomain_listed_with_domain_data(srv, sub):
    assert_a(srv.query(bl(sub), "A"), bl(sub), h.expected_code(AGES["xq.se"]))
    assert_txt_first_seen(srv.query(bl(sub), "TXT"), bl(sub), srv.fs["xq.se"])
    assert_nodata(srv.query(bl(sub), "MX"), bl(sub))


def test_dnsbl_subdomain_of_fresh_name(srv):
    assert_a(srv.query(bl("smtp.age2.se"), "A"), bl("smtp.age2.se"), "127.0.0.2")


@pytest.mark.parametrize("ent", ["se", "nu", "example.nu", "sub.example.nu", "li", "ch"])
@pytest.mark.parametrize("qtype", ["A", "TXT", "SOA"])
def test_dnsbl_empty_non_terminal_nodata(srv, ent, qtype):
    assert_nodata(srv.query(bl(ent), qtype), bl(ent))


@pytest.mark.parametrize("name", ["nosuch.se", "y.se", "other.example.nu", "example.com",
                                  "com", "a.b.c.d.unknown", "xse", "sub.nu.x"])
def test_dnsbl_unlisted_nxdomain(srv, name):
    r = srv.query(bl(name), "A")
    assert_nxdomain(r, bl(name))
    # negative answers carry the SOA with TTL min(ttl, soa-minimum) = 60
    assert r.authority[0].ttl == 60, r.to_text()


def test_rfc5782_test_entries(srv):
    assert_a(srv.query(bl("test"), "A"), bl("test"), "127.0.0.2")
    assert_a(srv.query(bl("TEST"), "A"), bl("TEST"), "127.0.0.2")
    for n in ("invalid", "INVALID", "x.invalid"):
        assert_nxdomain(srv.query(bl(n), "A"), bl(n))


def test_invalid_cannot_be_listed(srv):
    # a single-label name is a TLD: refused by the API, and never listed
    st, _ = srv.observe("invalid", expect=None)
    assert st == 400
    assert_nxdomain(srv.query(bl("invalid"), "A"), bl("invalid"))


# ---- apex -------------------------------------------------------------------------------
@pytest.mark.parametrize("zone", ZONES)
def test_apex_soa(srv, zone):
    """Each zone's apex SOA: one record, owner the apex, MNAME localhost., RNAME
    hostmaster.nod.example., timers 60/60/21600/60, a unix-time serial; authoritative."""
    r = srv.query(zone, "SOA")
    assert r.rcode() == dns.rcode.NOERROR
    assert_flags(r)
    assert len(r.answer) == 1 and len(r.answer[0]) == 1, r.to_text()
    rrs = r.answer[0]
    assert rrs.name == dns.name.from_text(zone)
    assert rrs.rdtype == dns.rdatatype.SOA
    soa = rrs[0]
    assert soa.mname == dns.name.from_text("localhost.")
    assert soa.rname == dns.name.from_text("hostmaster.nod.example.")
    assert (soa.refresh, soa.retry, soa.expire, soa.minimum) == (60, 60, 21600, 60), r.to_text()
    assert soa.serial > 1_600_000_000, "serial is not a unix time: %d" % soa.serial


@pytest.mark.parametrize("zone", ZONES)
def test_apex_ns(srv, zone):
    """Each zone's apex NS: exactly localhost., owner the apex, authoritative."""
    r = srv.query(zone, "NS")
    assert r.rcode() == dns.rcode.NOERROR
    assert_flags(r)
    assert len(r.answer) == 1 and r.answer[0].rdtype == dns.rdatatype.NS, r.to_text()
    assert r.answer[0].name == dns.name.from_text(zone)
    assert [rd.to_text() for rd in r.answer[0]] == ["localhost."]


@pytest.mark.parametrize("zone", [DNSBL, RPZ["5m"], RPZ["24h"]])
def test_apex_other_type_nodata(srv, zone):
    assert_nodata(srv.query(zone, "A"), zone)
    assert_nodata(srv.query(zone, "TXT"), zone)


# ---- RPZ --------------------------------------------------------------------------------
def rpz(name, w):
    return "%s.%s" % (name, RPZ[w])


@pytest.mark.parametrize("w", WINDOWS)
def test_rpz_membership_by_age(srv, w):
    """Each name is in exactly the windows longer than its age (larger windows are
    supersets of smaller ones)."""
    for d, age in AGES.items():
        got = srv.in_rpz(d, w)
        assert got == (age < WINDOW_SECONDS[w]), "%s (age %d s) in %s: %s" % (d, age, w, got)


@pytest.mark.parametrize("w", ["30m", "1h", "24h"])
@pytest.mark.parametrize("qtype", ["A", "AAAA", "TXT", "MX", "CNAME"])
def test_rpz_name_cname_dot(srv, w, qtype):
    assert_cname_dot(srv.query(rpz("xq.se", w), qtype), rpz("xq.se", w))


@pytest.mark.parametrize("w", ["30m", "3h", "24h"])
@pytest.mark.parametrize("sub", ["a.xq.se", "a.b.xq.se", "A.B.C.XQ.SE"])
def test_rpz_wildcard_synthesis(srv, w, sub):
    assert_cname_dot(srv.query(rpz(sub, w), "A"), rpz(sub, w))
    assert_cname_dot(srv.query(rpz(sub, w), "TXT"), rpz(sub, w))


def test_rpz_literal_wildcard_owner(srv):
    assert_cname_dot(srv.query(rpz("*.xq.se", "30m"), "A"), rpz("*.xq.se", "30m"))


@pytest.mark.parametrize("w", ["5m", "10m"])
def test_rpz_young_windows_do_not_hold_older_name(srv, w):
    for n in ("xq.se", "a.b.xq.se", "*.xq.se"):
        assert_nxdomain(srv.query(rpz(n, w), "A"), rpz(n, w))


def test_rpz_empty_non_terminals(srv):
    # age2.se (60 s) is in every window, so se. is an ENT everywhere
    for w in WINDOWS:
        assert_nodata(srv.query(rpz("se", w), "A"), rpz("se", w))
    # age4.ch (20 min) is in 30m.. only
    for w in ("5m", "10m"):
        assert_nxdomain(srv.query(rpz("ch", w), "A"), rpz("ch", w))
    for w in ("30m", "24h"):
        assert_nodata(srv.query(rpz("ch", w), "A"), rpz("ch", w))
    for n in ("example.nu", "sub.example.nu"):
        assert_nodata(srv.query(rpz(n, "5m"), "A"), rpz(n, "5m"))


@pytest.mark.parametrize("w", ["5m", "30m", "24h"])
def test_rpz_unlisted_nxdomain(srv, w):
    for n in ("y.se", "nosuch.example", "aged-out.org", "a.aged-out.org", "com"):
        assert_nxdomain(srv.query(rpz(n, w), "A"), rpz(n, w))


def test_rpz_deep_name_and_its_wildcard(srv):
    n = "deep.sub.example.nu"
    assert_cname_dot(srv.query(rpz(n, "5m"), "A"), rpz(n, "5m"))
    assert_cname_dot(srv.query(rpz("mx." + n, "5m"), "MX"), rpz("mx." + n, "5m"))
    assert_nxdomain(srv.query(rpz("other.sub.example.nu", "5m"), "A"),
                    rpz("other.sub.example.nu", "5m"))


# ---- case, question echo ----------------------------------------------------------------
def _question_end(wire):
    i = 12
    while wire[i]:
        i += 1 + wire[i]
    return i + 1 + 4


@pytest.mark.parametrize("qname,qtype,rcode", [
    ("AgE2.Se.V1.bL.nOd.ExAmPlE", "A", dns.rcode.NOERROR),
    ("mAiL.Xq.sE.v1.BL.nod.EXAMPLE", "TXT", dns.rcode.NOERROR),
    ("A.b.Xq.Se.30M.RpZ.NoD.eXaMpLe", "A", dns.rcode.NOERROR),
    ("NoSuCh.Se.V1.Bl.NoD.ExAmPlE", "A", dns.rcode.NXDOMAIN),
    ("Se.V1.Bl.NoD.ExAmPlE", "A", dns.rcode.NOERROR),
    ("V1.BL.NOD.EXAMPLE", "SOA", dns.rcode.NOERROR),
    ("WwW.ExAmPlE.CoM", "A", dns.rcode.REFUSED),
])
@pytest.mark.parametrize("tcp", [False, True])
def test_question_echoed_byte_for_byte(srv, qname, qtype, rcode, tcp):
    q = srv.make_query(qname, qtype)
    wire = q.to_wire()
    end = _question_end(wire)
    assert qname != qname.lower() and wire[12:end] != wire[12:end].lower()  # really mixed
    reply = srv.tcp_raw(wire) if tcp else srv.udp_raw(wire)
    assert reply is not None, "no reply"
    assert reply[:2] == wire[:2], "ID not echoed"
    assert struct.unpack("!H", reply[4:6])[0] == 1, "QDCOUNT != 1"
    assert reply[12:end] == wire[12:end], "question not echoed byte for byte: %r vs %r" % (
        reply[12:end], wire[12:end])
    r = dns.message.from_wire(reply)
    assert r.rcode() == rcode, r.to_text()
    if rcode == dns.rcode.NOERROR and qtype == "A" and "rpz" in qname.lower():
        assert_cname_dot(r, qname)
    elif rcode == dns.rcode.NOERROR and qtype == "A" and qname.lower().startswith("age2"):
        assert_a(r, qname, "127.0.0.2")


def test_rd_copied_ra_clear(srv):
    r = srv.query(bl("age2.se"), "A", rd=True)
    assert r.flags & dns.flags.RD
    assert not r.flags & dns.flags.RA
    assert_a(r, bl("age2.se"), "127.0.0.2")


# ---- EDNS -------------------------------------------------------------------------------
def test_edns_opt_advertises_1232(srv):
    for tcp in (False, True):
        r = srv.query(bl("age2.se"), "A", edns=0, payload=4096, tcp=tcp)
        assert r.edns == 0, "no OPT (version 0) in the reply: " + r.to_text()
        assert r.payload == 1232, "OPT advertises %d" % r.payload
        assert_a(r, bl("age2.se"), "127.0.0.2")


def test_edns_small_payload_still_answers(srv):
    # a payload under 512 counts as 512 (RFC 6891 6.2.3)
    r = srv.query(bl("age2.se"), "A", edns=0, payload=100)
    assert_a(r, bl("age2.se"), "127.0.0.2")
    assert r.edns == 0


def test_no_edns_no_opt(srv):
    for name in (bl("age2.se"), bl("nosuch.se"), DNSBL):
        r = srv.query(name, "A")
        assert r.edns == -1, "OPT in reply to a query without one: " + r.to_text()
        assert r.opt is None


def test_edns_version_1_badvers(srv):
    q = srv.make_query(bl("age2.se"), "A")
    q.use_edns(1, payload=1232)  # make_query(use_edns=1) writes version 0
    assert q.to_wire()[-5] == 1
    r = srv.query(q)
    assert r.rcode() == dns.rcode.BADVERS, "rcode %s" % dns.rcode.to_text(r.rcode())
    assert r.edns == 0, "BADVERS reply must carry OPT version 0: " + r.to_text()
    assert not r.answer


def test_edns_do_bit_echoed(srv):
    r = srv.query(bl("age2.se"), "A", edns=0, want_dnssec=True)
    assert r.ednsflags & dns.flags.DO, "DO not copied (RFC 3225): " + r.to_text()
    assert_a(r, bl("age2.se"), "127.0.0.2")


def test_edns_unknown_option_ignored(srv):
    opt = dns.edns.GenericOption(65001, b"\x01\x02\x03")
    r = srv.query(bl("age2.se"), "A", edns=0, options=[opt])
    assert_a(r, bl("age2.se"), "127.0.0.2")
    assert r.edns == 0


def test_edns_cookie_option_ignored(srv):
    # dig sends a client cookie by default; a server without cookies ignores it
    opt = dns.edns.GenericOption(10, b"\x01\x02\x03\x04\x05\x06\x07\x08")
    r = srv.query(bl("age2.se"), "A", edns=0, options=[opt])
    assert_a(r, bl("age2.se"), "127.0.0.2")


# ---- errors -----------------------------------------------------------------------------
def _raw_query(qname="age2.se." + DNSBL, qtype="A", edns=None):
    q = dns.message.make_query(qname, qtype, use_edns=edns)
    q.flags &= ~dns.flags.RD
    return bytearray(q.to_wire())


OPT_RR = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)


def _expect_rcode(srv, wire, rcode, tcp=False):
    wire = bytes(wire)
    reply = srv.tcp_raw(wire) if tcp else srv.udp_raw(wire)
    assert reply is not None, "no reply to %r" % wire
    assert reply[:2] == wire[:2], "ID not echoed"
    _, flags, *_ = h.header(reply)
    assert flags & 0x8000, "QR not set"
    assert flags & 0xF == rcode, "rcode %d, expected %d (%r)" % (flags & 0xF, rcode, reply)
    return reply


@pytest.mark.parametrize("tcp", [False, True])
def test_formerr_qdcount_2(srv, tcp):
    w = _raw_query()
    q1 = w[12:]
    w[4:6] = struct.pack("!H", 2)
    _expect_rcode(srv, w + q1, dns.rcode.FORMERR, tcp)


@pytest.mark.parametrize("tcp", [False, True])
def test_formerr_qdcount_0(srv, tcp):
    w = _raw_query()[:12]
    w[4:6] = struct.pack("!H", 0)
    _expect_rcode(srv, w, dns.rcode.FORMERR, tcp)


@pytest.mark.parametrize("tcp", [False, True])
def test_formerr_two_opt(srv, tcp):
    w = _raw_query(edns=0)
    w[10:12] = struct.pack("!H", 2)
    _expect_rcode(srv, w + OPT_RR, dns.rcode.FORMERR, tcp)


@pytest.mark.parametrize("label", [b"\x40" + b"a" * 10, b"\x80\x01", b"\x41abc"])
def test_formerr_bad_label(srv, label):
    w = bytearray(_raw_query()[:12]) + label + b"\x00" + struct.pack("!HH", 1, 1)
    _expect_rcode(srv, w, dns.rcode.FORMERR)


@pytest.mark.parametrize("opcode", [1, 2, 3, 5, 6, 15])
def test_notimp_unknown_opcodes(srv, opcode):
    w = _raw_query()
    w[2] = (w[2] & 0x87) | (opcode << 3)
    reply = _expect_rcode(srv, w, dns.rcode.NOTIMP)
    assert (reply[2] >> 3) & 0xF == opcode, "opcode not echoed"


@pytest.mark.parametrize("qname", ["example.com", "www.example.com", "nod.example",
                                   "rpz.nod.example", "bl.nod.example", "x.rpz.nod.example",
                                   "v1.bl.nod.example.com", "1m.rpz.nod.example", "."])
def test_refused_outside_our_zones(srv, qname):
    r = srv.query(qname, "A")
    assert r.rcode() == dns.rcode.REFUSED, "%s: %s" % (qname, r.to_text())
    assert not r.answer
    assert not r.flags & dns.flags.AA
    assert not r.flags & dns.flags.RA


@pytest.mark.parametrize("zone", [DNSBL, RPZ["5m"], RPZ["24h"]])
def test_axfr_over_udp_formerr(srv, zone):
    w = _raw_query(zone, "AXFR")
    _expect_rcode(srv, w, dns.rcode.FORMERR)


@pytest.mark.parametrize("zone", [DNSBL, RPZ["5m"], RPZ["1h"]])
@pytest.mark.parametrize("client_serial", [1, "current"])
def test_ixfr_over_udp_only_soa(srv, zone, client_serial):
    cur = srv.serial(zone)
    cs = cur if client_serial == "current" else client_serial
    q = dns.message.make_query(zone, "IXFR")
    q.flags &= ~dns.flags.RD
    q.authority.append(dns.rrset.from_text(zone + ".", 0, "IN", "SOA",
                                           "localhost. hostmaster.nod.example. %d 60 60 21600 60" % cs))
    r = srv.query(q)
    assert r.rcode() == dns.rcode.NOERROR, r.to_text()
    assert not r.flags & dns.flags.TC
    rrs = [rr for s in r.answer for rr in s]
    assert len(r.answer) == 1 and r.answer[0].rdtype == dns.rdatatype.SOA and len(rrs) == 1, \
        "IXFR over UDP must answer only the current SOA: " + r.to_text()
    assert r.answer[0].name == dns.name.from_text(zone)
    assert rrs[0].serial == cur


# ---- TCP --------------------------------------------------------------------------------
def test_tcp_answers(srv):
    """Over TCP: a listed name's A code, NXDOMAIN with the SOA, an RPZ CNAME to the root."""
    assert_a(srv.query(bl("age3.se"), "A", tcp=True), bl("age3.se"), "127.0.0.3")
    assert_nxdomain(srv.query(bl("nosuch.se"), "A", tcp=True), bl("nosuch.se"))
    assert_cname_dot(srv.query(rpz("a.xq.se", "1h"), "A", tcp=True), rpz("a.xq.se", "1h"))


def test_tcp_pipelined_queries_on_one_connection(srv):
    cases = [(bl(d), "A", h.expected_code(AGES[d])) for d in AGES if AGES[d] < 86400]
    cases += [(bl("nosuch.se"), "A", "NXDOMAIN"), (DNSBL, "SOA", "SOA"),
              (rpz("xq.se", "24h"), "A", "CNAME"), (bl("xq.se"), "TXT", "TXT")]
    cases = cases * 3
    queries = {}
    data = b""
    for i, (qn, qt, exp) in enumerate(cases):
        q = h.dns.message.make_query(qn, qt)
        q.id = 1000 + i
        queries[q.id] = (qn, qt, exp)
        w = q.to_wire()
        data += struct.pack("!H", len(w)) + w
    s = srv.tcp_connect()
    try:
        s.sendall(data)  # all queries in one write: pipelined
        seen = set()
        for _ in cases:
            m = h.tcp_read_msg(s)
            assert m is not None, "connection closed after %d of %d replies" % (len(seen), len(cases))
            r = dns.message.from_wire(m)
            assert r.id in queries and r.id not in seen
            seen.add(r.id)
            qn, qt, exp = queries[r.id]
            if exp.startswith("127."):
                assert_a(r, qn, exp)
            elif exp == "NXDOMAIN":
                assert_nxdomain(r, qn)
            elif exp == "CNAME":
                assert_cname_dot(r, qn)
            elif exp == "TXT":
                assert_txt_first_seen(r, qn, srv.fs["xq.se"])
            else:
                assert r.answer[0].rdtype == dns.rdatatype.SOA
        # the connection stays usable after the burst
        q = h.dns.message.make_query(bl("test"), "A")
        w = q.to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        assert_a(dns.message.from_wire(h.tcp_read_msg(s)), bl("test"), "127.0.0.2")
    finally:
        s.close()


def test_tcp_query_split_across_writes(srv):
    q = h.dns.message.make_query(bl("age2.se"), "A")
    w = q.to_wire()
    framed = struct.pack("!H", len(w)) + w
    s = srv.tcp_connect()
    try:
        for i in range(0, len(framed), 5):
            s.sendall(framed[i:i + 5])
            time.sleep(0.01)
        assert_a(dns.message.from_wire(h.tcp_read_msg(s)), bl("age2.se"), "127.0.0.2")
    finally:
        s.close()


def test_udp_many_queries(srv):
    """200 UDP queries for names of every age (fixed seed) each get the A code of its age."""
    rnd = random.Random(7)
    names = [d for d in AGES if AGES[d] < 86400]
    for _ in range(200):
        d = rnd.choice(names)
        assert srv.a_code(d) == h.expected_code(AGES[d])


# ---- dig and kdig -----------------------------------------------------------------------
@pytest.mark.parametrize("tool", ["dig", "kdig"])
@pytest.mark.parametrize("tcp", [False, True])
def test_main_cases_with_dig_and_kdig(srv, tool, tcp):
    """dig and kdig, over UDP and TCP: the A code of every age, TXT first_seen, NXDOMAIN
    and NODATA with the SOA, the RFC 5782 entries, RPZ CNAMEs to the root, each apex's SOA
    and NS, REFUSED outside our zones; QR and AA set, RA and TC clear, EDNS 1232."""
    need(tool)

    def run(qname, qtype, tcp):
        return (srv.dig if tool == "dig" else srv.kdig)(qname, qtype, tcp, extra=["+edns=0"])

    def check(res, status, aa=True):
        assert res.status == status, repr(res)
        assert "qr" in res.flags and "ra" not in res.flags and "tc" not in res.flags, repr(res)
        if aa:
            assert "aa" in res.flags, repr(res)

    for d in ("age2.se", "age3.se", "age4.ch", "age5.nu", "age6.li", "age7.se", "age8.se"):
        r = run(bl(d), "A", tcp)
        check(r, "NOERROR")
        assert r.answer == [(bl(d) + ".", 60, "A", h.expected_code(AGES[d]))], repr(r)
        assert r.edns_udp == 1232, repr(r)
    r = run(bl("xq.se"), "TXT", tcp)
    check(r, "NOERROR")
    assert r.answer == [(bl("xq.se") + ".", 60, "TXT", '"first_seen=%d"' % srv.fs["xq.se"])], repr(r)
    r = run(bl("mail.xq.se"), "A", tcp)
    check(r, "NOERROR")
    assert r.types() == ["A"] and r.answer[0][3] == "127.0.0.4", repr(r)
    r = run(bl("nosuch.se"), "A", tcp)
    check(r, "NXDOMAIN")
    assert r.answer == [] and r.types("AUTHORITY") == ["SOA"], repr(r)
    assert r.authority[0][0] == DNSBL + ".", repr(r)
    r = run(bl("se"), "A", tcp)
    check(r, "NOERROR")
    assert r.answer == [] and r.types("AUTHORITY") == ["SOA"], repr(r)
    r = run(bl("age2.se"), "MX", tcp)
    check(r, "NOERROR")
    assert r.answer == [] and r.types("AUTHORITY") == ["SOA"], repr(r)
    r = run(bl("test"), "A", tcp)
    check(r, "NOERROR")
    assert r.answer == [(bl("test") + ".", 60, "A", "127.0.0.2")], repr(r)
    r = run(bl("invalid"), "A", tcp)
    check(r, "NXDOMAIN")
    for w in ("30m", "24h"):
        r = run(rpz("xq.se", w), "A", tcp)
        check(r, "NOERROR")
        assert r.answer == [(rpz("xq.se", w) + ".", 60, "CNAME", ".")], repr(r)
        r = run(rpz("a.b.xq.se", w), "AAAA", tcp)
        check(r, "NOERROR")
        assert r.answer == [(rpz("a.b.xq.se", w) + ".", 60, "CNAME", ".")], repr(r)
    r = run(rpz("xq.se", "5m"), "A", tcp)
    check(r, "NXDOMAIN")
    r = run(rpz("se", "30m"), "A", tcp)
    check(r, "NOERROR")
    assert r.answer == [], repr(r)
    for z in ZONES:
        r = run(z, "SOA", tcp)
        check(r, "NOERROR")
        assert r.types() == ["SOA"] and r.answer[0][0] == z + ".", repr(r)
        assert r.answer[0][3].startswith("localhost. hostmaster.nod.example. "), repr(r)
        r = run(z, "NS", tcp)
        check(r, "NOERROR")
        assert r.answer == [(z + ".", 60, "NS", "localhost.")], repr(r)
    r = run("example.com", "A", tcp)
    check(r, "REFUSED", aa=False)
    assert r.answer == []


def test_dig_ixfr_over_udp(srv):
    """dig's IXFR over UDP gets the current SOA alone (RFC 1995 2)."""
    need("dig")
    cur = srv.serial(DNSBL)
    r = srv.dig(DNSBL, "IXFR=1", extra=["+notcp"])
    # dig prints a transfer without header or sections: read its record lines
    recs = [l.split() for l in r.text.splitlines() if l.strip() and not l.startswith(";")]
    assert [x[3] for x in recs] == ["SOA"], repr(r)
    assert recs[0][6] == str(cur), repr(r)


# ---- truncation -------------------------------------------------------------------------
LONG_NS = ["ns%d-%s.long-name-%d.example." % (i, "a" * 55, i) for i in range(8)]


@pytest.fixture(scope="module")
def big_ns(tmp_path_factory):
    """A daemon whose apex NS RRset (8 long names, about 700 octets) does not fit in 512."""
    import conftest
    n = conftest._start(tmp_path_factory.mktemp("nodd-ns"), publish={"ns": LONG_NS},
                        name="nodd (8 NS)")
    yield n
    n.stop()


def _ns(r):
    return sorted(rd.to_text() for rrs in r.answer if rrs.rdtype == dns.rdatatype.NS for rd in rrs)


def test_tc_when_answer_does_not_fit(big_ns):
    full = big_ns.query(DNSBL, "NS", tcp=True)
    assert full.rcode() == dns.rcode.NOERROR and not full.flags & dns.flags.TC
    assert _ns(full) == sorted(LONG_NS), full.to_text()
    assert len(full.to_wire()) > 512
    # no EDNS: 512 octets; EDNS with 512 or 600: does not fit either
    for kw in ({}, {"edns": 0, "payload": 512}, {"edns": 0, "payload": 600}):
        q = big_ns.make_query(DNSBL, "NS", **kw)
        reply = big_ns.udp_raw(q.to_wire())
        assert reply is not None
        assert len(reply) <= max(512, kw.get("payload", 512)), "%d octets over UDP" % len(reply)
        r = dns.message.from_wire(reply)
        assert r.flags & dns.flags.TC, "TC not set (%s): %s" % (kw, r.to_text())
        assert r.answer == [], "partial RRset with TC: " + r.to_text()
        assert r.rcode() == dns.rcode.NOERROR
        assert r.question[0].name == dns.name.from_text(DNSBL)
    # EDNS 1232 (and a larger client size) fits
    for payload in (1232, 4096):
        r = big_ns.query(DNSBL, "NS", edns=0, payload=payload)
        assert not r.flags & dns.flags.TC
        assert _ns(r) == sorted(LONG_NS)
    # the other answers of that server still fit in 512
    r = big_ns.query(DNSBL, "SOA")
    assert not r.flags & dns.flags.TC and r.answer[0][0].mname == dns.name.from_text(LONG_NS[0])


def test_tc_dig_retries_over_tcp(big_ns):
    need("dig")
    r = big_ns.dig(DNSBL, "NS", extra=["+noedns", "+ignore"])
    assert "tc" in r.flags and r.answer == [], repr(r)
    r = big_ns.dig(DNSBL, "NS", extra=["+noedns"])  # dig falls back to TCP on TC
    assert r.status == "NOERROR" and sorted(a[3] for a in r.answer) == sorted(LONG_NS), repr(r)


def test_tc_kdig(big_ns):
    """kdig without EDNS sees TC=1 for an NS set that does not fit 512 octets, and the
    whole set over TCP."""
    need("kdig")
    r = big_ns.kdig(DNSBL, "NS", extra=["+noedns", "+ignore"])
    assert "tc" in r.flags, repr(r)
    r = big_ns.kdig(DNSBL, "NS", tcp=True)
    assert sorted(a[3] for a in r.answer) == sorted(LONG_NS), repr(r)


# ---- serials ----------------------------------------------------------------------------
def test_serial_is_unix_time_and_increases_on_change(nodd):
    t_start = int(time.time())
    before = nodd.serials()
    for z, s in before.items():
        assert s <= time.time() + 1, "%s serial %d is in the future" % (z, s)
    t0 = int(time.time())
    nodd.observe("serial-test.se")
    after = h.wait_for(lambda: (lambda s: s if all(s[z] > before[z] for z in ZONES) else None)(
        nodd.serials()), 15, 0.25, "all 8 serials to change after an observation")
    t1 = time.time()
    for z in ZONES:
        assert after[z] >= t0, "%s serial %d before the change time %d" % (z, after[z], t0)
        assert after[z] >= t_start
        assert after[z] <= t1 + 1, "%s serial %d is in the future" % (z, after[z])
    # a second change: serials go on increasing
    nodd.observe("serial-test2.se")
    again = h.wait_for(lambda: (lambda s: s if s[DNSBL] > after[DNSBL] else None)(nodd.serials()),
                       15, 0.25, "the DNSBL serial to change again")
    for z in ZONES:
        assert again[z] >= after[z]
