"""CT source: nodd follows local CT logs (tests/ct/ctlog.py, RFC 6962 and static-ct-api
over one Merkle tree with certificates from a test CA) and turns the registrable domains
of verified entries into candidates, records and zone entries.

Each test starts its own log(s) and nodd; waits are bounded."""
import json
import os
import re
import signal
import sys
import time

import pytest

import nodd_harness as h
from conftest import need
from test_streams import KafkaMock, kcat_records

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ct"))
import ctlog  # noqa: E402

NRD = "newly_registered_domain"
FQDN = "newly_registered_fqdn"
UA = "nodd-test (ops@nodd.test)"


@pytest.fixture(scope="module")
def log_server(tmp_path_factory):
    """One HTTP server and test CA for the logs of every test of a module: each test's logs
    are its own (own keys, trees and faults) and leave the server at its end."""
    import cthttp
    import ctcerts
    srv = cthttp.Server(0, ctcerts.CA(str(tmp_path_factory.mktemp("ctca"))))
    yield srv
    srv.stop()


@pytest.fixture
def logs(tmp_path, log_server):
    """Make logs: logs("a", cap=...), on the module's server; removed at teardown."""
    made = []

    def make(name="a", **kw):
        kw.pop("server", None)
        assert name not in log_server.logs, name
        lg = ctlog.start(str(tmp_path / "ct"), name=name, server=log_server, **kw)
        made.append(lg)
        return lg
    yield make
    for lg in made:
        log_server.logs.pop(lg.name, None)
        if lg.fd is not None:
            os.close(lg.fd)
            lg.fd = None


def ct_yaml(logs_, start="earliest", learning="0", list_="all", extra="", tiled=False,
            log_list=None):
    """tiled: True (every log static-ct-api), or the names of the static logs."""
    out = ["ct:", "  user-agent: \"%s\"" % UA, "  start: %s" % start,
           "  learning-period: %s" % learning, "  list: %s" % list_, "  poll-interval: 1",
           "  rate: 50", "  parallel: 2", "  partial-tile-wait: 1"]
    if log_list:
        out.append("  log-list: %s" % log_list)
    if logs_:
        out.append("  logs:")
    for lg in logs_:
        if tiled is True or (tiled and lg.name in tiled):
            out += ["    - monitoring-url: %s" % lg.url, "      submission-url: %s" % lg.url]
        else:
            out.append("    - url: %s" % lg.url)
        out += ["      key: %s" % lg.key_b64, "      description: log-%s" % lg.name]
    return "\n".join(out) + "\n" + extra


def ct_status(n):
    st, body = n.api("GET", "/api/v1/status")
    assert st == 200, body
    return {x["log"]: x for x in body.get("ct", [])}


def wait_position(n, desc, pos, timeout=20):
    def ok():
        s = ct_status(n).get(desc)
        return s if s and s["position"] >= pos else None
    return h.wait_for(ok, timeout, what="%s read to %d (%s)" % (desc, pos, ct_status(n)))


