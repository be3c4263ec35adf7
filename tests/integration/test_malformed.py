"""Hostile packets over UDP and TCP, each with one exact outcome: the reply nodd sends
byte for byte (FORMERR or REFUSED; the question echoed when it parsed, the header alone
when it did not), no reply at all (QR=1, or less than a header), or, over TCP, the
connection closed with no reply (a frame shorter than a header, a client that ends its
side mid-frame). After every case the process is running and answers a normal query
over UDP and TCP. The fuzz corpora under tests/fuzz/corpus/*/ are replayed as queries.

"No reply" is shown without waiting for a timeout: each hostile packet is followed on the
same UDP socket or TCP connection by a good query (the sentinel), and nodd answers the
messages of one client in order (a UDP client's datagrams all reach the socket of one
nodd thread, which answers them in arrival order; a TCP connection is answered in
order), so whatever came before the sentinel's answer is everything nodd sent."""
import glob
import os
import random
import socket
import struct
import time

import dns.flags
import dns.message
import dns.opcode
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
SENTINEL_ID = 0x5E57


def tsig_rr(mac_len=32):
    alg = wname("hmac-sha256")
    rdata = alg + struct.pack("!HIH", 0, int(time.time()), 300) + struct.pack("!H", mac_len) + \
        b"\x11" * mac_len + struct.pack("!HHH", 0x4242, 0, 0)
    return wname("some-key") + struct.pack("!HHIH", 250, 255, 0, len(rdata)) + rdata


def long_name_wire(total_labels, label_len):
    return b"".join(bytes([label_len]) + b"x" * label_len for _ in range(total_labels)) + b"\x00"


# (id, packet, expectation). "drop": no reply. "FORMERR": FORMERR with the header alone
# (QDCOUNT 0): the question itself is malformed or QDCOUNT is not 1. "FORMERR+Q": FORMERR
# echoing the question: the question parsed, something after it did not. "REFUSED+Q":
# REFUSED echoing the question (a name outside our zones).
UDP_CASES = [
    ("empty-datagram", b"", "drop"),
    ("truncated-header-1", b"\x42", "drop"),
    ("truncated-header-5", hdr()[:5], "drop"),
    ("truncated-header-11", hdr()[:11], "drop"),
    ("header-only-qdcount-1", hdr(), "FORMERR"),
    ("question-cut-in-name", hdr() + GOODQ[:6], "FORMERR"),
    ("question-without-type", hdr() + wname("test." + DNSBL), "FORMERR"),
    ("question-cut-in-type", hdr() + wname("test." + DNSBL) + b"\x00", "FORMERR"),
    ("ancount-larger-than-data", hdr(an=5) + GOODQ, "FORMERR+Q"),
    ("nscount-larger-than-data", hdr(ns=65535) + GOODQ, "FORMERR+Q"),
    ("arcount-larger-than-data", hdr(ar=1) + GOODQ, "FORMERR+Q"),
    ("qdcount-larger-than-data", hdr(qd=3) + GOODQ, "FORMERR"),
    ("label-64-octets", hdr() + b"\x40" + b"a" * 64 + b"\x00" + QTQC, "FORMERR"),
    ("label-type-01", hdr() + b"\x41" + b"a" * 10 + b"\x00" + QTQC, "FORMERR"),
    ("label-longer-than-packet", hdr() + b"\x3f" + b"a" * 10, "FORMERR"),
    ("name-over-255", hdr() + long_name_wire(5, 60) + QTQC, "FORMERR"),
    ("name-256", hdr() + long_name_wire(3, 63)[:-1] + b"\x3e" + b"y" * 62 + b"\x00" + QTQC, "FORMERR"),
    # 3 x (1 + 63) + 1 + 61 + root = 255 octets: the longest legal name
    ("name-255-outside-zones", hdr() + long_name_wire(3, 63)[:-1] + b"\x3d" + b"y" * 61 + b"\x00" + QTQC,
     "REFUSED+Q"),
    ("pointer-forward", hdr() + b"\xc0\x12" + QTQC + wname("test." + DNSBL), "FORMERR"),
    ("pointer-beyond-end", hdr() + b"\xc3\xff" + QTQC, "FORMERR"),
    ("pointer-to-itself", hdr() + b"\xc0\x0c" + QTQC, "FORMERR"),
    ("pointer-loop-via-label", hdr() + b"\x01a\xc0\x0c" + QTQC, "FORMERR"),
    ("pointer-cut", hdr() + b"\x01a\xc0", "FORMERR"),
    ("trailing-garbage", hdr() + GOODQ + b"\xde\xad\xbe\xef", "FORMERR+Q"),
    ("trailing-byte", hdr() + GOODQ + b"\x00", "FORMERR+Q"),
    ("two-opt", hdr(ar=2) + GOODQ + OPT + OPT, "FORMERR+Q"),
    ("opt-cut", hdr(ar=1) + GOODQ + OPT[:7], "FORMERR+Q"),
    ("opt-rdlength-beyond-end", hdr(ar=1) + GOODQ + b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 50),
     "FORMERR+Q"),
    ("rr-rdlength-beyond-end", hdr(an=1) + GOODQ + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 100)
     + b"\x7f\x00\x00\x01", "FORMERR+Q"),
    ("tsig-not-last", hdr(ar=2) + GOODQ + tsig_rr() + OPT, "FORMERR+Q"),
    ("two-tsig", hdr(ar=2) + GOODQ + tsig_rr() + tsig_rr(), "FORMERR+Q"),
    ("tsig-cut", hdr(ar=1) + GOODQ + tsig_rr()[:30], "FORMERR+Q"),
    ("qr-set", hdr(flags=0x8000) + GOODQ, "drop"),
    ("qr-set-garbage", hdr(flags=0x8000, qd=7) + b"\xff" * 30, "drop"),
    ("qr-set-formerr-shape", hdr(flags=0x8000, qd=2), "drop"),
    # a good question and 60000 zero octets after it: trailing bytes. Over UDP nodd reads
    # the first 4096 octets of the datagram, which end in trailing bytes too.
    ("oversize-64k", hdr() + GOODQ + b"\x00" * 60000, "FORMERR+Q"),
    ("all-ones", b"\xff" * 512, "drop"),  # QR=1
    # ID 0, QDCOUNT 0: FORMERR with the bare header, as BIND 9 and NSD answer it too
    ("all-zeros-512", b"\x00" * 512, "FORMERR"),
]


