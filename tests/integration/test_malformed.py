"""Hostile packets over UDP and TCP: the right RCODE where the spec gives one (FORMERR for a
malformed question or records, nothing for QR=1 or less than a header), and after every
case the process is still running and answers a normal query correctly. The fuzz corpora
under tests/fuzz/corpus/*/ are replayed as queries too."""
import glob
import os
import random
import socket
import struct
import time

import dns.message
import dns.rcode
import pytest

import nodd_harness as h
from nodd_harness import DNSBL

FORMERR, REFUSED = 1, 5
QTQC = struct.pack("!HH", 1, 1)  # A IN


def hdr(id=0x4242, flags=0x0000, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", id, flags, qd, an, ns, ar)


def wname(name):
    out = b""
    for label in name.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


GOODQ = wname("test." + DNSBL) + QTQC
OPT = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)


def tsig_rr(mac_len=32):
    alg = wname("hmac-sha256")
    rdata = alg + struct.pack("!HIH", 0, int(time.time()), 300) + struct.pack("!H", mac_len) + \
        b"\x11" * mac_len + struct.pack("!HHH", 0x4242, 0, 0)
    return wname("some-key") + struct.pack("!HHIH", 250, 255, 0, len(rdata)) + rdata


def long_name_wire(total_labels, label_len):
    return b"".join(bytes([label_len]) + b"x" * label_len for _ in range(total_labels)) + b"\x00"


# (id, packet, expectation): "FORMERR" / "REFUSED" = that rcode; "drop" = no reply;
# "any" = a reply is optional but must echo the ID with QR=1
UDP_CASES = [
    ("empty-datagram", b"", "drop"),
    ("truncated-header-1", b"\x42", "drop"),
    ("truncated-header-5", hdr()[:5], "drop"),
    ("truncated-header-11", hdr()[:11], "drop"),
    ("header-only-qdcount-1", hdr(), "FORMERR"),
    ("question-cut-in-name", hdr() + GOODQ[:6], "FORMERR"),
    ("question-without-type", hdr() + wname("test." + DNSBL), "FORMERR"),
    ("question-cut-in-type", hdr() + wname("test." + DNSBL) + b"\x00", "FORMERR"),
    ("ancount-larger-than-data", hdr(an=5) + GOODQ, "FORMERR"),
    ("nscount-larger-than-data", hdr(ns=65535) + GOODQ, "FORMERR"),
    ("arcount-larger-than-data", hdr(ar=1) + GOODQ, "FORMERR"),
    ("qdcount-larger-than-data", hdr(qd=3) + GOODQ, "FORMERR"),
    ("label-64-octets", hdr() + b"\x40" + b"a" * 64 + b"\x00" + QTQC, "FORMERR"),
    ("label-type-01", hdr() + b"\x41" + b"a" * 10 + b"\x00" + QTQC, "FORMERR"),
    ("label-longer-than-packet", hdr() + b"\x3f" + b"a" * 10, "FORMERR"),
    ("name-over-255", hdr() + long_name_wire(5, 60) + QTQC, "FORMERR"),
    ("name-256", hdr() + long_name_wire(3, 63)[:-1] + b"\x3e" + b"y" * 62 + b"\x00" + QTQC, "FORMERR"),
    # 3 x (1 + 63) + 1 + 61 + root = 255 octets: the longest legal name
    ("name-255-outside-zones", hdr() + long_name_wire(3, 63)[:-1] + b"\x3d" + b"y" * 61 + b"\x00" + QTQC,
     "REFUSED"),
    ("pointer-forward", hdr() + b"\xc0\x12" + QTQC + wname("test." + DNSBL), "FORMERR"),
    ("pointer-beyond-end", hdr() + b"\xc3\xff" + QTQC, "FORMERR"),
    ("pointer-to-itself", hdr() + b"\xc0\x0c" + QTQC, "FORMERR"),
    ("pointer-loop-via-label", hdr() + b"\x01a\xc0\x0c" + QTQC, "FORMERR"),
    ("pointer-cut", hdr() + b"\x01a\xc0", "FORMERR"),
    ("trailing-garbage", hdr() + GOODQ + b"\xde\xad\xbe\xef", "FORMERR"),
    ("trailing-byte", hdr() + GOODQ + b"\x00", "FORMERR"),
    ("two-opt", hdr(ar=2) + GOODQ + OPT + OPT, "FORMERR"),
    ("opt-cut", hdr(ar=1) + GOODQ + OPT[:7], "FORMERR"),
    ("opt-rdlength-beyond-end", hdr(ar=1) + GOODQ + b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 50),
     "FORMERR"),
    ("rr-rdlength-beyond-end", hdr(an=1) + GOODQ + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 100)
     + b"\x7f\x00\x00\x01", "FORMERR"),
    ("tsig-not-last", hdr(ar=2) + GOODQ + tsig_rr() + OPT, "FORMERR"),
    ("two-tsig", hdr(ar=2) + GOODQ + tsig_rr() + tsig_rr(), "FORMERR"),
    ("tsig-cut", hdr(ar=1) + GOODQ + tsig_rr()[:30], "FORMERR"),
    ("qr-set", hdr(flags=0x8000) + GOODQ, "drop"),
    ("qr-set-garbage", hdr(flags=0x8000, qd=7) + b"\xff" * 30, "drop"),
    ("qr-set-formerr-shape", hdr(flags=0x8000, qd=2), "drop"),
    ("oversize-64k", hdr() + GOODQ + b"\x00" * 60000, "any"),
    ("all-ones", b"\xff" * 512, "drop"),  # QR=1
    ("all-zeros-512", b"\x00" * 512, "any"),
]