def ws_records(n, topic, count, timeout=10):
    """The first `count` records of topic over /ws/<topic>?from=1."""
    import socket
    import base64
    s = socket.create_connection(("127.0.0.1", n.http_port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws/%s?from=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (topic, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    head, buf = buf.split(b"\r\n\r\n", 1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count and time.monotonic() < deadline:
        while len(buf) >= 2:
            ln = buf[1] & 0x7F
            off = 2
            if ln == 126:
                if len(buf) < 4:
                    break
                ln = int.from_bytes(buf[2:4], "big")
                off = 4
            elif ln == 127:
                if len(buf) < 10:
                    break
                ln = int.from_bytes(buf[2:10], "big")
                off = 10
            if len(buf) < off + ln:
                break
            if buf[0] & 0x0F == 1:
                out.append(json.loads(buf[off:off + ln]))
            buf = buf[off + ln:]
        if len(out) >= count:
            break
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        buf += data
    s.close()
    return out


def test_names_and_registrable_domains_from_rfc6962(logs, nodd_factory):
    a = logs("a")
    a.add(names=["www.Shop-One.se", "*.shop-one.se", "mail.shop-one.se"], cn="www.shop-one.se",
          ips=["192.0.2.1"])
    a.add(names=["a.b.two-shop.co.uk", "xn--bcher-kva.ch", "xn--bcher-kva-.ch"], kind="precert")
    a.add(names=["user.github.io"])
    a.add(names=["192.0.2.7", "three.example.com"])
    n = nodd_factory(extra=ct_yaml([a]))
    st = wait_position(n, "log-a", 4)
    assert st["state"] in ("caught-up", "polling") and st["tree_size"] == 4
    assert st["last_error"] is None
    recs = ws_records(n, NRD, 5, timeout=0.5)
    got = {r["domain"]: r for r in recs}
    assert set(got) == {"shop-one.se", "two-shop.co.uk", "xn--bcher-kva.ch", "example.com"}
    r = got["shop-one.se"]
    assert r["cert_index"] == 0 and r["ct_name"] == "log-a" and r["source"] == "ct log-a 0"
    assert set(r) == {"domain", "cert_index", "ct_name", "timestamp", "submission_timestamp",
                      "source", "seq"}
    assert got["two-shop.co.uk"]["cert_index"] == 1
    # github.io is a public suffix (private section): never a domain of its own
    assert n.lookup("github.io")[0] == 404
    # listed at once with list: all
    assert n.a_code("shop-one.se") == "127.0.0.2"
    fq = {r["fqdn"] for r in ws_records(n, FQDN, 7, timeout=0.5)}
    assert fq == {"www.shop-one.se", "shop-one.se", "mail.shop-one.se", "a.b.two-shop.co.uk",
                  "xn--bcher-kva.ch", "three.example.com"}
    reqs = a.requests()
    assert reqs and all(r["user_agent"] == UA for r in reqs)


def test_static_ct_api_log_full_and_partial_tiles(logs, nodd_factory):
    a = logs("s")
    want = set()
    for i in range(300):
        a.add(names=["host%d.tiled%d.se" % (i, i)])
        want.add("tiled%d.se" % i)
    n = nodd_factory(extra=ct_yaml([a], tiled=True))
    st = wait_position(n, "log-s", 300, timeout=40)
    assert st["protocol"] == "static-ct-api" and st["last_error"] is None
    got = {r["domain"] for r in ws_records(n, NRD, 300)}
    assert got == want
    paths = [r["path"] for r in a.requests()]
    assert "tile/data/000" in paths and "tile/data/001.p/44" in paths
    # the tail is checked against the checkpoint through the partial level-0 tile
    assert "tile/0/001.p/44" in paths
    assert not any("/ct/v1/" in p for p in paths)


def test_precert_and_final_cert_in_two_logs_count_once(logs, nodd_factory):
    a = logs("a")
    b = logs("b", server=a.server)
    a.add(names=["www.twice.se", "twice.se"], kind="both", final_log=b)
    a.add(names=["once.ch"])
    n = nodd_factory(extra=ct_yaml([a, b]))
    wait_position(n, "log-a", 2)
    wait_position(n, "log-b", 1)
    st = ct_status(n)
    assert st["log-a"]["duplicates"] + st["log-b"]["duplicates"] == 1
    nrd = ws_records(n, NRD, 3, timeout=0.5)
    assert sorted(r["domain"] for r in nrd) == ["once.ch", "twice.se"]
    fq = ws_records(n, FQDN, 4, timeout=0.5)
    assert sorted(r["fqdn"] for r in fq) == ["once.ch", "twice.se", "www.twice.se"]


def test_short_batches_are_read_to_the_end(logs, nodd_factory):
    a = logs("a", cap=3)
    for i in range(10):
        a.add(names=["short%d.se" % i])
    n = nodd_factory(extra=ct_yaml([a]))
    wait_position(n, "log-a", 10)
    assert {r["domain"] for r in ws_records(n, NRD, 10)} == {"short%d.se" % i for i in range(10)}
    gets = [r["path"] for r in a.requests() if "get-entries" in r["path"]]
    assert any("start=0&end=9" in p for p in gets), gets
    assert any("start=3&end=9" in p for p in gets), gets


def test_429_retry_after_is_honoured(logs, nodd_factory):
    """log-a answers 429 with Retry-After in seconds, log-b with an HTTP-date."""
    a = logs("a")
    b = logs("b", server=a.server)
    for lg, date in ((a, False), (b, True)):
        for i in range(3):
            lg.add(names=["wait%d.%s.se" % (i, lg.name)])
        lg.fault(status={"code": 429, "count": 1, "retry_after": 3, "date": date,
                         "match": "get-entries"})
    n = nodd_factory(extra=ct_yaml([a, b]))
    for lg, date in ((a, False), (b, True)):
        wait_position(n, "log-" + lg.name, 3)
        gets = [r for r in lg.requests() if "get-entries" in r["path"]]
        assert gets[0]["status"] == 429 and gets[1]["status"] == 200
        # an HTTP-date has whole seconds: 3 s ahead is at least 2 s after the answer
        assert gets[1]["time"] - gets[0]["time"] >= (1.9 if date else 2.9), (lg.name, gets)
        assert n.lookup("wait2.%s.se" % lg.name)[0] == 200


def failing(n, desc, timeout=15):
    """The status of desc once it is failing."""
    return h.wait_for(lambda: ct_status(n)[desc]["state"] == "failing" and ct_status(n)[desc],
                      timeout, what="%s failing" % desc)


def faulty_pair(logs, nodd_factory, prefix, **fault):
    """log-a (RFC 6962) and log-t (static-ct-api), one entry each (<prefix>-<name>.se),
    with the fault knobs given, read by a nodd started then: (a, t, nodd)."""
    a = logs("a")
    t = logs("t", server=a.server)
    for lg in (a, t):
        lg.add(names=["%s-%s.se" % (prefix, lg.name)])
        lg.fault(**fault)
    return a, t, nodd_factory(extra=ct_yaml([a, t], tiled={"t"}))


def test_bad_tree_head_signature_marks_the_log_failing(logs, nodd_factory):
    """log-a (RFC 6962) and log-t (static-ct-api) sign their heads wrongly."""
    a, t, n = faulty_pair(logs, nodd_factory, "unsigned", bad_signature=True)
    for lg in (a, t):
        desc = "log-" + lg.name
        st = failing(n, desc)
        assert "signature" in st["last_error"] and st["position"] == 0
        assert n.lookup("unsigned-%s.se" % lg.name)[0] == 404
        assert h.metric_sum(n.metrics(), "nodd_ct_failing", log=desc) == 1


def test_shrinking_tree_marks_the_log_failing(logs, nodd_factory):
    a = logs("a")
    for i in range(4):
        a.add(names=["before%d.se" % i])
    n = nodd_factory(extra=ct_yaml([a]))
    wait_position(n, "log-a", 4)
    a.fault(shrink_to=2)
    a.add(names=["after-shrink.se"])
    st = h.wait_for(lambda: ct_status(n)["log-a"]["state"] == "failing" and ct_status(n)["log-a"],
                    15, what="log failing")
    assert "shrank" in st["last_error"]
    a.fault(reset=True)
    time.sleep(1.5)
    assert ct_status(n)["log-a"]["state"] == "failing"
    assert n.lookup("after-shrink.se")[0] == 404
    r = n.noddctl("zone-status", timeout=30)
    assert r.returncode == 0, r.stderr
    row = [ln for ln in r.stdout.splitlines() if ln.startswith("log-a ")]
    assert len(row) == 1 and row[0].split()[1:4] == ["failing", "4", "4"], r.stdout
    assert row[0].endswith(" the tree shrank from 4 to 2 entries"), r.stdout
    # SIGHUP reads a failing log again from its last verified position
    n.send_signal(signal.SIGHUP)
    st = wait_position(n, "log-a", 5)
    assert st["state"] != "failing" and st["verified_tree_size"] == 5
    assert n.lookup("after-shrink.se")[0] == 200
    assert [r["domain"] for r in ws_records(n, NRD, 6, timeout=0.5)] == [
        "before0.se", "before1.se", "before2.se", "before3.se", "after-shrink.se"]


def test_tree_head_dated_back_in_time_marks_the_log_failing(logs, nodd_factory):
    """log-a (RFC 6962) and log-t (static-ct-api) date their next head an hour before the
    last one nodd verified."""
    a = logs("a")
    t = logs("t", server=a.server)
    for lg in (a, t):
        for i in range(3):
            lg.add(names=["past%d-%s.se" % (i, lg.name)])
    n = nodd_factory(extra=ct_yaml([a, t], tiled={"t"}))
    for lg in (a, t):
        wait_position(n, "log-" + lg.name, 3)
    for lg in (a, t):
        lg.fault(time_shift=-3600 * 1000)
        lg.add(names=["back-%s.se" % lg.name])
    for lg in (a, t):
        desc = "log-" + lg.name
        st = failing(n, desc)
        what = "checkpoint" if lg is t else "get-sth"
        assert st["last_error"].startswith(what + ": the tree head of size 4 dated "), st
        assert " goes back in time from the verified head of size 3 dated " in st["last_error"]
        assert st["position"] == 3 and st["verified_tree_size"] == 3, st
        assert n.lookup("back-%s.se" % lg.name)[0] == 404
        assert h.metric_sum(n.metrics(), "nodd_ct_failing", log=desc) == 1
    # a reload reads it again from its last verified head: still dated back, failing again
    before = {lg.name: len(lg.requests()) for lg in (a, t)}
    n.send_signal(signal.SIGHUP)
    for lg in (a, t):
        h.wait_for(lambda: len(lg.requests()) > before[lg.name], 10, what="head read again")
        st = failing(n, "log-" + lg.name)
        assert "goes back in time" in st["last_error"] and st["position"] == 3
    # the log dates its heads right again: the next reload reads the new entry
    for lg in (a, t):
        lg.fault(reset=True)
    n.send_signal(signal.SIGHUP)
    for lg in (a, t):
        st = wait_position(n, "log-" + lg.name, 4)
        assert st["state"] != "failing" and st["verified_tree_size"] == 4, st
        assert n.lookup("back-%s.se" % lg.name)[0] == 200


def test_tree_head_dated_ahead_of_the_clock_marks_the_log_failing(logs, nodd_factory):
    """log-a (RFC 6962) and log-t (static-ct-api) date their first head two hours ahead."""
    a, t, n = faulty_pair(logs, nodd_factory, "ahead", time_shift=2 * 3600 * 1000)
    for lg in (a, t):
        st = failing(n, "log-" + lg.name)
        # read some milliseconds after it was published: 7199 s ahead, or 7200
        assert re.fullmatch(r"%s: the tree head of size 1 is dated \S+Z, 7(199|200) s ahead of "
                            r"this host's clock \(at most 600 s allowed\)"
                            % ("checkpoint" if lg is t else "get-sth"), st["last_error"]), st
        assert st["position"] == 0
        assert n.lookup("ahead-%s.se" % lg.name)[0] == 404


def test_entries_not_matching_the_root_are_not_used(logs, nodd_factory):
    a = logs("a")
    for i in range(4):
        a.add(names=["root%d.se" % i])
    a.fault(alter={2: ["forged.se"]})
    n = nodd_factory(extra=ct_yaml([a]))
    st = h.wait_for(lambda: ct_status(n)["log-a"]["state"] == "failing" and ct_status(n)["log-a"],
                    15, what="log failing")
    assert "do not match the signed root" in st["last_error"] and st["position"] == 0
    for d in ["root0.se", "root1.se", "forged.se", "root3.se"]:
        assert n.lookup(d)[0] == 404, d


def test_logs_removed_from_and_added_to_ct_logs_by_a_reload(logs, nodd_factory):
    """ct.logs and ct.start change without a restart: noddctl reload stops log-a and starts
    log-b at its end; SIGHUP brings log-a back where it stopped."""
    a = logs("a")
    b = logs("b", server=a.server)
    a.add(names=["in-a.se"])
    for i in range(3):
        b.add(names=["old%d-b.se" % i])
    n = nodd_factory(extra=ct_yaml([a]))
    wait_position(n, "log-a", 1)
    assert "log-b" not in ct_status(n) and not b.requests()
    n.extra = ct_yaml([b], start="end")
    n.write_config()
    r = n.noddctl("reload")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("configuration reloaded\napplied:        ct.logs, ct.start\n"
                        "restart needed: -\n"), r.stdout
    h.wait_for(lambda: "log-a" not in ct_status(n), 10, what="log-a no longer followed")
    st = wait_position(n, "log-b", 3)
    assert st["last_error"] is None
    b.add(names=["new-b.se"])
    wait_position(n, "log-b", 4)
    assert [r["domain"] for r in ws_records(n, NRD, 3, timeout=0.5)] == ["in-a.se", "new-b.se"]
    # no request reaches the log that left ct.logs
    before = len(a.requests())
    a.add(names=["late-a.se"])
    time.sleep(1.5)
    assert len(a.requests()) == before and n.lookup("late-a.se")[0] == 404
    # back in ct.logs: read again from its saved position, not from ct.start (its end)
    n.extra = ct_yaml([b, a], start="end")
    n.write_config()
    n.send_signal(signal.SIGHUP)
    st = wait_position(n, "log-a", 2)
    assert st["last_error"] is None and n.lookup("late-a.se")[0] == 200
    assert ct_status(n)["log-b"]["position"] == 4
    assert "reload: configuration re-read; applied: ct.logs" in n.log_text()


def test_ct_turned_on_by_a_reload_waits_for_a_restart(logs, nodd_factory):
    a = logs("a")
    a.add(names=["later.se"])
    n = nodd_factory()
    n.extra = ct_yaml([a])
    n.write_config()
    r = n.noddctl("reload")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("configuration reloaded\napplied:        -\n"
                        "restart needed: ct, ct.logs, ct.start\n"), r.stdout
    assert ct_status(n) == {} and not a.requests()
    n.restart()
    wait_position(n, "log-a", 1)


def test_ct_logs_with_a_bad_key_are_refused_by_a_reload(logs, nodd_factory):
    a = logs("a")
    a.add(names=["kept.se"])
    n = nodd_factory(extra=ct_yaml([a]))
    wait_position(n, "log-a", 1)
    n.extra = ct_yaml([a]).replace(a.key_b64, "bm90IGEga2V5")
    n.write_config()
    r = n.noddctl("reload")
    assert r.returncode == 1, r.stdout
    assert "ct.logs: log key: not a DER SubjectPublicKeyInfo" in r.stderr, r.stderr
    a.add(names=["still-read.se"])
    st = wait_position(n, "log-a", 2)
    assert st["last_error"] is None


def test_learning_period_names_are_baseline(logs, nodd_factory):
    a = logs("a")
    a.add(names=["early.se", "www.early.se"])
    t0 = time.monotonic()
    n = nodd_factory(extra=ct_yaml([a], learning="3s"))
    wait_position(n, "log-a", 1)
    st, body = n.lookup("early.se")
    assert st == 200 and n.a_code("early.se") == "NXDOMAIN"
    time.sleep(max(0.0, t0 + 3.2 - time.monotonic()))  # the learning period is over
    a.add(names=["late.se", "early.se"])
    wait_position(n, "log-a", 2)
    recs = ws_records(n, NRD, 2, timeout=0.5)
    assert [r["domain"] for r in recs] == ["late.se"]
    assert ct_status(n)["log-a"]["candidates"] == 1


def test_confirmed_mode_records_but_does_not_list(logs, nodd_factory):
    a = logs("a")
    a.add(names=["unconfirmed.se"])
    n = nodd_factory(extra=ct_yaml([a], list_="confirmed"))
    wait_position(n, "log-a", 1)
    assert [r["domain"] for r in ws_records(n, NRD, 2, timeout=0.5)] == ["unconfirmed.se"]
    assert n.a_code("unconfirmed.se") == "NXDOMAIN"
    assert n.lookup("unconfirmed.se")[0] == 200


def test_start_at_end_reads_only_new_entries(logs, nodd_factory):
    """log-a (RFC 6962, 5 entries) and log-t (static-ct-api, 600) are read from their end."""
    a = logs("a")
    t = logs("t")
    old = {"a": 5, "t": 600}
    for lg in (a, t):
        for i in range(old[lg.name]):
            lg.add(names=["old%d-%s.se" % (i, lg.name)])
    n = nodd_factory(extra=ct_yaml([a, t], start="end", tiled={"t"}))
    for lg in (a, t):
        wait_position(n, "log-" + lg.name, old[lg.name], timeout=30)
        lg.add(names=["fresh-%s.se" % lg.name])
    for lg in (a, t):
        wait_position(n, "log-" + lg.name, old[lg.name] + 1, timeout=30)
        assert ct_status(n)["log-" + lg.name]["last_error"] is None
    assert sorted(r["domain"] for r in ws_records(n, NRD, 3, timeout=0.5)) == [
        "fresh-a.se", "fresh-t.se"]
    assert any("get-entry-and-proof" in r["path"] for r in a.requests())
    paths = [r["path"] for r in t.requests()]
    # the frontier at 600 = 512 + 64 + 16 + 8: from the level-1 tile and level-0 tile 2
    assert "tile/1/000.p/2" in paths and "tile/0/002.p/88" in paths, paths
    assert "tile/data/000" not in paths and "tile/data/001" not in paths


@pytest.mark.parametrize("start", ["end", "earliest"])
def test_log_empty_at_first_contact_reads_later_entries(logs, nodd_factory, start):
    """log-a (RFC 6962) and log-t (static-ct-api) are empty when nodd first reads them."""
    a = logs("a")
    t = logs("t", server=a.server)
    n = nodd_factory(extra=ct_yaml([a, t], start=start, tiled={"t"}))
    for d in ("log-a", "log-t"):
        h.wait_for(lambda: ct_status(n).get(d, {}).get("state") == "caught-up", 20,
                   what="empty %s caught up (%s)" % (d, ct_status(n)))
    for lg in (a, t):
        lg.add(names=["late-one-%s.se" % lg.name])
        lg.add(names=["late-two-%s.se" % lg.name])
    for d in ("log-a", "log-t"):
        st = wait_position(n, d, 2, timeout=20)
        assert st["tree_size"] == 2 and st["last_error"] is None, st
    assert sorted(r["domain"] for r in ws_records(n, NRD, 5, timeout=0.5)) == [
        "late-one-a.se", "late-one-t.se", "late-two-a.se", "late-two-t.se"]


def stored_position(n):
    """The position committed in nodd's store (nodd stopped): ct_log.next of its one log."""
    import sqlite3
    db = sqlite3.connect(n.db)
    try:
        return db.execute("SELECT next FROM ct_log").fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("protocol", ["rfc6962", "static"])
def test_kill9_during_a_sliced_commit_loses_nothing_and_repeats_nothing(logs, nodd_factory,
                                                                      protocol):
    """Entries verified in reads of `ahead` are committed 2 at a time; nodd is killed while
    a read's slices are being committed (the position stored is a slice end short of the
    read's end), restarted from there, and streams every record once."""
    tiled = protocol == "static"
    a = logs("a", cap=50)
    # reads end at multiples of `ahead` (static: full tiles), then at the tree size
    total, ahead, slice_ = (2061, 1024, 2) if tiled else (2001, 1000, 2)
    for i in range(total):
        a.add(names=["k%d.crash%d.se" % (i, i)])
    # a read of `ahead` entries takes about a second (static: 4 data tiles at 4 requests a
    # second; RFC 6962: 20 requests of 50 entries at 20 a second), so a range is still
    # being read, and one committed, after nodd is up
    extra = ct_yaml([a], tiled=tiled).replace(
        "  rate: 50", "  rate: %d\n  batch-size: 100\n  max-unverified: %d\n"
        "  commit-entries: %d" % (4 if tiled else 20, ahead, slice_))
    n = nodd_factory(extra=extra)
    seen, mid = set(), None
    # until a kill lands inside a read's commit (positions before it are read ends),
    # at most once per read
    for _ in range(total // ahead):
        def sliced():
            p = ct_status(n)["log-a"]["position"]
            seen.add(p)
            return p if 0 < p < total and p % ahead else None
        h.wait_for(sliced, 30, interval=0.001, what="a read's slices being committed")
        n.stop(signal.SIGKILL)
        q = stored_position(n)
        if q % ahead and q < total:
            mid = q
        assert q < total, "the whole log was committed before a kill landed: %s" % sorted(seen)
        a.requests(clear=True)
        n.start()
        if mid is not None:
            break
    assert mid is not None, "no kill landed inside a read's commit: %s" % sorted(seen)
    # the position advanced slice by slice: slice ends are multiples of commit-entries
    assert all(p % slice_ == 0 for p in seen), sorted(seen)
    st = wait_position(n, "log-a", total, timeout=60)
    assert st["last_error"] is None, st
    recs = ws_records(n, NRD, total + 1, timeout=2)
    assert [r["seq"] for r in recs] == list(range(1, total + 1))
    assert sorted(r["domain"] for r in recs) == sorted("crash%d.se" % i for i in range(total))
    fq = ws_records(n, FQDN, total + 1, timeout=2)
    assert [r["seq"] for r in fq] == list(range(1, total + 1))
    assert len({r["fqdn"] for r in fq}) == total
    paths = [r["path"] for r in a.requests()]
    if tiled:
        # read on from the slice end (inside a data tile unless it ends one; the last
        # tile of the log is partial: tile/data/008.p/13)
        tile = "tile/data/%03d" % (mid // 256)
        assert any(p == tile or p.startswith(tile + ".p/") for p in paths), (mid, paths)
    else:
        assert any("get-entries?start=%d&" % mid in p for p in paths), (mid, paths)
        # positions short of the tree head were proved consistent with it
        assert any("get-sth-consistency" in p for p in paths), paths


def test_next_range_is_read_while_the_verified_one_commits(logs, nodd_factory):
    """Reads stop every `ahead` entries to verify; a verified range is committed 2 entries
    a slice, and the read of the next range starts as its commit starts: every range but
    the first is read while the one before it commits. Nothing is lost or doubled."""
    a = logs("a", cap=50)
    total, ahead = 1001, 200
    for i in range(total):
        a.add(names=["r%d.ahead%d.se" % (i, i)])
    extra = ct_yaml([a]).replace(
        "  rate: 50", "  rate: 200\n  batch-size: 100\n  max-unverified: %d\n"
        "  commit-entries: 2" % ahead)
    n = nodd_factory(extra=extra)

    def committing():
        s = ct_status(n)["log-a"]
        return s if s["committing_to"] is not None else None
    st = h.wait_for(committing, 30, interval=0.001, what="a range being committed")
    assert st["committing_to"] % ahead == 0 and st["position"] < st["committing_to"], st
    st = wait_position(n, "log-a", total, timeout=60)
    assert st["last_error"] is None and st["committing_to"] is None, st
    # ranges end at 200, 400, ..., 1000 and 1001: the five after the first were read
    # while the one before them committed
    assert st["reads_while_committing"] == total // ahead, st
    _, metrics = n.api("GET", "/metrics")
    assert 'nodd_ct_reads_while_committing_total{log="log-a"} %d' % (total // ahead) \
        in metrics, metrics
    recs = ws_records(n, NRD, total + 1, timeout=5)
    assert [r["seq"] for r in recs] == list(range(1, total + 1))
    assert sorted(r["domain"] for r in recs) == sorted("ahead%d.se" % i for i in range(total))


def test_three_topics_through_kafka(logs, nodd_factory):
    need("kcat")
    k = KafkaMock(topics=("zone_diff", NRD, FQDN, "confirmed_newly_registered_domain"))
    try:
        a = logs("a")
        a.add(names=["www.kafka-ct.se", "api.kafka-ct.se"])
        n = nodd_factory(extra=ct_yaml([a]) + "kafka:\n  brokers: %s\n" % k.bootstrap)
        wait_position(n, "log-a", 1)

        def have():
            nrd = kcat_records(k.bootstrap, NRD)
            fq = kcat_records(k.bootstrap, FQDN)
            return (nrd, fq) if len(nrd) >= 1 and len(fq) >= 2 else None
        nrd, fq = h.wait_for(have, 30, interval=0.5, what="records in Kafka")
        assert [(key, r["domain"], r["seq"]) for key, _, r in nrd] == [("kafka-ct.se", "kafka-ct.se", 1)]
        assert "seq=1" in nrd[0][1]
        assert sorted(r["fqdn"] for _, _, r in fq) == ["api.kafka-ct.se", "www.kafka-ct.se"]
        assert kcat_records(k.bootstrap, "confirmed_newly_registered_domain") == []
    finally:
        k.stop()


def test_candidate_confirmed_by_the_next_transfer_of_its_zone(logs, nodd_factory, tmp_path):
    need("named")
    need("nsupdate")
    from bind_util import Named, upstream_yaml
    a = logs("a")
    a.add(names=["www.cand.nodtest", "cand.nodtest"])
    a.add(names=["never.nodtest"])
    n = nodd_factory(start=False, extra=ct_yaml([a], list_="confirmed"))
    named = Named(tmp_path / "named", n.port, names=["old"])
    try:
        n.extra += upstream_yaml(named)
        n.write_config()
        n.start()
        wait_position(n, "log-a", 2)
        assert {r["domain"] for r in ws_records(n, NRD, 3, timeout=0.5)} == {"cand.nodtest", "never.nodtest"}
        assert n.a_code("cand.nodtest") == "NXDOMAIN"
        named.update("add cand.nodtest. 300 NS ns1.nodtest.")
        h.wait_for(lambda: n.a_code("cand.nodtest") == "127.0.0.2", 20,
                   what="cand.nodtest listed once its zone shows it")
        conf = ws_records(n, "confirmed_newly_registered_domain", 2, timeout=0.5)
        assert len(conf) == 1
        c = conf[0]
        assert c["domain"] == "cand.nodtest" and c["confidence"] == "confirmed"
        assert c["confirmed_by"].startswith("zone nodtest serial ")
        assert c["source"] == "ct log-a 0" and c["ct_lead_seconds"] >= 0
        st, body = n.lookup("cand.nodtest")
        assert st == 200 and body["first_seen"] == c["timestamp"]
        assert n.a_code("never.nodtest") == "NXDOMAIN"
    finally:
        named.stop()


def test_rdap_confirms_recent_registrations_only(logs, nodd_factory, tmp_path):
    import rdap
    srv = rdap.start()
    try:
        srv.set("recent.rdaptest", rdap.registered(3600))
        srv.set("ancient.rdaptest", rdap.registered(400 * 86400))
        srv.set("nodate.rdaptest", rdap.no_events())
        srv.set("slow.rdaptest", rdap.throttled(2), rdap.registered(600))
        boot = str(tmp_path / "dns.json")
        rdap.write_bootstrap(boot, {"rdaptest": srv.url})
        a = logs("a")
        for d in ["recent", "ancient", "nodate", "missing", "slow"]:
            a.add(names=["www.%s.rdaptest" % d])
        extra = ct_yaml([a], list_="confirmed") + ("rdap:\n  enabled: yes\n  bootstrap: %s\n"
                                                   "  rate: 20/s\n  retry: 1s\n"
                                                   "  max-tries: 2\n" % boot)
        n = nodd_factory(extra=extra)
        wait_position(n, "log-a", 5)

        def answered():
            st, body = n.api("GET", "/api/v1/status")
            r = body["rdap"]
            return r if r["queue"] == 0 else None
        r = h.wait_for(answered, 20, what="RDAP queue drained")
        assert r["confirmed"]["rdap"] == 2 and r["known"]["rdap"] == 1
        assert r["answers"]["registration_recent"] == 2
        assert r["answers"]["registration_old"] == 1
        # no date and 404: asked max-tries times, then left unconfirmed
        assert r["answers"]["no_event"] == 2 and r["answers"]["not_found"] == 2
        assert r["answers"]["throttled"] == 1 and r["gave_up"] == 2
        conf = ws_records(n, "confirmed_newly_registered_domain", 3, timeout=0.5)
        assert sorted(c["domain"] for c in conf) == ["recent.rdaptest", "slow.rdaptest"]
        assert all(c["confirmed_by"].startswith("rdap 20") for c in conf)
        reqs = [q for q in srv.requests() if q["domain"] == "slow.rdaptest"]
        assert [q["status"] for q in reqs] == [429, 200]
        assert reqs[1]["time"] - reqs[0]["time"] >= 1.9
        assert all(q["user_agent"] == UA for q in srv.requests())
        # list: confirmed lists what RDAP confirmed, with the first_seen CT gave it
        assert n.a_code("recent.rdaptest") == "127.0.0.2"
        assert n.a_code("slow.rdaptest") == "127.0.0.2"
        for d in ["ancient", "nodate", "missing"]:
            assert n.a_code("%s.rdaptest" % d) == "NXDOMAIN", d
        # asked once each: an answer is kept
        assert len([q for q in srv.requests() if q["domain"] == "ancient.rdaptest"]) == 1
    finally:
        srv.stop()


def test_static_log_read_in_verified_chunks(logs, nodd_factory):
    a = logs("s")
    total = 1100
    for i in range(total):
        a.add(names=["c%d.chunk%d.se" % (i, i)])
    extra = ct_yaml([a], tiled=True).replace("  rate: 50", "  rate: 50\n  max-unverified: 300")
    n = nodd_factory(extra=extra)
    wait_position(n, "log-s", total, timeout=60)
    assert ct_status(n)["log-s"]["last_error"] is None
    assert len(ws_records(n, NRD, total, timeout=10)) == total
    paths = [r["path"] for r in a.requests()]
    # positions 256, 512, 768, 1024 proved from the hash tiles to the checkpoint of 1100
    assert "tile/1/000.p/4" in paths and "tile/0/004.p/76" in paths, paths