def question_end(pkt):
    """Offset after the question of pkt, whose name is uncompressed."""
    off = 12
    while pkt[off]:
        off += 1 + pkt[off]
    return off + 1 + 4


def expected_reply(pkt, expect):
    """The exact reply bytes for a case (None for "drop"). Every case's query has flags 0
    (QR, opcode QUERY, no RD), so the reply's flags are QR plus the RCODE: no AA (nothing
    was answered from a zone), no RA, no OPT (nothing was read of the query's EDNS)."""
    if expect == "drop":
        return None
    rcode = {"FORMERR": FORMERR, "REFUSED": REFUSED}[expect.split("+")[0]]
    assert pkt[2:4] == b"\x00\x00", "a case whose expected reply is not computed here"
    if expect.endswith("+Q"):
        return pkt[:2] + struct.pack("!HHHHH", 0x8000 | rcode, 1, 0, 0, 0) + \
            pkt[12:question_end(pkt)]
    return pkt[:2] + struct.pack("!HHHHH", 0x8000 | rcode, 0, 0, 0, 0)


def sentinel_query(qid=SENTINEL_ID):
    return hdr(id=qid) + GOODQ


def assert_sentinel_answer(reply, qid=SENTINEL_ID):
    """The sentinel's answer: test.<dnsbl> A 127.0.0.2, authoritative."""
    r = dns.message.from_wire(reply)
    assert r.id == qid
    h.assert_a(r, "test." + DNSBL, "127.0.0.2")