def assert_alive(n):
    assert n.alive(), "nodd exited (status %s):\n%s" % (n.proc.poll() if n.proc else None,
                                                         n.log_tail())
    h.assert_a(n.query("test." + DNSBL, "A"), "test." + DNSBL, "127.0.0.2")
    h.assert_a(n.query("test." + DNSBL, "A", tcp=True), "test." + DNSBL, "127.0.0.2")


def check_reply(pkt, reply, expect):
    if expect == "drop":
        assert reply is None, "expected no reply, got %r" % reply[:64]
        return
    if reply is None:
        assert expect == "any", "no reply, expected %s" % expect
        return
    assert len(reply) >= 12, "reply shorter than a header: %r" % reply
    if len(pkt) >= 2:
        assert reply[:2] == pkt[:2], "ID not echoed"
    assert reply[2] & 0x80, "QR not set in the reply"
    rc = reply[3] & 0xF
    if expect == "FORMERR":
        assert rc == FORMERR, "rcode %d, expected FORMERR" % rc
    elif expect == "REFUSED":
        assert rc == REFUSED, "rcode %d, expected REFUSED" % rc


@pytest.fixture(scope="module")
def srv(nodd_module):
    return nodd_module


@pytest.mark.parametrize("case", UDP_CASES, ids=[c[0] for c in UDP_CASES])
def test_udp_hostile(srv, case):
    _, pkt, expect = case
    reply = srv.udp_raw(pkt, timeout=0.5 if expect in ("drop", "any") else 2.0)
    check_reply(pkt, reply, expect)
    assert_alive(srv)


TCP_CASES = [c for c in UDP_CASES if c[2] not in ("drop",) and len(c[1]) >= 12
             and len(c[1]) <= 65535]


@pytest.mark.parametrize("case", TCP_CASES, ids=[c[0] for c in TCP_CASES])
def test_tcp_hostile_message(srv, case):
    _, pkt, expect = case
    s = srv.tcp_connect()
    try:
        s.sendall(struct.pack("!H", len(pkt)) + pkt)
        s.settimeout(2.0 if expect != "any" else 1.0)
        reply = h.tcp_read_msg(s)
    finally:
        s.close()
    check_reply(pkt, reply, expect)
    assert_alive(srv)


def test_tcp_qr_set_gets_no_reply(srv):
    pkt = hdr(flags=0x8000) + GOODQ
    s = srv.tcp_connect(timeout=1.0)
    try:
        s.sendall(struct.pack("!H", len(pkt)) + pkt)
        assert h.tcp_read_msg(s) is None, "a reply to a QR=1 message"
    finally:
        s.close()
    assert_alive(srv)


def test_tcp_zero_length_frame(srv):
    s = srv.tcp_connect(timeout=1.0)
    try:
        s.sendall(b"\x00\x00")
        good = hdr(id=7) + GOODQ
        try:
            s.sendall(struct.pack("!H", len(good)) + good)
        except OSError:
            pass  # closed: allowed
        reply = h.tcp_read_msg(s)
        if reply is not None:  # the frame was skipped and the next query answered
            assert reply[:2] == b"\x00\x07"
    finally:
        s.close()
    assert_alive(srv)


@pytest.mark.parametrize("n", [1, 5, 11])
def test_tcp_length_prefix_below_header(srv, n):
    s = srv.tcp_connect(timeout=1.0)
    try:
        s.sendall(struct.pack("!H", n) + hdr()[:n])
        assert h.tcp_read_msg(s) is None, "a reply to a %d-octet message" % n
    finally:
        s.close()
    assert_alive(srv)


def test_tcp_prefix_promising_bytes_then_close(srv):
    s = srv.tcp_connect()
    s.sendall(struct.pack("!H", 300) + hdr() + GOODQ)
    s.close()
    assert_alive(srv)


def test_tcp_half_length_prefix_then_close(srv):
    s = srv.tcp_connect()
    s.sendall(b"\x00")
    s.close()
    assert_alive(srv)


