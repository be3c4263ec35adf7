"""Confirmation of CT candidates: by their registry's RDAP creation date (a local RDAP
server, tests/ct/rdap.py, named by a dns.json bootstrap file) and by a transfer of their
zone from a real BIND primary. With ct.list: confirmed only confirmed candidates are listed,
with the time nodd first read them.

Each test starts its own log, RDAP server and nodd; waits are bounded."""
import json
import os
import sys

import pytest

import nodd_harness as h
from bind_util import Named, ZONE, upstream_yaml
from test_ct import NRD, UA, ct_yaml, logs, wait_position, ws_records  # noqa: F401
from test_secondary import need_named  # noqa: F401

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ct"))
import rdap  # noqa: E402

CONFIRMED = "confirmed_newly_registered_domain"
DAY = 86400


@pytest.fixture
def rdap_server(tmp_path):
    srv = rdap.start()
    rdap.write_bootstrap(str(tmp_path / "dns.json"), {"se": srv.url, ZONE: srv.url})
    yield srv
    srv.stop()


def rdap_yaml(tmp_path, retry="1s", tries=3, rate="20/s"):
    return ("rdap:\n  enabled: true\n  bootstrap: %s\n  rate: %s\n  retry: %s\n"
            "  max-tries: %d\n  timeout: 5s\n" % (tmp_path / "dns.json", rate, retry, tries))


def rdap_status(n):
    st, body = n.api("GET", "/api/v1/status")
    assert st == 200, body
    return body["rdap"]


