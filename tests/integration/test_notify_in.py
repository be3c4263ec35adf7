"""NOTIFY in from a real BIND primary whose zone transfers need a TSIG key, as BIND and
NSD take it: by default an unsigned NOTIFY (a plain `also-notify`) and a signed one both
make nodd transfer the new serial at once; with `notify-key: required` the unsigned one is
refused (logged, counted, the serial stays) and the signed one works. The refresh timers
are an hour, so only the NOTIFY can explain a transfer within the test."""
import os
import shutil
import struct

import dns.message
import dns.opcode
import dns.tsig
import pytest

import nodd_harness as h
from bind_util import KEY, Named, SECRET, ZONE


@pytest.fixture
def need_named():
    if not (shutil.which("named") or os.path.exists("/usr/sbin/named")) or not shutil.which("nsupdate"):
        pytest.skip("named and nsupdate are needed (Debian: bind9, bind9-dnsutils)")


def held_serial(n):
    return n.api("GET", "/api/v1/status")[1]["upstreams"][0]["serial"]


def start_pair(tmp_path, nodd_factory, signed_notify, notify_key=None):
    """named (transfers need the key; NOTIFY signed or not) and nodd following it with
    hour-long timers, after the first transfer."""
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, key=True, notify_key=signed_notify)
    n.extra = ("keys:\n  - name: %s\n    algorithm: hmac-sha512\n    secret: \"%s\"\n"
               "upstreams:\n  - zone: %s.\n    primaries: [127.0.0.1@%d]\n    key: %s\n"
               "    refresh-min: 1h\n    refresh-max: 1h\n    retry-min: 1h\n    retry-max: 1h\n"
               % (KEY, SECRET, ZONE, named.port, KEY))
    if notify_key:
        n.extra += "    notify-key: %s\n" % notify_key
    n.write_config()
    n.start()
    h.wait_for(lambda: held_serial(n) == named.serial(), 15, what="the first transfer")
    return n, named


@pytest.mark.parametrize("signed_notify", [False, True], ids=["unsigned", "signed"])
def test_notify_from_the_primary_is_taken_signed_or_not(tmp_path, nodd_factory, need_named,
                                                        signed_notify):
    """Default notify-key (optional): the primary's NOTIFY, with or without the key,
    brings the new serial and its new name; nothing is refused."""
    n, named = start_pair(tmp_path, nodd_factory, signed_notify)
    try:
        before = held_serial(n)
        named.update("add notified.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        after = named.serial()
        assert after != before
        h.wait_for(lambda: held_serial(n) == after, 10, what="the NOTIFY-driven transfer")
        assert n.a_code("notified.%s" % ZONE) == "127.0.0.2"
        m = n.metrics()
        assert h.metric_sum(m, "nodd_upstream_notify_total", zone=ZONE) >= 1
        assert h.metric_sum(m, "nodd_notify_in_refused_total") == 0
        assert "NOTIFY from 127.0.0.1" not in n.log_text()
    finally:
        named.stop()


def test_notify_key_required_refuses_an_unsigned_notify(tmp_path, nodd_factory, need_named):
    """notify-key: required: the primary's unsigned NOTIFY is refused with a log line and
    a count, and the serial stays where it was."""
    n, named = start_pair(tmp_path, nodd_factory, False, notify_key="required")
    try:
        before = held_serial(n)
        # named's NOTIFY at its own start may have come too: count from here
        refused = h.metric_sum(n.metrics(), "nodd_notify_in_refused_total")
        named.update("add ignored.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        h.wait_for(lambda: h.metric_sum(n.metrics(), "nodd_notify_in_refused_total") > refused,
                   10, what="the update's NOTIFY refused")
        line = "NOTIFY from 127.0.0.1 for %s: unsigned, and the upstream has notify-key: " \
               "required; refused" % ZONE
        assert line in n.log_text()
        assert h.metric_sum(n.metrics(), "nodd_upstream_notify_total", zone=ZONE) == 0
        # a refused NOTIFY wakes nothing: the SOA probes stay at the first one
        assert h.metric_sum(n.metrics(), "nodd_upstream_probes_total", zone=ZONE) == 1
        assert held_serial(n) == before != named.serial()
        assert n.a_code("ignored.%s" % ZONE) == "NXDOMAIN"
    finally:
        named.stop()


def test_notify_key_required_takes_a_signed_notify(tmp_path, nodd_factory, need_named):
    """notify-key: required: the primary's NOTIFY signed with the upstream's key works."""
    n, named = start_pair(tmp_path, nodd_factory, True, notify_key="required")
    try:
        named.update("add signednotify.%s. 300 NS ns1.%s." % (ZONE, ZONE))
        after = named.serial()
        h.wait_for(lambda: held_serial(n) == after, 10, what="the NOTIFY-driven transfer")
        assert n.a_code("signednotify.%s" % ZONE) == "127.0.0.2"
        assert h.metric_sum(n.metrics(), "nodd_notify_in_refused_total") == 0
    finally:
        named.stop()


def test_badly_signed_notify_is_rejected(nodd_factory):
    """From the primary's address, default notify-key: a NOTIFY signed with a wrong secret
    is answered NOTAUTH with TSIG error BADSIG, one signed with an unknown key NOTAUTH with
    BADKEY; neither wakes a probe. An unsigned one is taken (NOERROR)."""
    n = nodd_factory(start=False)
    n.extra = ("keys:\n  - name: %s\n    algorithm: hmac-sha512\n    secret: \"%s\"\n"
               "upstreams:\n  - zone: %s.\n    primaries: [127.0.0.1@%d]\n    key: %s\n"
               "    refresh-min: 1h\n    refresh-max: 1h\n    retry-min: 1h\n    retry-max: 1h\n"
               % (KEY, SECRET, ZONE, h.free_port(), KEY))
    n.write_config()
    n.start()

    def notify(keyname=None, secret=None):
        q = dns.message.make_query(ZONE + ".", "SOA")
        q.set_opcode(dns.opcode.NOTIFY)
        if keyname:
            q.use_tsig(dns.tsig.Key(keyname, secret, dns.tsig.HMAC_SHA512))
        return n.udp_raw(q.to_wire(), timeout=2)

    wrong = "d3Jvbmcgc2VjcmV0LCB3cm9uZyBzZWNyZXQsIHdyb25nIHNlY3JldCE="
    for keyname, secret, tsig_error in ((KEY, wrong, 16), ("no-such-key", SECRET, 17)):
        r = notify(keyname, secret)
        assert r[3] & 0x0F == 9, (keyname, r.hex())                    # NOTAUTH
        assert struct.unpack("!H", r[-4:-2])[0] == tsig_error, r.hex()  # TSIG Error
    assert h.metric_sum(n.metrics(), "nodd_notify_in_refused_total") == 2
    assert h.metric_sum(n.metrics(), "nodd_upstream_notify_total", zone=ZONE) == 0
    assert "NOTIFY from 127.0.0.1 for %s: TSIG BADSIG; rejected" % ZONE in n.log_text()
    r = notify()
    assert r[3] & 0x0F == 0, r.hex()                                   # NOERROR
    assert h.metric_sum(n.metrics(), "nodd_upstream_notify_total", zone=ZONE) == 1