def udp_exchange(srv, packets, qid=SENTINEL_ID, timeout=2.0):
    """Send packets, then the sentinel, from one UDP socket: the replies that came before
    the sentinel's answer, in order (everything nodd sent for packets)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        for p in packets:
            s.sendto(p, ("127.0.0.1", srv.port))
        s.sendto(sentinel_query(qid), ("127.0.0.1", srv.port))
        replies = []
        while True:
            r = s.recv(65535)
            if r[:2] == struct.pack("!H", qid):
                assert_sentinel_answer(r, qid)
                return replies
            replies.append(r)
    finally:
        s.close()


def frame(msg):
    return struct.pack("!H", len(msg)) + msg


def tcp_read_to_sentinel(s, qid=SENTINEL_ID):
    """Messages read from s up to the sentinel's answer (which is checked), in order."""
    replies = []
    while True:
        r = h.tcp_read_msg(s)
        assert r is not None, "connection closed or silent before the sentinel's answer"
        if r[:2] == struct.pack("!H", qid):
            assert_sentinel_answer(r, qid)
            return replies
        replies.append(r)


def read_to_end(s):
    """Everything s receives until nodd closes the connection: (bytes, "eof" or "reset").
    Fails when nodd keeps it open for the socket's whole timeout."""
    out = b""
    try:
        while True:
            chunk = s.recv(65535)
            if not chunk:
                return out, "eof"
            out += chunk
    except ConnectionResetError:
        return out, "reset"
    except socket.timeout:
        raise AssertionError("nodd kept the connection open (%d bytes received)" % len(out))


def bad_frames(srv):
    return h.metric_sum(srv.metrics(), "nodd_tcp_bad_frames_total")


def open_connections(srv):
    return h.metric_sum(srv.metrics(), "nodd_tcp_connections_open")


def wait_open_connections(srv, n):
    h.wait_for(lambda: open_connections(srv) == n, 10, interval=0.05,
               what="nodd_tcp_connections_open == %d" % n)


def assert_alive(n):
    assert n.alive(), "nodd exited (status %s):\n%s" % (n.proc.poll() if n.proc else None,
                                                         n.log_tail())
    h.assert_a(n.query("test." + DNSBL, "A"), "test." + DNSBL, "127.0.0.2")
    h.assert_a(n.query("test." + DNSBL, "A", tcp=True), "test." + DNSBL, "127.0.0.2")


@pytest.fixture(scope="module")
def srv(nodd_module):
    return nodd_module


@pytest.mark.parametrize("case", UDP_CASES, ids=[c[0] for c in UDP_CASES])
def test_udp_hostile(srv, case):
    """Over UDP each case gets exactly its expected reply, or none; nodd keeps serving."""
    _, pkt, expect = case
    want = expected_reply(pkt, expect)
    assert udp_exchange(srv, [pkt]) == ([] if want is None else [want])
    assert_alive(srv)


def test_udp_all_zeros_is_formerr(srv):
    """512 zero octets (ID 0, QUERY, QDCOUNT 0) get FORMERR with ID 0, QR=1, RD=0, and
    no record in any section (RFC 1035 4.1.1: the query cannot be interpreted); BIND 9
    and NSD send the same 12 octets."""
    reply = udp_exchange(srv, [b"\x00" * 512])
    assert len(reply) == 1
    r = dns.message.from_wire(reply[0])
    assert r.id == 0
    assert r.rcode() == dns.rcode.FORMERR
    assert dns.flags.to_text(r.flags) == "QR"
    assert r.opcode() == dns.opcode.QUERY
    assert (r.question, r.answer, r.authority, r.additional) == ([], [], [], [])
    assert r.edns < 0
    assert_alive(srv)


TCP_CASES = [c for c in UDP_CASES if 12 <= len(c[1]) <= 65535]


@pytest.mark.parametrize("case", TCP_CASES, ids=[c[0] for c in TCP_CASES])
def test_tcp_hostile_message(srv, case):
    """Over TCP each case of a header or more gets exactly the reply it gets over UDP, or
    none, and the connection stays open: a query after it on the same connection is
    answered."""
    _, pkt, expect = case
    want = expected_reply(pkt, expect)
    s = srv.tcp_connect()
    try:
        s.sendall(frame(pkt) + frame(sentinel_query()))
        assert tcp_read_to_sentinel(s) == ([] if want is None else [want])
    finally:
        s.close()
    assert_alive(srv)


