"""The allow-list: names from policy.allow and from noddctl allow are never listed. An
allowed name leaves the DNSBL and every RPZ zone at once (new serials, an IXFR from the
version that held it deletes it), the allow zone allow.rpz.<suffix> passes it through, the
change is a zone_diff record on the streams, unallow lists it again, the API entries survive
a restart, and SIGHUP applies a changed policy.allow. A real BIND with the allow zone first
in response-policy lets an allowed name resolve while it still rewrites another new name."""
import json
import os
import time

import dns.query
import dns.rcode
import dns.rdatatype
import pytest

import nodd_harness as h
from test_streams import need_websocket, ws_connect, ws_records  # noqa: F401 (a fixture)

ALLOW = h.ALLOW
LISTED = [h.RPZ[w] for w in h.WINDOWS] + [h.DNSBL]
XFR = "transfer:\n  allow:\n    - address: 127.0.0.1/32\n"


def xfr_records(n, zone, serial=None):
    """(owner, type, rdata text) of every record of an AXFR (serial None) or IXFR."""
    kw = {"rdtype": dns.rdatatype.IXFR, "serial": serial} if serial is not None else {}
    out = []
    for msg in dns.query.xfr("127.0.0.1", zone, port=n.port, lifetime=10, relativize=False, **kw):
        for rs in msg.answer:
            out += [(rs.name.to_text().lower(), rs.rdtype, rd.to_text()) for rd in rs]
    return out


def ixfr_parts(n, zone, serial):
    """An incremental IXFR from serial as (deleted owners, added owners); fails when the
    answer is AXFR-style."""
    recs = xfr_records(n, zone, serial)
    soas = [i for i, r in enumerate(recs) if r[1] == dns.rdatatype.SOA]
    assert len(soas) == 4 and soas[0] == 0 and soas[-1] == len(recs) - 1, (zone, recs)
    owners = [r[0] for r in recs]
    return set(owners[soas[1] + 1:soas[2]]), set(owners[soas[2] + 1:soas[3]])


def passthru(n, name):
    """The allow zone's answer for name: 'passthru' (CNAME rpz-passthru.) or the rcode."""
    r = n.query("%s.%s" % (name, ALLOW), "A")
    if r.rcode() == dns.rcode.NOERROR and h.rdatas(r, dns.rdatatype.CNAME) == ["rpz-passthru."]:
        return "passthru"
    return dns.rcode.to_text(r.rcode())


def entries(n):
    st, body = n.api("GET", "/api/v1/allow")
    assert st == 200, body
    return {(e["name"], e["origin"]) for e in body["entries"]}


def zone_diff_records(n, count):
    """The first count records of the zone_diff stream (history from seq 1)."""
    ws = ws_connect(n, "/ws/zone_diff?from=1")
    try:
        return ws_records(ws, count, timeout=15)
    finally:
        ws.close()


def check_zone_diff_schema(rec):
    """The fields docs/schemas/zone_diff.schema.json requires, with their types."""
    with open(os.path.join(h.ROOT, "docs", "schemas", "zone_diff.schema.json")) as f:
        schema = json.load(f)
    for k in schema["required"]:
        assert k in rec, (k, rec)
    for k, v in rec.items():
        want = schema["properties"][k].get("type")
        if want == "integer":
            assert isinstance(v, int), (k, rec)
        elif want == "string":
            assert isinstance(v, str), (k, rec)
    assert rec["op"] in schema["properties"]["op"]["enum"], rec


