"""A scripted TSIG upstream for zone nodtest. (dnspython), for what static ldns-testns data
cannot do: a baseline AXFR correctly signed for nodd's request, then transfers of serial 2
whose TSIG is wrong in one way. The mode is read from a file at every query, so a test
switches it after the baseline.

Modes: good (serial 1); bad_mac, unknown_key, stale_time, unsigned_end (serial 2: the SOA
answer is good, the transfer's second message is bad in that way).

Run as a program: secondary_util.py MODEFILE prints its TCP port, then serves."""
import os
import socketserver
import struct
import subprocess
import sys
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring

KEY = "nod-scripted"
SECRET = "c2NyaXB0ZWQgdXBzdHJlYW0ga2V5LCBzaXh0eS1mb3VyIG9jdGV0cyBmb3IgaG1hYy1zaGE1MTIhISEhISEh"
ALGO = dns.tsig.HMAC_SHA512
ZONE = "nodtest."


def _soa(serial):
    return dns.rrset.from_text(ZONE, 300, "IN", "SOA",
                               "ns1.nodtest. hostmaster.nodtest. %d 60 60 3600 60" % serial)


def _rr(text):
    owner, ttl, cls, rtype, rdata = text.split(None, 4)
    return dns.rrset.from_text(owner, int(ttl), cls, rtype, rdata)


BASE = ["nodtest. 300 IN NS ns1.nodtest.", "ns1.nodtest. 300 IN A 127.0.0.1",
        "old.nodtest. 300 IN NS ns1.nodtest."]
EVIL = "evil.nodtest. 300 IN NS ns1.nodtest."


def _messages(q, mode):
    """The answer to q as a list of rrset lists, one per message."""
    qtype = q.question[0].rdtype
    serial = 1 if mode == "good" else 2
    if qtype == dns.rdatatype.SOA:
        return [[_soa(serial)]]
    if qtype == dns.rdatatype.IXFR and serial == 2:
        return [[_soa(2), _soa(1), _soa(2)], [_rr(EVIL), _soa(2)]]
    body = [_rr(t) for t in BASE] + ([_rr(EVIL)] if serial == 2 else [])
    return [[_soa(serial)] + body, [_soa(serial)]]


def _render(q, msgs, mode, keyring):
    """Wire of each message, signed as the mode says (only transfers of serial 2 are bad)."""
    out, ctx = [], None
    real_time = time.time
    for i, rrsets in enumerate(msgs):
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        r.answer = rrsets
        bad = i == 1 and mode != "good"
        if q.had_tsig and bad and mode == "unknown_key":
            r.use_tsig(dns.tsig.Key("no-such-key.", SECRET, ALGO))
        if q.had_tsig and bad and mode == "unsigned_end":
            r.tsig = None
        if bad and mode == "stale_time":
            dns.message.time.time = lambda: real_time() - 1000
        try:
            w = r.to_wire(multi=len(msgs) > 1, tsig_ctx=ctx) if q.had_tsig else r.to_wire()
        finally:
            dns.message.time.time = real_time
        ctx = getattr(r, "tsig_ctx", None)
        if q.had_tsig and bad and mode == "bad_mac":
            # the MAC ends 6 octets before the end (original ID, error, other length 0)
            b = bytearray(w)
            b[-7] ^= 0x55
            w = bytes(b)
        out.append(w)
    return out


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        keyring = dns.tsigkeyring.from_text({KEY: (ALGO, SECRET)})
        sock = self.request
        sock.settimeout(30)
        while True:
            hdr = _recv(sock, 2)
            if not hdr:
                return
            wire = _recv(sock, struct.unpack("!H", hdr)[0])
            if wire is None:
                return
            with open(self.server.modefile) as f:
                mode = f.read().strip() or "good"
            try:
                q = dns.message.from_wire(wire, keyring=keyring)
            except Exception:
                return
            for w in _render(q, _messages(q, mode), mode, keyring):
                sock.sendall(struct.pack("!H", len(w)) + w)


def _recv(sock, n):
    buf = b""
    while len(buf) < n:
        try:
            c = sock.recv(n - len(buf))
        except OSError:
            return None
        if not c:
            return None
        buf += c
    return buf


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.modefile = sys.argv[1]
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


class TsigUpstream:
    """The scripted upstream as a child process; set_mode() switches what it serves."""

    def __init__(self, workdir):
        os.makedirs(str(workdir), exist_ok=True)
        self.modefile = os.path.join(str(workdir), "mode")
        self.set_mode("good")
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), self.modefile],
                                  stdout=subprocess.PIPE, text=True)
        self.port = int(self.p.stdout.readline())

    def set_mode(self, mode):
        with open(self.modefile + ".tmp", "w") as f:
            f.write(mode)
        os.replace(self.modefile + ".tmp", self.modefile)

    def yaml(self, key=KEY, secret=SECRET):
        return ("keys:\n  - name: %s\n    algorithm: hmac-sha512\n    secret: \"%s\"\n"
                "upstreams:\n  - zone: %s\n    primaries: [127.0.0.1@%d]\n    key: %s\n"
                "    refresh-min: 1s\n    refresh-max: 1s\n    retry-min: 1s\n    retry-max: 1s\n"
                % (key, secret, ZONE, self.port, key))

    def stop(self):
        self.p.kill()
        self.p.wait(5)


if __name__ == "__main__":
    main()
