"""nodd follows a real BIND primary as a TSIG secondary (NOTIFY -> IXFR, AXFR
fallback) and turns new delegations into observations."""
import os
import shutil
import signal
import subprocess
import time

import pytest

import nodd_harness as h
from bind_util import Named, ZONE, upstream_yaml


@pytest.fixture
def need_named():
    if not shutil.which("named") and not os.path.exists("/usr/sbin/named"):
        pytest.skip("named is not installed (Debian: bind9)")
    if not shutil.which("nsupdate"):
        pytest.skip("nsupdate is not installed (Debian: bind9-dnsutils)")


def status_of(n):
    st, body = n.api("GET", "/api/v1/status")
    assert st == 200
    ups = body["upstreams"]
    assert len(ups) == 1
    return ups[0]


def wait_serial(n, serial, timeout=15):
    return h.wait_for(lambda: status_of(n)["serial"] == serial, timeout,
                      what="nodd to hold serial %d (status %r)" % (serial, status_of(n)))


def setup_pair(tmp_path, nodd_factory, names=("old1", "old2"), ixfr=True, key=True):
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=["%s" % x for x in names], ixfr=ixfr, key=key)
    n.extra = upstream_yaml(named, key=key)
    n.write_config()
    n.start()
    wait_serial(n, named.serial())
    return n, named