def test_allow_from_config_and_noddctl(nodd_factory, need_websocket):
    n = nodd_factory(publish={"min-interval": "1s"},
                     policy={"allow": ["cfg.nodtld", '"*.bank.nodtld"']}, extra=XFR)
    now = int(time.time())
    before = n.serials()
    n.observe_many([{"domain": d, "first_seen": now - 60} for d in
                    ("cfg.nodtld", "bank.nodtld", "x.bank.nodtld", "target.nodtld",
                     "other.nodtld")])
    n.wait_new_versions(before)

    # from the configuration: never listed
    assert n.a_code("cfg.nodtld") == "NXDOMAIN"
    assert n.a_code("mail.cfg.nodtld") == "NXDOMAIN"
    assert n.a_code("x.bank.nodtld") == "NXDOMAIN"       # below *.bank.nodtld
    assert n.a_code("bank.nodtld") == "127.0.0.2"        # the wildcard's base is not allowed
    assert not n.in_rpz("cfg.nodtld", "5m")
    assert n.in_rpz("bank.nodtld", "5m")
    owners = {o for o, _, _ in xfr_records(n, h.RPZ["5m"])}
    assert "cfg.nodtld.%s." % h.RPZ["5m"] not in owners
    assert "x.bank.nodtld.%s." % h.RPZ["5m"] not in owners
    # bank.nodtld keeps its "*.bank.nodtld CNAME ." in the RPZ zone: a consumer putting the
    # allow zone first passes x.bank.nodtld through its wildcard there
    assert "*.bank.nodtld.%s." % h.RPZ["5m"] in owners
    # the allow zone: exact, wildcard (synthesised below it), nothing else
    assert passthru(n, "cfg.nodtld") == "passthru"
    assert passthru(n, "a.b.bank.nodtld") == "passthru"
    assert passthru(n, "bank.nodtld") == "NOERROR"       # exists (the wildcard is below it)
    assert passthru(n, "other.nodtld") == "NXDOMAIN"
    axfr = xfr_records(n, ALLOW)
    assert ("cfg.nodtld.%s." % ALLOW, dns.rdatatype.CNAME, "rpz-passthru.") in axfr
    assert ("*.bank.nodtld.%s." % ALLOW, dns.rdatatype.CNAME, "rpz-passthru.") in axfr
    assert entries(n) == {("cfg.nodtld", "config"), ("*.bank.nodtld", "config")}

    # noddctl allow: removed at once from every zone holding it
    assert n.in_rpz("target.nodtld", "5m") and n.a_code("target.nodtld") == "127.0.0.2"
    held = n.serials()
    held[ALLOW] = n.serial(ALLOW)
    r = n.noddctl("allow", "Target.NODTLD.")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "target.nodtld" and json.loads(r.stdout)["changed"]
    assert n.a_code("target.nodtld") == "NXDOMAIN"       # answers change at once
    n.wait_new_versions(held, timeout=10)
    for w in h.WINDOWS:
        assert not n.in_rpz("target.nodtld", w), w
    assert n.a_code("other.nodtld") == "127.0.0.2"
    for z in LISTED:
        gone, came = ixfr_parts(n, z, held[z])
        assert gone == {"target.nodtld.%s." % z, "*.target.nodtld.%s." % z} and not came, \
            (z, gone, came)
    gone, came = ixfr_parts(n, ALLOW, held[ALLOW])
    assert came == {"target.nodtld.%s." % ALLOW} and not gone
    assert passthru(n, "target.nodtld") == "passthru"
    assert ("target.nodtld", "api") in entries(n)
    # the stream: the allow zone's change as a zone_diff record
    rec = [x for x in zone_diff_records(n, 3) if x["query_name"] == "target.nodtld"]
    assert len(rec) == 1, rec
    check_zone_diff_schema(rec[0])
    assert rec[0]["op"] == "add" and rec[0]["zone"] == ALLOW and \
        rec[0]["response_type"] == "CNAME" and rec[0]["cname_name"] == "rpz-passthru" and \
        rec[0]["serial_from"] == held[ALLOW] and rec[0]["serial_to"] == n.serial(ALLOW), rec

    # noddctl unallow: listed again, within 24 h
    held = n.serials()
    r = n.noddctl("unallow", "target.nodtld")
    assert r.returncode == 0, r.stderr
    n.wait_new_versions(held, timeout=10)
    assert n.in_rpz("target.nodtld", "5m") and n.a_code("target.nodtld") == "127.0.0.2"
    gone, came = ixfr_parts(n, h.RPZ["5m"], held[h.RPZ["5m"]])
    assert came == {"target.nodtld.%s." % h.RPZ["5m"], "*.target.nodtld.%s." % h.RPZ["5m"]} \
        and not gone
    assert passthru(n, "target.nodtld") == "NXDOMAIN"
    recs = [x for x in zone_diff_records(n, 4) if x["query_name"] == "target.nodtld"]
    assert [x["op"] for x in recs] == ["add", "del"], recs

    # refusals, with exit codes a script can rely on
    r = n.noddctl("unallow", "cfg.nodtld")
    assert r.returncode == 1 and "policy.allow" in r.stderr, r.stderr
    r = n.noddctl("unallow", "never.nodtld")
    assert r.returncode == 1 and "not on the allow-list" in r.stderr, r.stderr
    r = n.noddctl("allow", "bad..name")
    assert r.returncode == 1, r.stderr
    st, _ = n.api("POST", "/api/v1/allow", {"name": "x.nodtld"}, token="wrong")
    assert st == 401
    st, _ = n.api("DELETE", "/api/v1/allow/cfg.nodtld")
    assert st == 401                                     # DELETE needs the token too

    # the API's entries survive a restart; SIGHUP applies a changed policy.allow
    assert n.noddctl("allow", "*.target.nodtld").returncode == 0
    assert n.noddctl("allow", "other.nodtld").returncode == 0
    n.restart()
    assert entries(n) == {("cfg.nodtld", "config"), ("*.bank.nodtld", "config"),
                          ("*.target.nodtld", "api"), ("other.nodtld", "api")}
    assert n.a_code("other.nodtld") == "NXDOMAIN" and n.a_code("www.target.nodtld") == "NXDOMAIN"
    assert n.a_code("target.nodtld") == "127.0.0.2"
    n.policy_extra = {"allow": ["bank.nodtld"]}
    n.write_config()
    held = {h.RPZ["5m"]: n.serial(h.RPZ["5m"])}
    n.send_signal(h.signal.SIGHUP)
    h.wait_for(lambda: n.a_code("cfg.nodtld") == "127.0.0.2", 10, what="cfg.nodtld listed again")
    assert n.a_code("bank.nodtld") == "NXDOMAIN" and n.a_code("x.bank.nodtld") == "127.0.0.2"
    n.wait_new_versions(held, timeout=10)
    assert n.in_rpz("cfg.nodtld", "5m") and n.in_rpz("x.bank.nodtld", "5m")
    owners = {o for o, _, _ in xfr_records(n, h.RPZ["5m"])}
    assert "bank.nodtld.%s." % h.RPZ["5m"] not in owners
    assert "x.bank.nodtld.%s." % h.RPZ["5m"] in owners
    assert entries(n) == {("bank.nodtld", "config"), ("*.target.nodtld", "api"),
                          ("other.nodtld", "api")}
    # noddctl reload names policy.allow among what it applied, once
    n.policy_extra = {"allow": ["bank.nodtld", "cfg.nodtld"]}
    n.write_config()
    r = n.noddctl("reload")
    assert r.returncode == 0 and "applied:        policy.allow\n" in r.stdout, r.stdout
    assert n.a_code("cfg.nodtld") == "NXDOMAIN"
    r = n.noddctl("reload")
    assert r.returncode == 0 and "applied:        -\n" in r.stdout, r.stdout


