"""A clean stop (SIGTERM) with DNS over TCP connections open and a zone transfer held
half-sent by a client that stopped reading: nodd exits with status 0 within the bound and,
in a sanitizer build (NODD_BUILD=build-asan), without a sanitizer report."""
import socket
import struct
import time

import dns.message

import nodd_harness as h

Z24 = "24h.rpz." + h.SUFFIX
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")


def test_sigterm_with_a_transfer_in_progress_exits_cleanly(tmp_path, nodd_factory):
    n = nodd_factory(extra="transfer:\n  allow:\n    - address: 127.0.0.1/32\n  min-interval: 1s\n")
    before = {Z24: n.serial(Z24)}
    now = int(time.time())
    for b in range(4):
        n.observe_many([{"domain": "stop-%d-%d.nodtld" % (b, k), "first_seen": now - k}
                        for k in range(2500)])
    n.wait_new_versions(before)
    # an AXFR of 10 000 names whose client reads one message and then nothing more
    s = socket.create_connection(("127.0.0.1", n.port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    q = dns.message.make_query(Z24, "AXFR").to_wire()
    s.sendall(struct.pack("!H", len(q)) + q)
    first = h.tcp_read_msg(s)
    assert first is not None, n.log_tail()
    # and a plain idle DNS-over-TCP connection
    idle = n.tcp_connect()
    h.wait_for(lambda: h.metric_sum(n.metrics(), "nodd_tcp_connections_open") >= 2, 5,
               what="both TCP connections open")
    rc = n.stop()
    s.close()
    idle.close()
    log = n.log_text()
    assert rc == 0, "exit status %r\n%s" % (rc, n.log_tail())
    for mark in SANITIZER_MARKS:
        assert mark not in log, log[-8000:]