def test_baseline_then_nsupdate_appears_in_dnsbl(tmp_path, nodd_factory, need_named):
    """The first AXFR is a baseline (nothing listed); a delegation added by nsupdate
    reaches the DNSBL by NOTIFY + IXFR within 2.5 s; deletes, glue and DS changes
    observe nothing."""
    n, named = setup_pair(tmp_path, nodd_factory)
    try:
        # the baseline (first AXFR) observes nothing new
        assert n.a_code("old1.%s" % ZONE) == "NXDOMAIN"
        st, body = n.api("GET", "/api/v1/domains/old1.%s" % ZONE)
        assert st == 200 and body["code"] is None, body
        assert status_of(n)["transfers"]["axfr"] == 1
        # a new delegation: NOTIFY -> IXFR -> listed as 127.0.0.2
        named.update("add fresh.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        t0 = time.monotonic()
        h.wait_for(lambda: n.a_code("fresh.%s" % ZONE) == "127.0.0.2", 2.5,
                   what="fresh delegation in the DNSBL")
        assert time.monotonic() - t0 < 2.5
        assert n.in_rpz("fresh.%s" % ZONE, "5m")
        s = status_of(n)
        assert s["transfers"]["ixfr"] >= 1 and s["observations"] == 1, s
        # deletes and glue changes observe nothing
        named.update("delete old1.%s. NS" % ZONE, "add ns1.%s. 300 A 127.0.0.2" % ZONE,
                     "add glue.%s. 300 A 127.0.0.3" % ZONE)
        wait_serial(n, named.serial())
        assert status_of(n)["observations"] == 1
        assert n.a_code("old1.%s" % ZONE) == "NXDOMAIN"
        # DS-only change on an existing delegation: no observation
        named.update("add old2.%s. 300 DS 12345 13 2 %s" % (ZONE, "AB" * 32))
        wait_serial(n, named.serial())
        assert status_of(n)["observations"] == 1
        assert n.a_code("old2.%s" % ZONE) == "NXDOMAIN"
    finally:
        named.stop()


def test_restart_resumes_by_ixfr(tmp_path, nodd_factory, need_named):
    n, named = setup_pair(tmp_path, nodd_factory)
    try:
        n.stop()
        named.update("add whiledown.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        n.start()
        wait_serial(n, named.serial())
        s = status_of(n)
        assert s["transfers"]["ixfr"] == 1 and s["transfers"]["axfr"] == 0, s
        assert n.a_code("whiledown.%s" % ZONE) == "127.0.0.2"
        assert n.a_code("old1.%s" % ZONE) == "NXDOMAIN"
    finally:
        named.stop()


def test_ixfr_less_primary_gives_the_same_observations_by_axfr_diff(tmp_path, nodd_factory, need_named):
    n, named = setup_pair(tmp_path, nodd_factory, ixfr=False)
    try:
        named.update("add viaaxfr.%s. 300 NS ns1.%s." % (ZONE, ZONE),
                     "delete old2.%s. NS" % ZONE)
        h.wait_for(lambda: n.a_code("viaaxfr.%s" % ZONE) == "127.0.0.2", 10,
                   what="observation through AXFR + diff")
        s = status_of(n)
        assert s["transfers"]["axfr"] >= 2 and s["observations"] == 1, s
        assert n.a_code("old1.%s" % ZONE) == "NXDOMAIN" and n.a_code("old2.%s" % ZONE) == "NXDOMAIN"
    finally:
        named.stop()


def _primary_copy(named):
    """named's zone by AXFR as nodd's copy keeps it: (owner lowercase without the trailing
    dot, type, canonical rdata wire in hex)."""
    import dns.name
    import dns.query
    import dns.tsigkeyring
    from bind_util import KEY, SECRET
    kr = dns.tsigkeyring.from_text({KEY: SECRET})
    out = set()
    for m in dns.query.xfr("127.0.0.1", ZONE, port=named.port, keyring=kr, keyname=KEY,
                           keyalgorithm="hmac-sha512", relativize=False, lifetime=20):
        for rrs in m.answer:
            owner = rrs.name.to_text().lower().rstrip(".")
            for rd in rrs:
                out.add((owner, int(rrs.rdtype), rd.to_digestable(dns.name.root).hex()))
    return out


def _nodd_copy(n):
    r = subprocess.run(["sqlite3", n.db, "SELECT owner, type, lower(hex(rdata)) FROM zone_rr "
                        "WHERE zone = '%s'" % ZONE], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return {(o, int(t), x) for o, t, x in (l.split("|") for l in r.stdout.split())}


def test_axfr_diff_leaves_a_copy_equal_to_the_primary(tmp_path, nodd_factory, need_named):
    """The AXFR difference (a merge of the stored copy and the new one in key order) on
    owners that sort close together (prefixes, '-', digits, lengths) with several NS each:
    after changes by an IXFR-less primary, nodd's stored copy is exactly the primary's zone,
    and only the new delegations are observed."""
    if not shutil.which("sqlite3"):
        pytest.skip("sqlite3 is not installed (Debian: sqlite3)")
    owners = ["a", "a-", "a-0", "a0", "aa", "ab", "b", "b-b", "bb", "z", "z9", "zz-zz",
              "x" * 63, "x" * 62, "m%03d" % 7, "m%03d" % 70, "m%03d" % 700]
    n, named = setup_pair(tmp_path, nodd_factory, names=owners, ixfr=False)
    try:
        assert _nodd_copy(n) == _primary_copy(named)
        ns = "ns1.%s." % ZONE
        named.update(*(["delete a-.%s. NS" % ZONE, "delete z9.%s. NS" % ZONE,
                        "add a-1.%s. 300 NS %s" % (ZONE, ns), "add a.%s. 300 NS ns2.a0.%s." % (ZONE, ZONE),
                        "add %s.%s. 300 NS %s" % ("x" * 61, ZONE, ns), "add m0700.%s. 300 NS %s" % (ZONE, ns),
                        "add ab.%s. 300 NS ns9.other." % ZONE, "delete ab.%s. NS %s" % (ZONE, ns),
                        # a name that sorts before a shorter one ('-' < '0' < 'b'): a
                        # comparator that looked at lengths first would get these wrong
                        "delete a-0.%s. NS" % ZONE, "add b-a.%s. 300 NS %s" % (ZONE, ns)]))
        wait_serial(n, named.serial())
        assert _nodd_copy(n) == _primary_copy(named)
        # exactly the difference (SOA and the NS records changed), nothing deleted and added
        # back: a spurious pair would leave the copy right but go out as zone_diff records
        assert "serial 1 -> 2 applied: 7 added, 5 removed, 4 new names" in n.log_text()
        s = status_of(n)
        assert s["transfers"]["axfr"] >= 2 and s["observations"] == 4, s
        for name in ("a-1", "x" * 61, "m0700", "b-a"):
            assert n.a_code("%s.%s" % (name, ZONE)) == "127.0.0.2", name
        for name in ("a", "ab", "a-", "z9", "a-0"):
            assert n.a_code("%s.%s" % (name, ZONE)) == "NXDOMAIN", name
    finally:
        named.stop()


def _store_names(n):
    import sqlite3
    c = sqlite3.connect(n.db, timeout=10)
    try:
        return c.execute("SELECT count(*) FROM names").fetchone()[0]
    finally:
        c.close()


def test_first_copy_stores_its_names_with_the_count(tmp_path, nodd_factory, need_named):
    """The first AXFR stores the zone's delegations as seen, none listed, in the
    transaction of the copy; the name count of the status is the store's, in the same
    process and after a restart."""
    n, named = setup_pair(tmp_path, nodd_factory, names=["c%03d" % i for i in range(40)])
    try:
        st, body = n.api("GET", "/api/v1/status")
        assert body["store_names"] == _store_names(n) == 40, body
        assert "first copy is written on the main thread" not in n.log_text()
        info = n.lookup("c007.%s" % ZONE)[1]
        assert info["baseline"] is True and info["code"] is None, info
        n.observe("afterwards.example")
        n.stop()
        n.start()
        st, body = n.api("GET", "/api/v1/status")
        assert body["store_names"] == _store_names(n) == 41, body
    finally:
        named.stop()


def test_first_copy_with_a_name_held_ahead_takes_the_transfer_time(tmp_path, nodd_factory,
                                                                   need_named):
    """A name held before the zone's first AXFR with a first_seen later than the transfer
    (sent ahead of time through the API, within policy.future-skew) takes the transfer's
    time and becomes a baseline name; the other names of the copy are stored as seen."""
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=["ahead", "old1", "old2"])
    try:
        n.start()
        ahead = int(time.time()) + 200
        n.observe("ahead.%s" % ZONE, first_seen=ahead)
        n.stop()
        n.extra = upstream_yaml(named)
        n.write_config()
        t0 = int(time.time())
        n.start()
        wait_serial(n, named.serial())
        info = n.lookup("ahead.%s" % ZONE)[1]
        assert t0 <= info["first_seen"] <= int(time.time()), info
        assert info["baseline"] is True and info["code"] is None, info
        assert "upstream %s: the first copy is written on the main thread" % ZONE in n.log_text()
        st, body = n.api("GET", "/api/v1/status")
        assert body["store_names"] == _store_names(n) == 3, body
        assert n.lookup("old2.%s" % ZONE)[1]["baseline"] is True
    finally:
        named.stop()


def test_wrong_key_keeps_the_last_good_version(tmp_path, nodd_factory, need_named):
    n, named = setup_pair(tmp_path, nodd_factory)
    try:
        good = status_of(n)["serial"]
        n.stop()
        # same key name, another secret: named answers BADSIG
        n.extra = n.extra.replace('secret: "', 'secret: "AAAA')
        n.write_config()
        n.start()
        named.update("add unseen.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        h.wait_for(lambda: status_of(n)["last_error"], 10, what="the TSIG error reported")
        s = status_of(n)
        assert s["last_error"] == "TSIG: peer BADSIG (key nod-up)", s
        assert s["serial"] == good
        assert n.a_code("unseen.%s" % ZONE) == "NXDOMAIN"
        assert n.query("%s.v1.bl.%s" % ("test", h.SUFFIX), "A").answer  # still serving
    finally:
        named.stop()


def test_reload_with_the_right_secret_resumes_transfers(tmp_path, nodd_factory, need_named):
    """Key rotation on the secondary side without a restart: with a secret the primary does
    not share, transfers fail (TSIG); a SIGHUP with the right secret makes the next refresh
    transfer the update, in the same process."""
    n, named = setup_pair(tmp_path, nodd_factory)
    try:
        right = n.extra
        n.stop()
        n.extra = right.replace('secret: "', 'secret: "AAAA')
        n.write_config()
        n.start()
        pid = n.proc.pid
        named.update("add rekeyed.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        h.wait_for(lambda: status_of(n)["last_error"], 10, what="the TSIG error reported")
        assert n.a_code("rekeyed.%s" % ZONE) == "NXDOMAIN"
        n.extra = right
        n.write_config()
        n.send_signal(signal.SIGHUP)
        h.wait_for(lambda: "TSIG keys replaced" in n.log_text(), 5, 0.1, what="the keys replaced")
        wait_serial(n, named.serial(), timeout=20)
        assert n.a_code("rekeyed.%s" % ZONE) == "127.0.0.2"
        assert n.proc.pid == pid and n.alive()
    finally:
        named.stop()


def test_unreachable_primary_keeps_serving_and_retries(nodd_factory):
    closed = h.free_tcp_port()
    n = nodd_factory(start=False)
    n.extra = ("upstreams:\n  - zone: nodtest.\n    primaries: [127.0.0.1@%d, no-such-host.invalid@53]\n"
               "    retry-min: 1s\n    retry-max: 2s\n" % closed)
    n.write_config()
    n.start()
    h.wait_for(lambda: status_of(n)["transfers"]["failed"] >= 2, 15, what="retries")
    s = status_of(n)
    assert s["last_error"] and s["have_copy"] is False and s["serial"] is None, s
    n.observe("stillserving.se")
    assert n.a_code("stillserving.se") == "127.0.0.2"
    log = n.log_text()
    assert "upstream nodtest: 127.0.0.1@%d (127.0.0.1): connection failed: Connection refused" \
        % closed in log, log
    assert "cannot resolve primary no-such-host.invalid@53" in log, log


def _counts(db):
    import sqlite3
    c = sqlite3.connect(db, timeout=10)
    try:
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"names", "zone_rr"} <= tables:
            return 0, 0, 0  # killed before the schema was created: nothing stored
        names = c.execute("SELECT count(*) FROM names").fetchone()[0]
        rrs = c.execute("SELECT count(*) FROM zone_rr").fetchone()[0]
        new = c.execute("SELECT count(*) FROM names WHERE baseline = 0").fetchone()[0]
        return names, rrs, new
    finally:
        c.close()


def _kill_after(n, delay):
    """kill -9 nodd `delay` seconds after it starts (or after now, when running): the
    transfer is somewhere between its first message and its commit, or done."""
    if not n.alive():
        n.start(wait=False)
    time.sleep(delay)
    n.stop(sig=signal.SIGKILL)


def test_kill9_during_axfr_and_ixfr_leaves_all_or_nothing(tmp_path, nodd_factory, need_named):
    big = ["b%05d" % i for i in range(50000)]
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=big)
    try:
        n.extra = upstream_yaml(named)
        n.write_config()
        # several kills at different moments of the first AXFR: never a partial copy
        for delay in (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8):
            _kill_after(n, delay)
            names, rrs, new = _counts(n.db)
            assert (names, rrs, new) in ((0, 0, 0), (50000, 50003, 0)), (delay, names, rrs, new)
            if names:
                break
        n.start()
        wait_serial(n, named.serial(), timeout=60)
        assert _counts(n.db) == (50000, 50003, 0)
        # an IXFR of 1000 new delegations, killed at several moments
        named.update(*["add n%04d.%s. 300 NS ns1.%s." % (i, ZONE, ZONE) for i in range(1000)])
        for delay in (0.01, 0.03, 0.06, 0.1, 0.3):
            _kill_after(n, delay)
            names, rrs, new = _counts(n.db)
            assert (names, rrs, new) in ((50000, 50003, 0), (51000, 51003, 1000)), (delay, names, rrs, new)
            if new:
                break
        n.start()
        wait_serial(n, named.serial(), timeout=60)
        assert _counts(n.db) == (51000, 51003, 1000)
        assert n.a_code("n0999.%s" % ZONE) == "127.0.0.2"
        assert n.a_code("b00001.%s" % ZONE) == "NXDOMAIN"
    finally:
        named.stop()


def test_kill9_during_a_re_axfr_leaves_the_last_copy_and_the_next_is_right(tmp_path, nodd_factory,
                                                                          need_named):
    """An IXFR-less primary: the first AXFR (written by the apply worker) and then a re-AXFR
    with 1000 new delegations (diffed, applied on the main thread) are each killed at
    several moments; the store always holds one whole version, and the transfer after the
    restart completes it."""
    big = ["b%05d" % i for i in range(30000)]
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=big, ixfr=False)
    try:
        n.extra = upstream_yaml(named)
        n.write_config()
        def kills_then_complete(delays, before, after):
            for delay in delays:
                _kill_after(n, delay)
                assert _counts(n.db) in (before, after), (delay, _counts(n.db))
            n.start()
            wait_serial(n, named.serial(), timeout=60)
            assert _counts(n.db) == after

        kills_then_complete((0.1, 0.2, 0.4, 0.7), (0, 0, 0), (30000, 30003, 0))
        named.update(*["add r%04d.%s. 300 NS ns1.%s." % (i, ZONE, ZONE) for i in range(1000)])
        kills_then_complete((0.05, 0.2, 0.5, 0.9), (30000, 30003, 0), (31000, 31003, 1000))
        assert _nodd_copy(n) == _primary_copy(named)
        assert n.a_code("r0999.%s" % ZONE) == "127.0.0.2"
        assert n.a_code("b00001.%s" % ZONE) == "NXDOMAIN"
        st, body = n.api("GET", "/api/v1/status")
        assert body["store_names"] == 31000, body
    finally:
        named.stop()


@pytest.mark.parametrize("keep", ["default", "no"])
def test_returning_name_keep_first_seen(tmp_path, nodd_factory, need_named, keep):
    """A deleted delegation that comes back keeps its first_seen by default; with
    upstreams.keep-first-seen: no it is observed as new again. A change of name servers
    (NS deleted and added in one update) is never a return."""
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=["old1", "old2"])
    n.extra = upstream_yaml(named, extra="" if keep == "default" else "    keep-first-seen: no\n")
    n.write_config()
    n.start()
    wait_serial(n, named.serial())

    def info(name):
        st, body = n.api("GET", "/api/v1/domains/%s.%s" % (name, ZONE))
        assert st == 200, body
        return body

    try:
        named.update("add back.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        h.wait_for(lambda: n.a_code("back.%s" % ZONE) == "127.0.0.2", 10, what="back listed")
        t1 = info("back")["first_seen"]
        assert status_of(n)["observations"] == 1
        time.sleep(1.1)
        # a change of name servers in one update: not a return, for either setting
        named.update("delete back.%s. NS ns1.%s." % (ZONE, ZONE),
                     "add back.%s. 300 NS ns2.example.net." % ZONE)
        wait_serial(n, named.serial())
        assert info("back")["first_seen"] == t1
        assert status_of(n)["observations"] == 1
        # deleted, then back in a later version
        named.update("delete back.%s. NS" % ZONE)
        wait_serial(n, named.serial())
        time.sleep(1.1)
        named.update("add back.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        wait_serial(n, named.serial())
        # a baseline name (first AXFR: seen, never listed) deleted and back as well
        named.update("delete old1.%s. NS" % ZONE)
        wait_serial(n, named.serial())
        named.update("add old1.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        wait_serial(n, named.serial())
        back, old1, s = info("back"), info("old1"), status_of(n)
        if keep == "default":
            assert back["first_seen"] == t1, back
            assert old1["baseline"] is True and old1["code"] is None, old1
            assert n.a_code("old1.%s" % ZONE) == "NXDOMAIN"
            assert s["observations"] == 1, s
        else:
            assert back["first_seen"] > t1, back
            assert back["code"] == "127.0.0.2", back
            assert back["source"].startswith("zone %s serial " % ZONE), back
            assert old1["baseline"] is False and old1["code"] == "127.0.0.2", old1
            assert n.a_code("old1.%s" % ZONE) == "127.0.0.2"
            assert n.in_rpz("old1.%s" % ZONE, "5m")
            assert s["observations"] == 3, s
        # a name first seen by the API keeps its time even with keep-first-seen: no
        n.observe("apifirst.%s" % ZONE, first_seen=int(time.time()) - 600)
        fs = info("apifirst")["first_seen"]
        named.update("add apifirst.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        wait_serial(n, named.serial())
        assert info("apifirst")["first_seen"] == fs
    finally:
        named.stop()


def test_several_primaries_are_tried_in_turn(tmp_path, nodd_factory, need_named):
    """The first primary refuses connections and the second does not resolve: nodd goes on
    to the third, a working BIND, for the baseline and for later changes."""
    closed = h.free_tcp_port()
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=["old1"])
    n.extra = upstream_yaml(named).replace(
        "primaries: [127.0.0.1@%d]" % named.port,
        "primaries: [127.0.0.1@%d, no-such-host.invalid@53, 127.0.0.1@%d]" % (closed, named.port))
    assert "no-such-host.invalid" in n.extra
    n.write_config()
    n.start()
    try:
        wait_serial(n, named.serial())
        assert status_of(n)["transfers"]["axfr"] == 1
        named.update("add viathird.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        h.wait_for(lambda: n.a_code("viathird.%s" % ZONE) == "127.0.0.2", 60,
                   what="a change through the third primary")
    finally:
        named.stop()