def test_bind_consumer_passes_allowed_names(tmp_path, nodd_factory):
    """BIND with docs/consumers.md's recipe (the allow zone first in response-policy): an
    allowed name resolves, another new name is still rewritten, a wildcard entry passes the
    subdomains of a listed name; allowing a name BIND already rewrites reaches it by
    NOTIFY + IXFR."""
    if not os.path.exists("/usr/sbin/named"):
        pytest.skip("named is not installed (Debian: bind9)")
    from test_publish_bind import Resolver, nodd_yaml
    n = nodd_factory(start=False)
    rport = h.free_port()
    n.extra = nodd_yaml(rport, tmp_path / "files")
    n.write_config()
    n.start()
    now = int(time.time())
    before = {h.RPZ["5m"]: n.serial(h.RPZ["5m"])}
    n.observe_many([{"domain": d, "first_seen": now - 60} for d in
                    ("good.nodtld", "bad.nodtld", "later.nodtld", "shop.nodtld")])
    assert n.noddctl("allow", "good.nodtld").returncode == 0
    # shop.nodtld stays listed with its "*.shop.nodtld CNAME ." in the 5m zone: only the
    # allow zone, first in response-policy, passes its subdomains
    assert n.noddctl("allow", "*.shop.nodtld").returncode == 0
    n.wait_new_versions(before)
    res = Resolver(tmp_path / "bind", n.port, rport)
    try:
        h.wait_for(lambda: res.log().count("Transfer status: success") >= 4, 20,
                   what="BIND's first transfers of the four zones")
        assert res.verdict("good.nodtld") == "pass"
        assert res.verdict("bad.nodtld") == "nxdomain"
        assert res.verdict("later.nodtld") == "nxdomain"
        assert res.verdict("www.shop.nodtld") == "pass"
        assert res.verdict("shop.nodtld") == "nxdomain"
        assert n.noddctl("allow", "later.nodtld").returncode == 0
        h.wait_for(lambda: res.verdict("later.nodtld") == "pass", 20,
                   what="the newly allowed name passed by BIND")
        assert res.verdict("bad.nodtld") == "nxdomain"
    finally:
        res.stop()