def check_schema(rec):
    """The record has every required field of docs/schemas and no field it does not name."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                        "schemas", CONFIRMED + ".schema.json")
    with open(path) as f:
        schema = json.load(f)
    assert set(schema["required"]) <= set(rec), rec
    assert set(rec) <= set(schema["properties"]), rec


def asked(srv, domain):
    return [r for r in srv.requests() if r["domain"] == domain]


def test_rdap_registration_dates_decide_the_confidence(logs, nodd_factory, rdap_server,
                                                       tmp_path):
    """A registration within 24 h before first_seen: confirmed, listed with its first_seen,
    one confirmed record. Registered long ago: known, never listed, never asked again.
    404 and an answer without a registration event: unconfirmed, asked max-tries times,
    never listed."""
    srv = rdap_server
    srv.set("fresh-reg.se", rdap.registered(3600))
    srv.set("old-reg.se", rdap.registered(400 * DAY))
    srv.set("no-event.se", rdap.no_events())
    a = logs("a")
    for d in ("fresh-reg.se", "old-reg.se", "missing.se", "no-event.se"):
        a.add(names=["www." + d])
    n = nodd_factory(extra=ct_yaml([a], list_="confirmed") + rdap_yaml(tmp_path))
    wait_position(n, "log-a", 4)
    nrd = {r["domain"]: r for r in ws_records(n, NRD, 4)}
    assert set(nrd) == {"fresh-reg.se", "old-reg.se", "missing.se", "no-event.se"}

    h.wait_for(lambda: rdap_status(n)["gave_up"] == 2 and rdap_status(n)["queue"] == 0, 20,
               what="every candidate answered (%r)" % rdap_status(n))
    st = rdap_status(n)
    assert st["answers"] == {"registration_recent": 1, "registration_old": 1, "no_event": 3,
                             "not_found": 3, "throttled": 0, "error": 0}, st
    assert st["confirmed"] == {"zone": 0, "rdap": 1} and st["known"] == {"zone": 0, "rdap": 1}
    assert st["enabled"] is True and st["in_flight"] == 0

    recs = ws_records(n, CONFIRMED, 2, timeout=2)
    assert [r["domain"] for r in recs] == ["fresh-reg.se"]
    c = recs[0]
    check_schema(c)
    assert c["confidence"] == "confirmed"
    assert c["timestamp"] == nrd["fresh-reg.se"]["timestamp"]
    assert c["confirmed_by"].startswith("rdap ") and c["rdap_server"] == srv.url
    assert nrd["fresh-reg.se"]["timestamp"] - DAY <= c["registration"] <= c["timestamp"]
    assert c["source"] == "ct log-a 0" and c["cert_index"] == 0 and c["ct_name"] == "log-a"

    # listed with the first_seen nodd read it at; the others are not listed
    assert n.a_code("fresh-reg.se") != "NXDOMAIN"
    code, body = n.lookup("fresh-reg.se")
    assert code == 200 and body["first_seen"] == c["timestamp"], body
    for d in ("old-reg.se", "missing.se", "no-event.se"):
        assert n.a_code(d) == "NXDOMAIN", d
    # the known name was asked once; the unanswered ones max-tries times, then no more
    assert len(asked(srv, "fresh-reg.se")) == 1 and len(asked(srv, "old-reg.se")) == 1
    assert len(asked(srv, "missing.se")) == 3 and len(asked(srv, "no-event.se")) == 3
    for r in srv.requests():
        assert r["path"] == "/domain/" + r["domain"]
        assert r["user_agent"] == UA and r["accept"] == "application/rdap+json"
    m = n.metrics_text()
    assert 'nodd_rdap_answers_total{outcome="registration_recent"} 1' in m
    assert 'nodd_ct_confirmations_total{by="rdap"} 1' in m
    assert "nodd_rdap_queue_length 0" in m


@pytest.mark.parametrize("date", [False, True], ids=["seconds", "http-date"])
def test_rdap_429_retry_after_is_honoured(logs, nodd_factory, rdap_server, tmp_path, date):
    """A 429's Retry-After (seconds or an HTTP-date) holds every request to that server
    until it has passed; then the candidate is asked again and confirmed."""
    srv = rdap_server
    srv.set("slow.se", rdap.throttled(2, date=date), rdap.registered(60))
    a = logs("a")
    a.add(names=["slow.se"])
    n = nodd_factory(extra=ct_yaml([a], list_="confirmed") + rdap_yaml(tmp_path))
    h.wait_for(lambda: rdap_status(n)["confirmed"]["rdap"] == 1, 20,
               what="slow.se confirmed (%r)" % rdap_status(n))
    reqs = asked(srv, "slow.se")
    assert [r["status"] for r in reqs] == [429, 200]
    # the wait: 2 s, or up to the date (whole seconds) that is 2 s ahead
    if date:
        assert reqs[1]["time"] >= int(reqs[0]["time"] + 2), reqs
    else:
        assert reqs[1]["time"] - reqs[0]["time"] >= 2.0, reqs
    assert rdap_status(n)["answers"]["throttled"] == 1
    assert n.a_code("slow.se") != "NXDOMAIN"


def test_a_throttled_server_does_not_hold_back_another(logs, nodd_factory, rdap_server,
                                                       tmp_path):
    """Backoff is per server: while one rests for its Retry-After, candidates of a TLD
    another server answers for are asked and confirmed."""
    slow = rdap_server
    fast = rdap.start()
    try:
        rdap.write_bootstrap(str(tmp_path / "dns.json"), {"se": slow.url, "nu": fast.url})
        slow.set("blocked.se", rdap.throttled(60))
        slow.set("blocked2.se", rdap.registered(60))
        for d in ("free.nu", "free2.nu"):
            fast.set(d, rdap.registered(60))
        a = logs("a")
        for d in ("blocked.se", "blocked2.se", "free.nu", "free2.nu"):
            a.add(names=[d])
        n = nodd_factory(extra=ct_yaml([a], list_="confirmed") + rdap_yaml(tmp_path))
        h.wait_for(lambda: rdap_status(n)["confirmed"]["rdap"] == 2, 15,
                   what="the .nu candidates confirmed (%r)" % rdap_status(n))
        st = rdap_status(n)
        assert st["answers"]["throttled"] == 1 and st["queue"] == 2, st
        assert sorted(r["domain"] for r in fast.requests()) == ["free.nu", "free2.nu"]
        # the throttled server was asked once: its other candidate waits too
        assert len(slow.requests()) == 1
        assert n.a_code("free.nu") != "NXDOMAIN" and n.a_code("blocked2.se") == "NXDOMAIN"
    finally:
        fast.stop()


def test_a_full_queue_drops_new_candidates(logs, nodd_factory, rdap_server, tmp_path):
    """rdap.max-queue bounds the queue: candidates beyond it are not queued (they stay
    unconfirmed) and are counted."""
    srv = rdap_server
    a = logs("a")
    for i in range(3):
        a.add(names=["q%d.se" % i])
    extra = rdap_yaml(tmp_path, retry="1h", tries=1, rate="1/h") + "  max-queue: 2\n"
    n = nodd_factory(extra=ct_yaml([a], list_="confirmed") + extra)
    wait_position(n, "log-a", 3)
    st = rdap_status(n)
    assert st["queue"] + st["answers"]["not_found"] == 2 and st["dropped"] == 1, st
    assert len(srv.requests()) <= 1


def test_the_queue_survives_a_restart_and_a_bootstrap_url_is_fetched(
        logs, nodd_factory, rdap_server, tmp_path):
    """Candidates queued while no bootstrap could be had wait in the store; after a
    restart whose bootstrap URL answers, they are asked and confirmed."""
    import functools
    import http.server
    import threading
    srv = rdap_server
    srv.set("later.se", rdap.registered(600))
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=web.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d/" % web.server_address[1]
    try:
        a = logs("a")
        a.add(names=["later.se"])
        conf = rdap_yaml(tmp_path).replace(str(tmp_path / "dns.json"), base + "absent.json")
        n = nodd_factory(extra=ct_yaml([a], list_="confirmed") + conf)
        wait_position(n, "log-a", 1)
        h.wait_for(lambda: rdap_status(n)["queue"] == 1, 10, what="later.se queued")
        assert srv.requests() == [] and n.a_code("later.se") == "NXDOMAIN"
        n.stop()
        n.extra = ct_yaml([a], list_="confirmed") + conf.replace("absent.json", "dns.json")
        n.write_config()
        n.start()
        h.wait_for(lambda: rdap_status(n)["confirmed"]["rdap"] == 1, 15,
                   what="later.se confirmed after the restart (%r)" % rdap_status(n))
        assert [r["domain"] for r in srv.requests()] == ["later.se"]
        assert rdap_status(n)["queue"] == 0 and n.a_code("later.se") != "NXDOMAIN"
        assert [r["domain"] for r in ws_records(n, CONFIRMED, 1)] == ["later.se"]
    finally:
        web.shutdown()
        web.server_close()


def test_a_request_lost_to_kill9_is_asked_again_after_a_restart(logs, nodd_factory,
                                                                 rdap_server, tmp_path):
    """A candidate whose request was in flight when nodd was killed stays queued (its row
    only leased for rdap.timeout) and is asked again after a restart."""
    import signal
    import socket
    srv = rdap_server
    srv.set("lost.se", rdap.registered(60))
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(8)  # accepts connections, never answers
    try:
        rdap.write_bootstrap(str(tmp_path / "dns.json"),
                             {"se": "http://127.0.0.1:%d/" % mute.getsockname()[1]})
        a = logs("a")
        a.add(names=["lost.se"])
        extra = ct_yaml([a], list_="confirmed") + rdap_yaml(tmp_path).replace(
            "timeout: 5s", "timeout: 2s")
        n = nodd_factory(extra=extra)
        h.wait_for(lambda: rdap_status(n)["in_flight"] == 1, 10, what="a request in flight")
        assert n.stop(sig=signal.SIGKILL) == -signal.SIGKILL
        rdap.write_bootstrap(str(tmp_path / "dns.json"), {"se": srv.url})
        n.start()
        h.wait_for(lambda: rdap_status(n)["confirmed"]["rdap"] == 1, 15,
                   what="lost.se confirmed after the restart (%r)" % rdap_status(n))
        assert [r["domain"] for r in srv.requests()] == ["lost.se"]
        assert [r["domain"] for r in ws_records(n, CONFIRMED, 1)] == ["lost.se"]
    finally:
        mute.close()


def test_followed_zone_confirms_by_ixfr_and_knows_its_baseline(logs, nodd_factory,
                                                                 rdap_server, tmp_path,
                                                                 need_named):
    """Under a TLD followed by transfer the zone decides: a name in the zone's baseline is
    known (no candidate, no record); a candidate delegated by the next IXFR is confirmed
    with the zone and serial and listed with the time CT showed it. RDAP is not asked."""
    srv = rdap_server
    a = logs("a")
    a.add(names=["seed.ch"])  # a TLD neither followed nor in the bootstrap file
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=["old1"])
    try:
        n.extra = (upstream_yaml(named) + ct_yaml([a], list_="confirmed")
                   + rdap_yaml(tmp_path))
        n.write_config()
        n.start()
        h.wait_for(lambda: n.api("GET", "/api/v1/status")[1]["upstreams"][0]["serial"]
                   == named.serial(), 15, what="the baseline transfer")
        a.add(names=["www.old1.%s" % ZONE])
        a.add(names=["www.shop.%s" % ZONE, "shop.%s" % ZONE])
        wait_position(n, "log-a", 3)
        nrd = ws_records(n, NRD, 3, timeout=3)
        assert [r["domain"] for r in nrd] == ["seed.ch", "shop.%s" % ZONE]
        nrd = nrd[1:]
        assert n.a_code("shop.%s" % ZONE) == "NXDOMAIN"
        assert n.a_code("old1.%s" % ZONE) == "NXDOMAIN"

        named.update("add shop.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        serial = named.serial()
        recs = h.wait_for(lambda: ws_records(n, CONFIRMED, 1, timeout=1), 15,
                          what="the confirmed record")
        c = recs[0]
        check_schema(c)
        assert c["domain"] == "shop.%s" % ZONE and c["confidence"] == "confirmed"
        assert c["zone"] == ZONE and c["serial"] == serial
        assert c["confirmed_by"] == "zone %s serial %d" % (ZONE, serial)
        assert c["timestamp"] == nrd[0]["timestamp"] and c["ct_lead_seconds"] >= 0
        assert c["source"] == "ct log-a 2"
        h.wait_for(lambda: n.a_code("shop.%s" % ZONE) != "NXDOMAIN", 5,
                   what="shop listed")
        code, body = n.lookup("shop.%s" % ZONE)
        assert code == 200 and body["first_seen"] == c["timestamp"], body
        st = rdap_status(n)
        assert st["confirmed"]["zone"] == 1 and st["queued"] == 1, st
        assert st["no_server"] == 1, st  # seed.ch: no RDAP server known
        assert n.a_code("old1.%s" % ZONE) == "NXDOMAIN"
        assert len(ws_records(n, CONFIRMED, 2, timeout=1)) == 1

        # the zone first, then a certificate: confirmed at once, the zone ahead
        named.update("add early.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        early_serial = named.serial()
        h.wait_for(lambda: n.a_code("early.%s" % ZONE) != "NXDOMAIN", 15,
                   what="early listed by its transfer")
        zone_fs = n.lookup("early.%s" % ZONE)[1]["first_seen"]
        a.add(names=["www.early.%s" % ZONE])
        recs = h.wait_for(lambda: ws_records(n, CONFIRMED, 2, timeout=1)[1:], 15,
                          what="the second confirmed record")
        e = recs[0]
        check_schema(e)
        assert e["domain"] == "early.%s" % ZONE and e["timestamp"] == zone_fs
        assert e["confirmed_by"] == "zone %s serial %d" % (ZONE, early_serial)
        assert e["ct_lead_seconds"] <= 0 and e["source"] == "ct log-a 3"
        assert rdap_status(n)["confirmed"]["zone"] == 2
        assert [r["domain"] for r in ws_records(n, NRD, 4, timeout=1)] == [
            "seed.ch", "shop.%s" % ZONE, "early.%s" % ZONE]
        assert srv.requests() == []
    finally:
        named.stop()