@pytest.mark.parametrize("n", [0, 1, 5, 11])
def test_tcp_frame_shorter_than_header_closes(srv, n):
    """A length prefix below 12 (a zero-length frame included) makes nodd close the
    connection at once with no reply, counted in nodd_tcp_bad_frames_total."""
    before = bad_frames(srv)
    s = srv.tcp_connect()
    try:
        s.sendall(struct.pack("!H", n) + hdr()[:n])
        assert read_to_end(s) == (b"", "eof")
    finally:
        s.close()
    assert bad_frames(srv) == before + 1
    assert_alive(srv)


def test_tcp_zero_length_frame_ends_the_connection(srv):
    """A zero-length frame is not skipped: a query sent after it in the same write is
    never answered, the connection is closed with no reply."""
    before = bad_frames(srv)
    s = srv.tcp_connect()
    try:
        s.sendall(b"\x00\x00" + frame(sentinel_query()))
        assert read_to_end(s) == (b"", "eof")
    finally:
        s.close()
    assert bad_frames(srv) == before + 1
    assert_alive(srv)


@pytest.mark.parametrize("sent", [
    pytest.param(b"\x00", id="one-octet-of-the-prefix"),
    pytest.param(struct.pack("!H", 300) + hdr() + GOODQ, id="prefix-300-then-fewer"),
    pytest.param(struct.pack("!H", 12 + len(GOODQ)) + hdr() + GOODQ[:-1], id="one-octet-short"),
])
def test_tcp_client_ends_mid_frame(srv, sent):
    """A client that ends its side (shutdown) in the middle of a length prefix or of the
    message it announced gets no reply: nodd answers only complete messages, and closes
    the connection on the client's end of stream. It is not a bad frame."""
    before = bad_frames(srv)
    s = srv.tcp_connect()
    try:
        s.sendall(sent)
        s.shutdown(socket.SHUT_WR)
        assert read_to_end(s) == (b"", "eof")
    finally:
        s.close()
    assert bad_frames(srv) == before
    assert_alive(srv)


@pytest.mark.parametrize("sent", [
    pytest.param(b"\x00", id="one-octet-of-the-prefix"),
    pytest.param(struct.pack("!H", 300) + hdr() + GOODQ, id="prefix-300-then-fewer"),
])
def test_tcp_client_closes_mid_frame(srv, sent):
    """A client that closes its socket in the middle of a frame: nodd frees the
    connection (nodd_tcp_connections_open back to 0) and keeps serving."""
    wait_open_connections(srv, 0)
    s = srv.tcp_connect()
    s.sendall(sent)
    wait_open_connections(srv, 1)
    s.close()
    wait_open_connections(srv, 0)
    assert_alive(srv)


def test_tcp_stalled_connections_do_not_block_others(srv):
    """Five connections each stalled in a frame that promises 500 octets and sends 6 stay
    open and unanswered, while pipelined queries on a sixth are answered in order."""
    wait_open_connections(srv, 0)
    stalled = []
    try:
        for _ in range(5):
            s = srv.tcp_connect()
            s.sendall(struct.pack("!H", 500) + hdr()[:6])  # never completed
            stalled.append(s)
        s = srv.tcp_connect()
        try:
            s.sendall(b"".join(frame(hdr(id=100 + i) + GOODQ) for i in range(3)))
            ids = [struct.unpack("!H", h.tcp_read_msg(s)[:2])[0] for _ in range(3)]
            assert ids == [100, 101, 102]
            assert open_connections(srv) == 6
        finally:
            s.close()
        for st in stalled:
            st.setblocking(False)
            with pytest.raises(BlockingIOError):  # open, and nothing was sent on it
                st.recv(1)
        assert_alive(srv)
    finally:
        for st in stalled:
            st.close()
    wait_open_connections(srv, 0)