def test_tcp_stalled_connection_does_not_block_others(srv):
    stalled = []
    try:
        for _ in range(5):
            s = srv.tcp_connect()
            s.sendall(struct.pack("!H", 500) + hdr()[:6])  # never completed
            stalled.append(s)
        assert_alive(srv)
        # pipelined queries on a fresh connection still answered
        s = srv.tcp_connect()
        try:
            for i in range(3):
                q = hdr(id=100 + i) + GOODQ
                s.sendall(struct.pack("!H", len(q)) + q)
            ids = sorted(struct.unpack("!H", h.tcp_read_msg(s)[:2])[0] for _ in range(3))
            assert ids == [100, 101, 102]
        finally:
            s.close()
    finally:
        for s in stalled:
            s.close()
    assert_alive(srv)


def test_tcp_reset_connections(srv):
    for i in range(20):
        s = srv.tcp_connect()
        q = hdr(id=i) + GOODQ
        s.sendall(struct.pack("!H", len(q)) + q[: 10 + i % 10])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
        s.close()
    assert_alive(srv)


def test_tcp_garbage_stream(srv):
    rnd = random.Random(99)
    s = srv.tcp_connect(timeout=1.0)
    try:
        try:
            s.sendall(bytes(rnd.getrandbits(8) for _ in range(20000)))
        except OSError:
            pass
    finally:
        s.close()
    assert_alive(srv)


def _blast(srv, packets, wait=1.0):
    """Send all packets from one socket, then collect replies; every reply must be a
    response (QR=1) carrying the ID of one of the packets sent."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ids = {p[:2] for p in packets if len(p) >= 2}
    try:
        for p in packets:
            s.sendto(p, ("127.0.0.1", srv.port))
        s.settimeout(wait)
        replies = []
        while True:
            try:
                replies.append(s.recv(65535))
            except socket.timeout:
                break
    finally:
        s.close()
    for r in replies:
        assert len(r) >= 12, "reply shorter than a header: %r" % r
        assert r[:2] in ids, "reply with an ID no packet had"
        assert r[2] & 0x80, "reply without QR"
    return replies


def test_udp_random_bytes_fixed_seed(srv):
    rnd = random.Random(20240611)
    lengths = [0, 1, 2, 11, 12, 13, 17, 29, 40, 64, 100, 255, 512, 1232, 1500, 4096]
    packets = []
    for i in range(400):
        n = rnd.choice(lengths)
        packets.append(bytes(rnd.getrandbits(8) for _ in range(n)))
    for chunk in range(0, len(packets), 100):
        _blast(srv, packets[chunk:chunk + 100], wait=0.5)
        assert_alive(srv)


def test_udp_mutated_queries_fixed_seed(srv):
    """Byte flips, truncations and splices of good queries; QR is cleared so that most
    of them reach the parser."""
    rnd = random.Random(4711)
    bases = []
    for qn, qt in (("test." + DNSBL, "A"), ("a.b.xq.se.30m.rpz.nod.example", "TXT"),
                   (DNSBL, "SOA"), ("example.com", "A")):
        for edns in (None, 0):
            bases.append(dns.message.make_query(qn, qt, use_edns=edns).to_wire())
    packets = []
    for i in range(600):
        b = bytearray(rnd.choice(bases))
        op = rnd.randrange(4)
        if op == 0:
            for _ in range(rnd.randint(1, 4)):
                b[rnd.randrange(len(b))] = rnd.getrandbits(8)
        elif op == 1:
            b = b[:rnd.randrange(len(b))]
        elif op == 2:
            b += bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 40)))
        else:
            j = rnd.randrange(12, len(b))
            b = b[:j] + bytes([0xc0, rnd.randrange(256)]) + b[j:]
        if len(b) > 2:
            b[2] &= 0x7F
        packets.append(bytes(b))
    for chunk in range(0, len(packets), 100):
        replies = _blast(srv, packets[chunk:chunk + 100], wait=0.5)
        assert replies, "no reply at all to 100 mostly well-formed queries"
        assert_alive(srv)


CORPUS = sorted(glob.glob(os.path.join(h.ROOT, "tests", "fuzz", "corpus", "*", "*")))


@pytest.mark.skipif(not CORPUS, reason="no fuzz corpus under tests/fuzz/corpus/")
def test_fuzz_corpus_replayed_as_queries(srv):
    packets = []
    for p in CORPUS:
        if os.path.isfile(p):
            with open(p, "rb") as f:
                data = f.read()
            if len(data) <= 65535:
                packets.append(data)
    for i in range(0, len(packets), 50):
        _blast(srv, packets[i:i + 50], wait=0.3)
    assert_alive(srv)
    for data in packets[:200]:
        s = srv.tcp_connect(timeout=0.5)
        try:
            s.sendall(struct.pack("!H", len(data)) + data)
            h.tcp_read_msg(s)
        except OSError:
            pass
        finally:
            s.close()
    assert_alive(srv)
