"""NOTIFY out (RFC 1996) to a transfer.notify target: every zone is notified of a
new version, signed with the target's key; unanswered NOTIFYs are retried with backoff at
most 5 times and then given up (logged, counted); a verified answer stops the retries, an
unsigned (forged) answer to a signed NOTIFY does not.

The target is a UDP socket of this test (dnspython), so that it can choose when to answer:
a real BIND answers at once and never shows the retries."""
import base64
import signal
import time

import dns.flags
import dns.message
import dns.opcode
import dns.rdatatype
import dns.tsigkeyring

import nodd_harness as h

KEY = "nod-notify"
SECRET = base64.b64encode(b"nodd notify test secret 32 bytes").decode()


class Target(h.UdpServer):
    """Receives NOTIFYs; answers the zone `answer_zone` at its `answer_at`-th NOTIFY, signed,
    after answering the first one unsigned (a forgery nodd must ignore)."""

    def __init__(self, answer_zone, answer_at):
        self.kr = dns.tsigkeyring.from_text({KEY: SECRET})
        self.answer_zone, self.answer_at = answer_zone, answer_at
        self.got = {}          # zone -> list of (time, serial)
        self.unsigned = []     # zones of NOTIFYs without a verified TSIG
        super().__init__()

    def handle(self, data, peer):
        try:
            q = dns.message.from_wire(data, keyring=self.kr)
        except Exception:
            self.unsigned.append(data)
            return
        if q.opcode() != dns.opcode.NOTIFY or not q.had_tsig:
            self.unsigned.append(q.question[0].name.to_text() if q.question else "?")
            return
        zone = q.question[0].name.to_text().rstrip(".")
        serial = q.answer[0][0].serial if q.answer else None
        self.got.setdefault(zone, []).append((time.time(), serial))
        if zone != self.answer_zone:
            return
        n = len(self.got[zone])
        if n == 1:
            # a forged answer: right ID, no TSIG; nodd must keep retrying
            raw = dns.message.Message(id=q.id)
            raw.flags = dns.flags.QR | dns.flags.AA
            raw.set_opcode(dns.opcode.NOTIFY)
            raw.question = q.question
            self.sock.sendto(raw.to_wire(), peer)
        elif n == self.answer_at:
            r = dns.message.make_response(q)  # carries the request's TSIG context: signed
            self.sock.sendto(r.to_wire(), peer)

def test_notify_signed_retried_then_given_up(nodd_factory):
    z5 = "5m.rpz." + h.SUFFIX
    tgt = Target(answer_zone=z5, answer_at=3)
    try:
        n = nodd_factory(extra=(
            "keys:\n  - name: %s\n    algorithm: hmac-sha256\n    secret: \"%s\"\n"
            "transfer:\n  allow:\n    - key: %s\n  notify:\n"
            "    - address: 127.0.0.1@%d\n      key: %s\n  min-interval: 1s\n"
            % (KEY, SECRET, KEY, tgt.port, KEY)))
        start_serials = n.serials()
        n.observe("notified.nodtld")
        zones = ["%s.rpz.%s" % (w, h.SUFFIX) for w in h.WINDOWS] + [h.DNSBL]
        # every zone is notified of its new version, signed with the target's key
        h.wait_for(lambda: all(z in tgt.got for z in zones), 10, what="a NOTIFY for every zone")
        assert not tgt.unsigned, tgt.unsigned
        for z in zones:
            serial = tgt.got[z][0][1]
            assert serial is not None and serial != start_serials[z], (z, tgt.got[z])
        # the unanswered ones are sent 1 + 5 times (after 1, 2, 4, 8, 16 s), then given up
        h.wait_for(lambda: n.log_text().count("giving up") >= len(zones) - 1, 90,
                   interval=1, what="nodd giving up the unanswered NOTIFYs")
        for z in zones:
            if z == z5:
                continue
            sends = tgt.got[z]
            assert len(sends) == 6, (z, len(sends))
            assert len({s for _, s in sends}) == 1, "retries repeat the same serial"
            gaps = [b[0] - a[0] for a, b in zip(sends, sends[1:])]
            # backoff: each gap longer than the one before (the values are the log's business)
            assert all(g2 > g1 for g1, g2 in zip(gaps, gaps[1:])), gaps
        # the 5m zone: the forged unsigned answer to the first was ignored, the signed
        # answer to the third stopped the retries
        assert len(tgt.got[z5]) == 3, tgt.got[z5]
        assert "reply fails TSIG; ignored" in n.log_text(), n.log_tail()
        gave_up = [l for l in n.log_text().splitlines() if "giving up" in l]
        assert not [l for l in gave_up if " zone %s serial" % z5 in l], gave_up
        m = n.metrics()
        assert h.metric_sum(m, "nodd_notify_failed_total") == len(zones) - 1
        assert h.metric_sum(m, "nodd_notify_retries_total") == 5 * (len(zones) - 1) + 2
        # and the status says so per zone
        st = n.api("GET", "/api/v1/status")[1]["publish"]["notify"]
        assert len(st) == 1 and st[0]["address"] == "127.0.0.1@%d" % tgt.port, st
        for z in zones:
            q = st[0]["zones"][z]
            assert q["serial"] == tgt.got[z][0][1], (z, q)
            want = ("acknowledged", 3) if z == z5 else ("no answer", 6)
            assert (q["state"], q["tries"]) == want, (z, q)
    finally:
        tgt.close()