def test_tcp_reset_connections(srv):
    """Twenty connections reset (RST) in the middle of a query are all freed and nodd
    keeps serving."""
    wait_open_connections(srv, 0)
    for i in range(20):
        s = srv.tcp_connect()
        q = hdr(id=i) + GOODQ
        s.sendall(struct.pack("!H", len(q)) + q[: 10 + i % 10])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
        s.close()
    wait_open_connections(srv, 0)
    assert_alive(srv)


def test_tcp_garbage_stream(srv):
    """20000 random octets (fixed seed) whose first two announce a longer frame than
    follows: no reply, and nodd closes the connection when the client ends its side."""
    rnd = random.Random(99)
    data = bytes(rnd.getrandbits(8) for _ in range(20000))
    assert struct.unpack("!H", data[:2])[0] > len(data) - 2  # what this seed gives
    s = srv.tcp_connect()
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        assert read_to_end(s) == (b"", "eof")
    finally:
        s.close()
    assert_alive(srv)


def answered(p):
    """Whether nodd replies to p (default configuration: no upstreams, so NOTIFY gets
    NOTIMP): every message of a header or more with QR=0 gets one reply."""
    return len(p) >= 12 and not p[2] & 0x80


def _blast(srv, packets):
    """Send the packets from one UDP socket and check that nodd answered exactly those
    that answered() says, once each, each reply a response (QR=1)."""
    ids = {p[:2] for p in packets if len(p) >= 2}
    qid = next(i for i in range(1, 65536) if struct.pack("!H", i) not in ids)
    replies = udp_exchange(srv, packets, qid=qid)
    for r in replies:
        assert len(r) >= 12, "reply shorter than a header: %r" % r
        assert r[2] & 0x80, "reply without QR"
    assert [r[:2] for r in replies] == [p[:2] for p in packets if answered(p)]
    return replies


def test_udp_random_bytes_fixed_seed(srv):
    """400 random datagrams (fixed seed, 0 to 4096 octets): each one of a header or more
    with QR=0 gets exactly one reply, the others none."""
    rnd = random.Random(20240611)
    lengths = [0, 1, 2, 11, 12, 13, 17, 29, 40, 64, 100, 255, 512, 1232, 1500, 4096]
    packets = []
    for i in range(400):
        n = rnd.choice(lengths)
        packets.append(bytes(rnd.getrandbits(8) for _ in range(n)))
    for chunk in range(0, len(packets), 100):
        _blast(srv, packets[chunk:chunk + 100])
        assert_alive(srv)


def test_udp_mutated_queries_fixed_seed(srv):
    """Byte flips, truncations and splices of good queries (fixed seed), QR cleared: each
    one of a header or more gets exactly one reply, the shorter ones none."""
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
        _blast(srv, packets[chunk:chunk + 100])
        assert_alive(srv)


CORPUS = sorted(glob.glob(os.path.join(h.ROOT, "tests", "fuzz", "corpus", "*", "*")))


def _corpus_packets():
    packets = []
    for p in CORPUS:
        if os.path.isfile(p):
            with open(p, "rb") as f:
                data = f.read()
            if len(data) <= 65535:
                packets.append(data)
    return packets


@pytest.mark.skipif(not CORPUS, reason="no fuzz corpus under tests/fuzz/corpus/")
def test_fuzz_corpus_replayed_as_queries(srv):
    """Every fuzz corpus file sent as a UDP query gets exactly the replies answered() says;
    the first 200 sent over TCP each get one reply (QR=0), none with the connection kept
    open (QR=1), or a closed connection (shorter than a header)."""
    packets = _corpus_packets()
    for i in range(0, len(packets), 50):
        _blast(srv, packets[i:i + 50])
    assert_alive(srv)
    for data in packets[:200]:
        s = srv.tcp_connect()
        try:
            if len(data) < 12:
                s.sendall(frame(data))
                assert read_to_end(s) == (b"", "eof")
                continue
            qid = next(i for i in range(1, 65536) if struct.pack("!H", i) != data[:2])
            s.sendall(frame(data) + frame(sentinel_query(qid)))
            replies = tcp_read_to_sentinel(s, qid)
            assert [r[:2] for r in replies] == ([data[:2]] if answered(data) else [])
        finally:
            s.close()
    assert_alive(srv)
