"""Slow and abusive TCP clients (one that never reads a big AXFR, a byte every
second, more connections than allowed from one address and from all, one that never sends,
one that pipelines queries and never reads) do not stop nodd from answering UDP and other TCP
clients; limits are counted in /metrics."""
import select
import socket
import struct
import threading
import time

import dns.message
import dns.query

import nodd_harness as h


def test_abusive_tcp_clients_do_not_stop_service(nodd_factory):
    """A client that never reads its AXFR, a slowloris and connections over
    tcp-clients-per-ip: UDP and a TCP client from another address are answered, the four
    connections over the cap are closed at once and counted, the slowloris is closed
    within the idle timeout although it keeps sending."""
    n = nodd_factory(server={"tcp-clients-per-ip": 4, "tcp-idle-timeout": "2s"},
                     extra="transfer:\n  allow:\n    - address: 127.0.0.0/8\n")
    now = int(time.time())
    for b in range(4):
        n.observe_many([{"domain": "bulk%05d-%d.nodtld" % (i, b), "first_seen": now - i}
                        for i in range(5000)])
    # 1. a client that asks for the 24h zone (40,000 records) and never reads
    stuck = socket.create_connection(("127.0.0.1", n.port))
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    q = dns.message.make_query("24h.rpz." + h.SUFFIX, "AXFR").to_wire()
    stuck.sendall(struct.pack("!H", len(q)) + q)
    # 2. slowloris: a length prefix, then a byte now and then
    slow = socket.create_connection(("127.0.0.1", n.port))
    slow.sendall(b"\x00")
    # 3. more connections from one address than allowed
    extra = [socket.create_connection(("127.0.0.1", n.port)) for _ in range(6)]
    time.sleep(0.5)
    # UDP and a TCP client from another address are still answered, correctly
    for i in range(20):
        assert n.a_code("bulk%05d-0.nodtld" % i) == "127.0.0.2"
    src = socket.socket()
    src.bind(("127.0.0.2", 0))
    src.connect(("127.0.0.1", n.port))
    src.settimeout(5)
    q = dns.message.make_query("bulk00001-1.nodtld.v1.bl." + h.SUFFIX, "A").to_wire()
    src.sendall(struct.pack("!H", len(q)) + q)
    ln = struct.unpack("!H", h.tcp_read_exact(src, 2))[0]
    r = dns.message.from_wire(h.tcp_read_exact(src, ln))
    h.assert_a(r, "bulk00001-1.nodtld.v1.bl." + h.SUFFIX, "127.0.0.2")
    src.close()
    # with the stuck and the slow client open, two more fit under the per-address cap of
    # 4: the last four of the six were closed by nodd as it accepted them
    assert _eof_within(extra[2:], 3) == set(extra[2:]), "connections over the cap left open"
    assert h.metric_sum(n.metrics(), "nodd_tcp_refused_per_ip_cap_total") == 4
    # the slowloris (a byte every 0.5 s, never a whole query) is closed within the idle
    # timeout even though it keeps sending
    slow.settimeout(0.5)
    closed_slow = False
    for _ in range(16):
        try:
            slow.sendall(b"\x20")
            if slow.recv(1) == b"":
                closed_slow = True
                break
        except socket.timeout:
            continue
        except OSError:
            closed_slow = True
            break
    assert closed_slow, "the slow client was not closed while it kept sending a byte at a time"
    # the slowloris's timeout is counted; the idle clients' too, by now or soon
    assert h.metric_sum(n.metrics(), "nodd_tcp_timeouts_total") >= 1
    # and still serving
    assert n.a_code("bulk00002-3.nodtld") == "127.0.0.2"
    stuck.close()
    for s in extra:
        s.close()


def _eof_within(socks, timeout):
    """The sockets of socks that nodd closed (EOF or reset) within timeout seconds."""
    closed, pending, end = set(), set(socks), time.time() + timeout
    while pending and time.time() < end:
        r, _, _ = select.select(list(pending), [], [], max(0.0, end - time.time()))
        for s in r:
            try:
                data = s.recv(1)
            except OSError:
                data = b""
            if data == b"":
                closed.add(s)
            pending.discard(s)
    return closed


