"""Issue 4: slow and abusive TCP clients (one that never reads a big AXFR, a byte every
second, more connections than allowed) do not stop nodd from answering UDP and other TCP
clients; limits are counted in /metrics."""
import socket
import struct
import time

import dns.message
import dns.query

import nodd_harness as h


def test_abusive_tcp_clients_do_not_stop_service(nodd_factory):
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
    assert r.answer and r.answer[0][0].address == "127.0.0.2"
    src.close()
    # the connections over the per-address cap were closed by nodd
    closed = 0
    for s in extra:
        s.settimeout(3)
        try:
            if s.recv(1) == b"":
                closed += 1
        except (ConnectionResetError, socket.timeout):
            closed += 0
    assert closed >= 1, "no connection over tcp-clients-per-ip was closed"
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
    m = n.metrics()
    assert h.metric_sum(m, "nodd_tcp_refused_per_ip_cap_total") >= 1
    assert h.metric_sum(m, "nodd_tcp_timeouts_total") >= 1
    # and still serving
    assert n.a_code("bulk00002-3.nodtld") == "127.0.0.2"
    stuck.close()
    for s in extra:
        s.close()
