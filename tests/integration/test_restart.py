"""Restarts: SIGTERM exits 0; the same database gives the same answers, lookups and SOA
serials after a restart; serials never go backwards; an acknowledged observation survives
kill -9."""
import signal
import time

import dns.rcode

import nodd_harness as h
from nodd_harness import DNSBL, RPZ, WINDOWS, ZONES

# ages far from every window edge (at least 4 minutes away)
AGES = {"r2.se": 60, "r3.se": 450, "r4.ch": 1200, "r5.nu": 2700, "r6.li": 7200,
        "r7.se": 21600, "r8.se": 64800, "rgone.org": 108000, "r.deep.example.se": 60}


def bl(name):
    return "%s.%s" % (name, DNSBL)


def snapshot(n):
    """Everything a client can see of the names: DNSBL A and TXT, RPZ membership, API."""
    out = {}
    for d in AGES:
        out[(d, "A")] = n.a_code(d)
        r = n.query(bl(d), "TXT")
        out[(d, "TXT")] = (dns.rcode.to_text(r.rcode()), h.rdatas(r, h.dns.rdatatype.TXT))
        out[(d, "sub")] = n.a_code("mail." + d)
        for w in WINDOWS:
            out[(d, w)] = n.in_rpz(d, w)
        st, body = n.lookup(d)
        body = body if isinstance(body, dict) else {}
        out[(d, "api")] = (st, body.get("domain"), body.get("first_seen"), body.get("code"),
                           tuple(body.get("windows") or ()))
    return out


def settled_serials(n, since):
    """The serials once every zone's version includes the changes made at `since`
    (serial >= since) and they stay put for 2.5 s."""
    last = [None]

    def ok():
        s = n.serials()
        good = s == last[0]
        last[0] = s
        return s if good else None

    def newer():
        s = n.serials()
        return s if all(v >= since for v in s.values()) else None

    h.wait_for(newer, 20, 0.25, "all serials >= %d" % since)
    # a version follows a change by up to min-interval (1 s here) plus one tick (1 s):
    # serials unchanged over a shorter wait may still be about to move
    return h.wait_for(ok, 20, 2.5, "serials to settle")


def test_sigterm_exits_zero(nodd):
    nodd.observe("term.se")
    rc = nodd.stop(signal.SIGTERM)
    assert rc == 0, "exit status %r after SIGTERM:\n%s" % (rc, nodd.log_tail())


def test_sigint_exits_zero(nodd):
    rc = nodd.stop(signal.SIGINT)
    assert rc == 0, "exit status %r after SIGINT" % rc


def test_restart_same_answers_and_serials(nodd_factory):
    n = nodd_factory(publish={"min-interval": 1}, name="nodd (restart)")
    t_start = int(time.time())
    now = int(time.time())
    n.observe_many([{"domain": d, "first_seen": now - a, "source": "t"} for d, a in AGES.items()])
    before = snapshot(n)
    serials = settled_serials(n, t_start)
    for z, s in serials.items():
        assert s >= t_start, "%s serial %d before the start %d" % (z, s, t_start)
    # sanity: the snapshot shows what the ages say
    for d, a in AGES.items():
        assert before[(d, "A")] == (h.expected_code(a) or "NXDOMAIN"), (d, before[(d, "A")])
    rc = n.stop()
    assert rc == 0, "exit status %r after SIGTERM" % rc
    n.start()
    after_serials = n.serials()
    assert after_serials == serials, "serials changed across a restart without content change"
    after = snapshot(n)
    diff = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not diff, "answers changed across the restart: %s" % diff
    # a new observation after the restart moves the serials forward, never back
    n.observe("after-restart.se")
    s2 = h.wait_for(lambda: (lambda s: s if all(s[z] > serials[z] for z in ZONES) else None)(
        n.serials()), 15, 0.25, "serials to increase after an observation")
    assert all(s2[z] > serials[z] for z in ZONES)


def test_serials_never_go_backwards_over_quick_restarts(nodd_factory):
    """A restart within the same second as the last version must not reuse or lower a
    serial once content changes."""
    n = nodd_factory(publish={"min-interval": 1}, name="nodd (quick restarts)")
    prev = n.serials()
    for i in range(3):
        n.observe("quick%d.se" % i)
        cur = h.wait_for(lambda: (lambda s: s if s[DNSBL] > prev[DNSBL] else None)(n.serials()),
                         15, 0.2, "DNSBL serial to increase")
        assert n.stop() == 0
        n.start()
        again = n.serials()
        for z in ZONES:
            assert again[z] >= cur[z], "%s serial went back from %d to %d" % (z, cur[z], again[z])
        prev = again


def test_observation_survives_kill_9(nodd_factory):
    n = nodd_factory(name="nodd (kill -9)")
    fs = int(time.time()) - 450
    n.observe("durable.se", fs)  # acknowledged with 200
    n.observe_many([{"domain": "durable%d.se" % i, "first_seen": fs, "source": "t"}
                    for i in range(50)])
    rc = n.stop(signal.SIGKILL)
    assert rc == -signal.SIGKILL
    n.start()
    st, body = n.lookup("durable.se")
    assert st == 200 and body["first_seen"] == fs, body
    assert n.a_code("durable.se") == "127.0.0.3"
    for i in range(50):
        assert n.a_code("durable%d.se" % i) == "127.0.0.3"


def test_restart_with_empty_database_answers(nodd):
    serials = nodd.serials()
    assert nodd.stop() == 0
    nodd.start()
    assert nodd.serials() == serials
    h.assert_a(nodd.query("test." + DNSBL, "A"), "test." + DNSBL, "127.0.0.2")
    h.assert_nxdomain(nodd.query("xq.se." + RPZ["5m"], "A"), "xq.se." + RPZ["5m"])


def test_start_on_a_port_taken_meanwhile_fails_clearly_and_the_harness_moves(nodd_factory):
    """A listen address taken by another program: nodd stops at start naming the address
    ("Address already in use"), exit 1, and the harness (whose kernel-picked ports another
    program can take before nodd binds them) starts it again on new ports."""
    import socket
    n = nodd_factory(start=False)
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", n.port))
    taken.listen(1)
    try:
        old = n.port
        n.start()
        assert n.port != old and n.alive()
        assert "listen 127.0.0.1@%d (tcp): Address already in use" % old in n.log_text()
        assert n.query(h.DNSBL, "SOA").answer
    finally:
        taken.close()