def test_global_cap_and_silent_client(nodd_factory):
    """tcp-clients caps connections from all addresses together; a client that connects and
    never sends is closed after tcp-idle-timeout."""
    n = nodd_factory(server={"tcp-clients": 6, "tcp-clients-per-ip": 20, "tcp-idle-timeout": "5s"})
    n.observe("paused.nodtld")
    silent = socket.create_connection(("127.0.0.1", n.port))
    others = []
    for i in range(8):  # from 8 addresses, so the per-address cap is not what refuses them
        s = socket.socket()
        s.bind(("127.0.0.%d" % (3 + i), 0))
        s.connect(("127.0.0.1", n.port))
        others.append(s)
    # 1 + 8 connections, 6 allowed: the last 3 are closed at once, the others stay open
    refused = _eof_within(others, 1.0)
    assert refused == set(others[5:]), "closed at once: %s" % [others.index(s) for s in refused]
    assert h.metric_sum(n.metrics(), "nodd_tcp_refused_global_cap_total") == 3
    # the silent client and the five idle others are closed by the idle timeout
    assert _eof_within([silent] + others[:5], 10) == set([silent] + others[:5]), \
        "a client that never sent was not closed"
    assert h.metric_sum(n.metrics(), "nodd_tcp_timeouts_total") == 6
    for s in [silent] + others:
        s.close()
    h.wait_for(lambda: h.metric_sum(n.metrics(), "nodd_tcp_connections_open") == 0, 10,
               what="all connections closed")


def test_output_pause_for_a_pipelining_client_that_does_not_read(nodd_factory):
    """A client that pipelines queries and does not read makes nodd stop reading it (output
    high-water mark) rather than buffer without bound, others are served meanwhile, and once
    it reads it gets an answer to every query it sent. The default idle timeout (30 s): a
    paused client has no query read, so it is closed when it outlasts the timeout, and a
    loaded machine can take 5 s between the pause and the client reading."""
    n = nodd_factory()
    first_seen = int(time.time())
    n.observe("paused.nodtld", first_seen)
    q = dns.message.make_query("paused.nodtld.v1.bl." + h.SUFFIX, "TXT")
    frame = struct.pack("!H", len(q.to_wire())) + q.to_wire()
    burst = frame * 2000
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.connect(("127.0.0.1", n.port))
    c.setblocking(False)
    sent, stalled_since, end = 0, None, time.time() + 20
    while time.time() < end:
        try:
            k = c.send(burst[sent % len(burst):])
            sent += k
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.time()
            if time.time() - stalled_since > 1.0:
                break  # nodd stopped reading us
            time.sleep(0.02)
    assert stalled_since, "nodd kept reading %d bytes of queries from a client that reads nothing" % sent
    # paused once: reading resumes only when the client drains its answers
    assert h.metric_sum(n.metrics(), "nodd_tcp_output_paused_total") == 1
    # others are still served meanwhile, over UDP and TCP
    assert n.a_code("paused.nodtld") == "127.0.0.2"
    r = dns.query.tcp(dns.message.make_query("paused.nodtld.v1.bl." + h.SUFFIX, "A"),
                      "127.0.0.1", port=n.port, timeout=5)
    h.assert_a(r, "paused.nodtld.v1.bl." + h.SUFFIX, "127.0.0.2")
    # now read: every whole query sent is answered; the partial one is completed first
    c.setblocking(True)
    c.settimeout(30)  # a bound for a loaded machine and a sanitizer build
    rest = len(frame) - sent % len(frame) if sent % len(frame) else 0
    t = threading.Thread(target=lambda: c.sendall(frame[len(frame) - rest:]) if rest else None)
    t.start()
    want, got = (sent + rest) // len(frame), 0
    while got < want:
        ln = struct.unpack("!H", h.tcp_read_exact(c, 2))[0]
        a = dns.message.from_wire(h.tcp_read_exact(c, ln))
        assert a.id == q.id, a
        h.assert_txt_first_seen(a, "paused.nodtld.v1.bl." + h.SUFFIX, first_seen)
        got += 1
    t.join(10)
    c.close()
    assert got == want and want > 2000