def test_parents_only_allowed_names_have_do_not_exist(nodd_factory):
    """An empty non-terminal exists only through a listed name: a parent whose names below
    are all allowed answers NXDOMAIN (dig), in the DNSBL and the RPZ zones, from the start
    (policy.allow) and at once when noddctl allow / unallow changes the list."""
    n = nodd_factory(publish={"min-interval": "1s"},
                     policy={"allow": ["solo.entld", '"*.b.wtld"']})
    now = int(time.time())
    before = n.serials()
    n.observe_many([{"domain": d, "first_seen": now - 60} for d in
                    ("solo.entld", "a.b.wtld", "kept.ktld", "x.kept.ktld")])
    n.wait_new_versions(before)

    def status(qname, zone):
        r = n.dig("%s.%s" % (qname, zone), "A")
        assert r.rc == 0, r
        return r.status, r.types("AUTHORITY")

    for zone in (h.DNSBL, h.RPZ["5m"]):
        # only allowed names below: no such name
        assert status("entld", zone) == ("NXDOMAIN", ["SOA"]), zone
        assert status("b.wtld", zone) == ("NXDOMAIN", ["SOA"]), zone
        assert status("wtld", zone) == ("NXDOMAIN", ["SOA"]), zone
        # a listed name below: an empty non-terminal
        assert status("ktld", zone) == ("NOERROR", ["SOA"]), zone

    # allowed through the API: kept.ktld and x.kept.ktld are no longer listed, and ktld
    # (their parent only) is gone with them
    r = n.noddctl("allow", "kept.ktld")
    assert r.returncode == 0, r.stderr
    r = n.noddctl("allow", "x.kept.ktld")
    assert r.returncode == 0, r.stderr
    assert status("ktld", h.DNSBL) == ("NXDOMAIN", ["SOA"])
    assert status("ktld", h.RPZ["5m"]) == ("NXDOMAIN", ["SOA"])
    assert status("kept.ktld", h.RPZ["5m"]) == ("NXDOMAIN", ["SOA"])
    # x.kept.ktld listed again: kept.ktld and ktld are its parents once more
    r = n.noddctl("unallow", "x.kept.ktld")
    assert r.returncode == 0, r.stderr
    assert status("ktld", h.DNSBL) == ("NOERROR", ["SOA"])
    assert status("kept.ktld", h.RPZ["5m"]) == ("NOERROR", ["SOA"])
    assert status("x.kept.ktld", h.DNSBL)[0] == "NOERROR"