class AnsweringTarget(h.UdpServer):
    """Verifies every NOTIFY with the key it holds now (self.kr) and answers it, signed."""

    def __init__(self, secret):
        self.kr = dns.tsigkeyring.from_text({KEY: secret})
        self.verified = {}     # zone -> serials of NOTIFYs that verified
        self.failed = 0        # NOTIFYs that did not verify with self.kr
        super().__init__()

    def handle(self, data, peer):
        try:
            q = dns.message.from_wire(data, keyring=self.kr)
        except Exception:
            self.failed += 1
            return
        if q.opcode() != dns.opcode.NOTIFY or not q.had_tsig:
            self.failed += 1
            return
        zone = q.question[0].name.to_text().rstrip(".")
        self.verified.setdefault(zone, []).append(q.answer[0][0].serial)
        self.sock.sendto(dns.message.make_response(q).to_wire(), peer)


def test_notify_key_rotated_by_a_reload(nodd_factory):
    """A reload with a new secret for the target's key: the next NOTIFYs are signed with it
    (the target, now holding only the new secret, verifies them) and its signed answers are
    accepted (the status says acknowledged), without a restart."""
    z5 = "5m.rpz." + h.SUFFIX
    new_secret = base64.b64encode(b"the rotated nodd notify secret!!").decode()
    tgt = AnsweringTarget(SECRET)
    try:
        conf = ("keys:\n  - name: %s\n    algorithm: hmac-sha256\n    secret: \"%s\"\n"
                "transfer:\n  notify:\n    - address: 127.0.0.1@%d\n      key: %s\n"
                "  min-interval: 1s\n")
        n = nodd_factory(extra=conf % (KEY, SECRET, tgt.port, KEY))
        n.observe("before-rotation.nodtld")
        h.wait_for(lambda: z5 in tgt.verified, 10, what="a NOTIFY signed with the first secret")
        assert tgt.failed == 0
        n.extra = conf % (KEY, new_secret, tgt.port, KEY)
        n.write_config()
        n.send_signal(signal.SIGHUP)
        h.wait_for(lambda: "TSIG keys replaced" in n.log_text(), 5, 0.1, what="the keys replaced")
        tgt.kr = dns.tsigkeyring.from_text({KEY: new_secret})
        before = n.serial(z5)
        n.observe("after-rotation.nodtld")
        h.wait_for(lambda: any(s > before for s in tgt.verified[z5]), 10,
                   what="a NOTIFY of the new version signed with the new secret")
        assert tgt.failed == 0, "a NOTIFY after the reload was not signed with the new secret"

        def acknowledged():
            st = n.api("GET", "/api/v1/status")[1]["publish"]["notify"][0]["zones"][z5]
            return st if st["state"] == "acknowledged" and st["serial"] > before else None
        h.wait_for(acknowledged, 10, what="the signed answer accepted")
        assert "reply fails TSIG" not in n.log_text()
        assert "at the next restart" not in n.log_text()
    finally:
        tgt.close()
