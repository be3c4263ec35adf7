"""Streams: newly_registered_domain and zone_diff records through the durable
outbox to Kafka (librdkafka's mock cluster, read with kcat) and to WebSocket clients.

Observations come through the HTTP API, and from a real BIND upstream (the last two
tests: an nsupdate on the primary reaches Kafka and WebSocket, also through a broker
outage and a kill -9)."""
import base64
import json
import os
import select
import signal
import socket
import subprocess
import time

import pytest

import nodd_harness as h
from conftest import need

NRD = "newly_registered_domain"


class KafkaMock:
    """tests/tools/kafka_mock: a librdkafka mock cluster on loopback."""

    def __init__(self, topics=("zone_diff", NRD)):
        exe = h.find_binary("kafka_mock") or os.path.join(h.BUILD, "tests", "tools", "kafka_mock")
        if not os.path.exists(exe):
            pytest.fail("kafka_mock is not built (%s)" % exe, pytrace=False)
        self.p = subprocess.Popen([exe, "-t", ",".join(topics)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self._readline(10)
        assert line.startswith("bootstrap="), "kafka_mock said %r" % line
        self.bootstrap = line.split("=", 1)[1].strip()

    def _readline(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        assert r, "kafka_mock did not answer within %d s" % timeout
        return self.p.stdout.readline()

    def cmd(self, c):
        self.p.stdin.write(c + "\n")
        self.p.stdin.flush()
        assert self._readline(5).strip() == "ok"

    def stop(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.close()
            self.p.wait(5)
        except Exception:
            self.p.kill()
            self.p.wait(5)


@pytest.fixture
def kafka():
    need("kcat")
    k = KafkaMock()
    yield k
    k.stop()


def kcat_records(bootstrap, topic):
    """Every record of topic from the beginning: [(key, headers, json)]."""
    r = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e",
                        "-q", "-f", "%k\t%h\t%s\n"], capture_output=True, text=True, timeout=30)
    out = []
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        k, hdr, payload = line.split("\t", 2)
        out.append((k, hdr, json.loads(payload)))
    return out


def wait_records(bootstrap, topic, want_seqs, timeout=30):
    def got():
        recs = kcat_records(bootstrap, topic)
        return recs if want_seqs <= {r[2]["seq"] for r in recs} else None
    return h.wait_for(got, timeout, interval=0.5, what="Kafka records %s" % sorted(want_seqs))


def kafka_nodd(factory, bootstrap, extra=""):
    return factory(extra="kafka:\n  brokers: %s\n" % bootstrap + extra)


def test_kafka_records_have_the_documented_fields(kafka, nodd_factory):
    n = kafka_nodd(nodd_factory, kafka.bootstrap)
    t0 = int(time.time()) - 30
    names = ["kfirst.se", "ksecond.ch", "kthird.li"]
    for i, d in enumerate(names):
        n.observe(d, first_seen=t0 + i)
    recs = wait_records(kafka.bootstrap, NRD, {1, 2, 3})
    by_seq = {r[2]["seq"]: r for r in recs}
    for i, d in enumerate(names):
        key, hdr, rec = by_seq[i + 1]
        assert key == d
        assert "seq=%d" % (i + 1) in hdr
        assert rec["domain"] == d and rec["timestamp"] == t0 + i
        assert rec["zone"] is None and rec["serial"] is None
        assert rec["source"] == "integration-test"
        assert set(rec) == {"domain", "timestamp", "zone", "serial", "source", "seq"}
    # a known name makes no record
    n.observe("kfirst.se", first_seen=t0 - 100)
    time.sleep(1.0)
    assert max(r[2]["seq"] for r in kcat_records(kafka.bootstrap, NRD)) == 3


def test_kafka_outage_loses_nothing_and_keeps_order(kafka, nodd_factory):
    n = kafka_nodd(nodd_factory, kafka.bootstrap)
    n.observe("before1.se")
    n.observe("before2.se")
    wait_records(kafka.bootstrap, NRD, {1, 2})
    kafka.cmd("down 1")
    for i in range(20):
        n.observe("during%d.se" % i)
    # nodd keeps serving and ingesting during the outage, and shows the backlog
    assert n.a_code("during19.se") == "127.0.0.2"
    backlog = h.wait_for(lambda: h.metric_sum(n.metrics(), "nodd_outbox_backlog", topic=NRD) > 0,
                         10, what="backlog in /metrics")
    assert backlog
    kafka.cmd("up 1")
    recs = wait_records(kafka.bootstrap, NRD, set(range(1, 23)), timeout=60)
    seqs = [r[2]["seq"] for r in recs]
    firsts = []
    for s in seqs:
        if s not in firsts:
            firsts.append(s)
    assert firsts == sorted(firsts), "out of order: %s" % seqs
    assert set(seqs) == set(range(1, 23))
    h.wait_for(lambda: h.metric_sum(n.metrics(), "nodd_outbox_backlog", topic=NRD) == 0, 15,
               what="backlog drained")


def test_kafka_kill9_with_undelivered_records(kafka, nodd_factory):
    n = kafka_nodd(nodd_factory, kafka.bootstrap)
    n.observe("k9first.se")
    wait_records(kafka.bootstrap, NRD, {1})
    kafka.cmd("down 1")
    for i in range(10):
        n.observe("k9during%d.se" % i)
    n.stop(sig=signal.SIGKILL)
    kafka.cmd("up 1")
    n.start()
    recs = wait_records(kafka.bootstrap, NRD, set(range(1, 12)), timeout=60)
    domains = {r[2]["seq"]: r[2]["domain"] for r in recs}
    assert domains[1] == "k9first.se"
    assert {domains[i] for i in range(2, 12)} == {"k9during%d.se" % i for i in range(10)}


def test_kafka_big_batch_every_record_once_in_order_through_kill9(kafka, nodd_factory):
    """One POST of 1,300 new names (one transaction) reaches Kafka as 1,300 records, seq
    1..1300, each keyed by its domain, with its first_seen and source; a kill -9 while the
    broker is down loses none of them."""
    n = kafka_nodd(nodd_factory, kafka.bootstrap)
    n.observe("bbfirst.se")
    wait_records(kafka.bootstrap, NRD, {1})
    kafka.cmd("down 1")
    t0 = int(time.time()) - 3600
    names = ["bb%04d.se" % i for i in range(1300)]
    st, resp = n.observe_many([{"domain": d, "first_seen": t0 + i, "source": "bb"}
                               for i, d in enumerate(names)])
    assert resp == {"accepted": 1300, "new": 1300}, resp
    n.stop(sig=signal.SIGKILL)
    kafka.cmd("up 1")
    n.start()
    recs = wait_records(kafka.bootstrap, NRD, set(range(1, 1302)), timeout=90)
    by_seq = {}
    for key, hdr, rec in recs:
        by_seq.setdefault(rec["seq"], (key, hdr, rec))
    assert sorted(by_seq) == list(range(1, 1302))
    # the batch was applied in name order, so seq 2 + i is names[i]
    for i, d in enumerate(names):
        key, hdr, rec = by_seq[2 + i]
        assert key == d and "seq=%d" % (2 + i) in hdr, (key, hdr)
        assert rec == {"domain": d, "timestamp": t0 + i, "zone": None, "serial": None,
                       "source": "bb", "seq": 2 + i}, rec


# ---- WebSocket ---------------------------------------------------------------------------

def ws_connect(n, path, rcvbuf=None):
    import websocket
    sockopt = [(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)] if rcvbuf else None
    return websocket.create_connection("ws://127.0.0.1:%d%s" % (n.http_port, path), timeout=10,
                                       sockopt=sockopt)


def ws_records(ws, count, timeout=20):
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        out.append(json.loads(ws.recv()))
    return out


@pytest.fixture
def need_websocket():
    try:
        import websocket  # noqa: F401
    except ImportError:
        pytest.skip("python3-websocket is not installed")


def test_ws_live_then_resume_from_history(nodd, need_websocket):
    """A WebSocket client gets records live in seq order; one that connects with ?from=2
    gets seq 2 and 3 from history, then live records."""
    live = ws_connect(nodd, "/ws/" + NRD)
    for d in ("ws1.se", "ws2.se", "ws3.se"):
        nodd.observe(d)
    got = ws_records(live, 3)
    assert [r["domain"] for r in got] == ["ws1.se", "ws2.se", "ws3.se"]
    assert [r["seq"] for r in got] == [1, 2, 3]
    # a client that missed records resumes from a seq: history first, then live
    late = ws_connect(nodd, "/ws/%s?from=2" % NRD)
    assert [r["seq"] for r in ws_records(late, 2)] == [2, 3]
    nodd.observe("ws4.se")
    assert ws_records(late, 1)[0]["domain"] == "ws4.se"
    assert ws_records(live, 1)[0]["domain"] == "ws4.se"
    live.close()
    late.close()


def test_ws_resume_inside_a_big_batch(nodd, need_websocket):
    """After one POST of 1,200 new names, a client resuming from seq 700 gets 700..1200
    from history, in order, each its own domain, then live records."""
    names = ["wsb%04d.se" % i for i in range(1200)]
    nodd.observe_many([{"domain": d} for d in names])
    ws = ws_connect(nodd, "/ws/%s?from=700" % NRD)
    got = ws_records(ws, 501)
    assert [r["seq"] for r in got] == list(range(700, 1201))
    assert [r["domain"] for r in got] == names[699:]
    nodd.observe("wsb-live.se")
    live = ws_records(ws, 1)[0]
    assert (live["domain"], live["seq"]) == ("wsb-live.se", 1201), live
    ws.close()


def test_ws_rejects_bad_requests(nodd, need_websocket):
    """A plain GET on a stream is 426; an unknown topic or a non-numeric from= is refused
    at the handshake."""
    st, body = nodd.api("GET", "/ws/" + NRD)
    assert st == 426, "a plain GET is told to upgrade: %s %s" % (st, body)
    import websocket
    with pytest.raises(websocket.WebSocketBadStatusException):
        ws_connect(nodd, "/ws/no_such_topic")
    with pytest.raises(websocket.WebSocketBadStatusException):
        ws_connect(nodd, "/ws/%s?from=abc" % NRD)


def test_ws_client_that_never_reads_is_dropped(nodd_factory, need_websocket):
    n = nodd_factory(extra="streams:\n  ws-max-lag: 2000\n")
    reader = ws_connect(n, "/ws/" + NRD)
    # a client that completes the handshake and never reads again
    stuck = socket.create_connection(("127.0.0.1", n.http_port))
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    stuck.sendall(("GET /ws/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (NRD, key)).encode())
    total = 30000
    received = []
    for b in range(total // 5000):
        n.observe_many([{"domain": "slow%05d-%d.se" % (i, b)} for i in range(5000)])
        received += ws_records(reader, 5000, timeout=60)   # the reading client keeps up
    assert [r["seq"] for r in received] == list(range(1, total + 1))
    h.wait_for(lambda: h.metric_sum(n.metrics(), "nodd_ws_dropped_slow_total") >= 1, 15,
               what="the stuck client dropped")
    assert n.a_code("slow00000-0.se") == "127.0.0.2"
    stuck.close()
    reader.close()


# ---- records from a real BIND upstream ---------------------------------------------------


def upstream_nodd(tmp_path, nodd_factory, kafka):
    """nodd following a real BIND primary (zone nodtest., one baseline delegation) and
    producing to the mock cluster; returns (nodd, named)."""
    if not os.path.exists("/usr/sbin/named"):
        pytest.skip("named is not installed (Debian: bind9)")
    from bind_util import Named, upstream_yaml
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=["base1"])
    n.extra = upstream_yaml(named) + "kafka:\n  brokers: %s\n" % kafka.bootstrap
    n.write_config()
    n.start()
    h.wait_for(lambda: n.api("GET", "/api/v1/status")[1]["upstreams"][0]["serial"] == 1, 15,
               what="baseline transfer")
    return n, named

def test_upstream_changes_reach_kafka_and_websocket(tmp_path, kafka, nodd_factory, need_websocket):
    from bind_util import ZONE
    n, named = upstream_nodd(tmp_path, nodd_factory, kafka)
    try:
        ws = ws_connect(n, "/ws/" + NRD)
        wsd = ws_connect(n, "/ws/zone_diff")
        named.update("add brandnew.%s. 300 NS ns1.%s." % (ZONE, ZONE),
                     "add brandnew.%s. 300 DS 12345 13 2 %s" % (ZONE, "AB" * 32))
        serial = named.serial()
        recs = wait_records(kafka.bootstrap, NRD, {1})
        key, hdr, rec = recs[0]
        assert key == "brandnew." + ZONE and "seq=1" in hdr
        assert rec["domain"] == "brandnew." + ZONE and rec["zone"] == ZONE
        assert rec["serial"] == serial and rec["source"].startswith("zone %s" % ZONE)
        diffs = wait_records(kafka.bootstrap, "zone_diff", {1, 2})
        by_type = {r[2]["response_type"]: r[2] for r in diffs}
        ns = by_type["NS"]
        assert ns["op"] == "add" and ns["query_name"] == "brandnew." + ZONE
        assert ns["ns_address"] == "ns1." + ZONE and ns["response_ttl"] == 300
        assert ns["zone"] == ZONE and ns["serial_from"] == 1 and ns["serial_to"] == serial
        assert ns["timestamp"] > 10 ** 12  # milliseconds
        assert by_type["DS"]["ds_key_tag"] == 12345
        # the baseline made no records, and the same records arrived on the WebSockets
        assert len(kcat_records(kafka.bootstrap, NRD)) == 1
        assert ws_records(ws, 1)[0]["domain"] == "brandnew." + ZONE
        assert {r["response_type"] for r in ws_records(wsd, 2)} == {"NS", "DS"}
        # a deletion is a zone_diff "del" and no observation
        named.update("delete brandnew.%s. DS" % ZONE)
        diffs = wait_records(kafka.bootstrap, "zone_diff", {3})
        assert [r[2]["op"] for r in diffs if r[2]["seq"] == 3] == ["del"]
        # a client that missed them gets the history
        late = ws_connect(n, "/ws/zone_diff?from=1")
        assert [r["seq"] for r in ws_records(late, 3)] == [1, 2, 3]
        ws.close()
        wsd.close()
        late.close()
    finally:
        named.stop()


def test_upstream_updates_during_broker_outage_and_kill9(tmp_path, kafka, nodd_factory):
    """Broker down while nsupdate adds delegations, nodd killed with undelivered records,
    broker back, nodd restarted: every record arrives, in seq order."""
    from bind_util import ZONE
    n, named = upstream_nodd(tmp_path, nodd_factory, kafka)
    try:
        named.update("add before.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        wait_records(kafka.bootstrap, NRD, {1})
        kafka.cmd("down 1")
        for i in range(5):
            named.update("add outage%d.%s. 300 NS ns1.%s." % (i, ZONE, ZONE))
        h.wait_for(lambda: n.a_code("outage4.%s" % ZONE) == "127.0.0.2", 10,
                   what="ingestion goes on during the outage")
        assert h.metric_sum(n.metrics(), "nodd_outbox_backlog", topic=NRD) >= 1
        n.stop(sig=signal.SIGKILL)
        kafka.cmd("up 1")
        n.start()
        recs = wait_records(kafka.bootstrap, NRD, set(range(1, 7)), timeout=60)
        firsts = []
        for r in recs:
            if r[2]["seq"] not in firsts:
                firsts.append(r[2]["seq"])
        assert firsts == sorted(firsts), firsts
        names = {r[2]["seq"]: r[2]["domain"] for r in recs}
        assert names[1] == "before." + ZONE
        assert {names[i] for i in range(2, 7)} == {"outage%d.%s" % (i, ZONE) for i in range(5)}
        diffs = wait_records(kafka.bootstrap, "zone_diff", set(range(1, 7)), timeout=30)
        assert {r[2]["query_name"] for r in diffs if r[2]["response_type"] == "NS"} >= \
            {"outage%d.%s" % (i, ZONE) for i in range(5)}
    finally:
        named.stop()
