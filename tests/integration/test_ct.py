"""CT source: nodd follows local CT logs (tests/ct/ctlog.py, RFC 6962 and static-ct-api
over one Merkle tree with certificates from a test CA) and turns the registrable domains
of verified entries into candidates, records and zone entries.

Each test starts its own log(s) and nodd; waits are bounded."""
import json
import os
import signal
import sys
import time

import pytest

import nodd_harness as h

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ct"))
import ctlog  # noqa: E402

NRD = "newly_registered_domain"
FQDN = "newly_registered_fqdn"
UA = "nodd-test (ops@nodd.test)"


@pytest.fixture
def logs(tmp_path):
    """Make logs: logs("a", cap=..., server=None); all stopped at teardown."""
    made = []

    def make(name="a", **kw):
        server = kw.pop("server", None)
        lg = ctlog.start(str(tmp_path / "ct"), name=name, server=server, **kw)
        made.append(lg)
        return lg
    yield make
    for lg in made:
        try:
            lg.stop()
        except Exception:
            pass


def ct_yaml(logs_, start="earliest", learning="0", list_="all", extra="", tiled=False,
            log_list=None):
    out = ["ct:", "  user-agent: \"%s\"" % UA, "  start: %s" % start,
           "  learning-period: %s" % learning, "  list: %s" % list_, "  poll-interval: 1",
           "  rate: 50", "  parallel: 2", "  partial-tile-wait: 1"]
    if log_list:
        out.append("  log-list: %s" % log_list)
    if logs_:
        out.append("  logs:")
    for lg in logs_:
        if tiled:
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
    recs = ws_records(n, NRD, 4)
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
    assert n.a_code("shop-one.se") is not None
    fq = {r["fqdn"] for r in ws_records(n, FQDN, 8)}
    assert fq == {"www.shop-one.se", "shop-one.se", "mail.shop-one.se", "a.b.two-shop.co.uk",
                  "xn--bcher-kva.ch", "three.example.com"}
    reqs = a.requests()
    assert reqs and all(r["user_agent"] == UA for r in reqs)
