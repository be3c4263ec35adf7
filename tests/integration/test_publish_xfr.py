"""Issue 4: transfers out with dig -y (access and TSIG errors), IXFR from every recent
serial equal to the AXFR difference, and the written files (named-checkzone, rbldnsd)."""
import base64
import os
import shutil
import signal
import subprocess
import time

import dns.message
import dns.query
import dns.rdatatype
import dns.tsigkeyring
import dns.zone
import pytest

import nodd_harness as h

KEY = "nod-xfr"
SECRET = base64.b64encode(b"nodd xfr test secret, 32 bytes!!").decode()
WRONG = base64.b64encode(b"not the secret that nodd knows!!").decode()
Z5 = "5m.rpz." + h.SUFFIX


def nodd_with(nodd_factory, tmp_path, allow="    - key: %s\n" % KEY, files=False):
    extra = ("keys:\n  - name: %s\n    algorithm: hmac-sha256\n    secret: \"%s\"\n"
             "transfer:\n  allow:\n%s  min-interval: 1s\n" % (KEY, SECRET, allow))
    if files:
        os.makedirs(str(tmp_path / "files"), exist_ok=True)
        extra += "files:\n  dir: %s\n  interval: 1s\n" % (tmp_path / "files")
    return nodd_factory(extra=extra)


def dig(n, *args):
    r = subprocess.run(["dig", "@127.0.0.1", "-p", str(n.port)] + list(args),
                       capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


@pytest.fixture
def need_dig():
    if not shutil.which("dig"):
        pytest.skip("dig is not installed (Debian: bind9-dnsutils)")


def test_axfr_access_and_tsig_errors(tmp_path, nodd_factory, need_dig):
    n = nodd_with(nodd_factory, tmp_path, allow="    - key: %s\n    - address: 127.0.0.2/32\n" % KEY)
    n.observe("listed.nodtld")
    time.sleep(1.2)
    ok = dig(n, Z5, "AXFR", "-y", "hmac-sha256:%s:%s" % (KEY, SECRET))
    assert "listed.nodtld.%s." % Z5 in ok and "*.listed.nodtld.%s." % Z5 in ok, ok
    assert "tsig verify failure" not in ok.lower()
    # no key, from an address that is not listed (127.0.0.1; only .2 is)
    nokey = dig(n, Z5, "AXFR", "+tcp")
    assert "Transfer failed" in nokey and "listed.nodtld" not in nokey, nokey
    q = dns.message.make_query(Z5, "AXFR")
    r = dns.query.tcp(q, "127.0.0.1", port=n.port, timeout=5)
    assert r.rcode() == dns.rcode.REFUSED
    # no key from the listed address works
    r = subprocess.run(["dig", "@127.0.0.1", "-p", str(n.port), "-b", "127.0.0.2", Z5, "AXFR"],
                       capture_output=True, text=True, timeout=30).stdout
    assert "listed.nodtld.%s." % Z5 in r, r
    # wrong secret: BADSIG, unsigned
    bad = dig(n, Z5, "AXFR", "-y", "hmac-sha256:%s:%s" % (KEY, WRONG))
    assert "BADSIG" in bad or "tsig verify failure" in bad.lower() or "NOTAUTH" in bad, bad
    kr = dns.tsigkeyring.from_text({KEY: WRONG})
    q = dns.message.make_query(Z5, "SOA")
    q.use_tsig(kr, keyname=KEY, algorithm="hmac-sha256")
    try:
        r = dns.query.tcp(q, "127.0.0.1", port=n.port, timeout=5)
        raise AssertionError("a reply to a wrong MAC verified: " + r.to_text())
    except dns.tsig.PeerBadSignature:
        pass
    # unknown key: BADKEY
    kr = dns.tsigkeyring.from_text({"no-such-key": SECRET})
    q = dns.message.make_query(Z5, "SOA")
    q.use_tsig(kr, keyname="no-such-key", algorithm="hmac-sha256")
    with pytest.raises(dns.tsig.PeerBadKey):
        dns.query.tcp(q, "127.0.0.1", port=n.port, timeout=5)
    # stale time: BADTIME, signed with the client's key (the request is rendered once with
    # a clock 1000 s behind and sent as is)
    kr = dns.tsigkeyring.from_text({KEY: SECRET})
    q = dns.message.make_query(Z5, "SOA")
    q.use_tsig(kr, keyname=KEY, algorithm="hmac-sha256")
    real = time.time
    try:
        time.time = lambda: real() - 1000
        wire = q.to_wire()
    finally:
        time.time = real
    import socket
    import struct
    s = socket.create_connection(("127.0.0.1", n.port), timeout=5)
    s.sendall(struct.pack("!H", len(wire)) + wire)
    ln = struct.unpack("!H", h.tcp_read_exact(s, 2))[0]
    data = h.tcp_read_exact(s, ln)
    s.close()
    with pytest.raises(dns.tsig.PeerBadTime):
        dns.message.from_wire(data, keyring=kr, request_mac=q.mac)


def _axfr_names(n, zone):
    kr = dns.tsigkeyring.from_text({KEY: SECRET})
    q = dns.message.make_query(zone, "AXFR")
    q.use_tsig(kr, keyname=KEY, algorithm="hmac-sha256")
    rrs = set()
    serial = None
    for m in dns.query.xfr("127.0.0.1", zone, port=n.port, keyring=kr, keyname=KEY,
                           keyalgorithm="hmac-sha256", lifetime=20, relativize=False):
        for rrset in m.answer:
            for rd in rrset:
                if rrset.rdtype == dns.rdatatype.SOA:
                    serial = rd.serial
                    continue
                rrs.add((rrset.name.to_text(), rrset.rdtype, rd.to_text()))
    return serial, rrs


def _ixfr_apply(n, zone, from_serial, base):
    """Apply nodd's IXFR from from_serial (fetched and TSIG-verified by dig -y) to base (a
    set of records) and return the result and the final serial. Fails on a delete of an
    absent record or an add of a present one, which make BIND fall back to AXFR."""
    out = dig(n, zone, "IXFR=%d" % from_serial, "-y", "hmac-sha256:%s:%s" % (KEY, SECRET),
              "+noall", "+answer")
    rrs = []
    for line in out.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        f = line.split(None, 4)
        rrs.append((f[0], dns.rdatatype.from_text(f[3]), f[4].strip()))
    assert rrs and rrs[0][1] == dns.rdatatype.SOA, out
    final = int(rrs[0][2].split()[2])
    if len(rrs) == 1:
        return set(base), final
    assert rrs[1][1] == dns.rdatatype.SOA and int(rrs[1][2].split()[2]) == from_serial, \
        "not an incremental answer from %d: %s" % (from_serial, out)
    cur = set(base)
    mode = None
    for name, t, rd in rrs[1:-1]:
        if t == dns.rdatatype.SOA:
            mode = "del" if mode in (None, "add") else "add"
            continue
        key = (name, t, rd)
        if mode == "del":
            assert key in cur, "IXFR deletes a record the client does not have: %s" % (key,)
            cur.discard(key)
        else:
            assert key not in cur, "IXFR adds a record the client has: %s" % (key,)
            cur.add(key)
    return cur, final


def test_ixfr_from_every_recent_serial_equals_the_axfr_difference(tmp_path, nodd_factory):
    n = nodd_with(nodd_factory, tmp_path)
    now = int(time.time())
    versions = []
    for i in range(5):
        n.observe_many([{"domain": "v%d-%d.nodtld" % (i, k), "first_seen": now - 10 * k}
                        for k in range(3)])
        time.sleep(1.2)  # one version per min-interval
        serial, rrs = _axfr_names(n, Z5)
        versions.append((serial, rrs))
    last_serial, last = versions[-1]
    assert len({v[0] for v in versions}) == 5, "five distinct versions: %s" % [v[0] for v in versions]
    for serial, rrs in versions[:-1]:
        got, final = _ixfr_apply(n, Z5, serial, rrs)
        assert final == last_serial
        assert got == last, "IXFR from %d differs from the AXFR of %d" % (serial, last_serial)
    # the current serial: the lone SOA
    got, final = _ixfr_apply(n, Z5, last_serial, last)
    assert got == last and final == last_serial


def test_written_files_load_in_named_checkzone_and_rbldnsd(tmp_path, nodd_factory):
    if not shutil.which("rbldnsd"):
        pytest.skip("rbldnsd is not installed")
    n = nodd_with(nodd_factory, tmp_path, files=True)
    now = int(time.time())
    n.observe("fresh.nodtld", first_seen=now - 30)
    n.observe("middle.nodtld", first_seen=now - 2000)
    n.observe("old.nodtld", first_seen=now - 50000)
    fdir = str(tmp_path / "files")
    dnset = os.path.join(fdir, "nod.rbldnsd")
    h.wait_for(lambda: os.path.exists(dnset) and "old.nodtld" in open(dnset).read(), 10,
               what="the dnset file with the names")
    zf = os.path.join(fdir, "rpz", "24h.rpz.%s.zone" % h.SUFFIX)
    if shutil.which("named-checkzone") and os.path.exists(zf):
        r = subprocess.run(["named-checkzone", "24h.rpz." + h.SUFFIX, zf], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    # rbldnsd serving the file answers like nodd
    port = h.free_port()
    os.chmod(fdir, 0o755)
    os.chmod(dnset, 0o644)
    args = ["rbldnsd", "-n", "-f", "-a", "-b", "127.0.0.1/%d" % port, "-r", fdir, "-w", "/",
            "v1.bl.%s:dnset:nod.rbldnsd" % h.SUFFIX]
    if os.geteuid() == 0:
        args[1:1] = ["-u", "nobody"]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def ask(port_, name, qtype):
            q = dns.message.make_query("%s.v1.bl.%s" % (name, h.SUFFIX), qtype)
            return dns.query.udp(q, "127.0.0.1", port=port_, timeout=2)
        h.wait_for(lambda: _try(lambda: ask(port, "fresh.nodtld", "A")), 10, what="rbldnsd up")
        for name in ("fresh.nodtld", "middle.nodtld", "old.nodtld", "mail.fresh.nodtld",
                     "unlisted.nodtld", "nodtld", "test"):
            for qtype in ("A", "TXT"):
                a, b = ask(n.port, name, qtype), ask(port, name, qtype)
                ra = sorted(rd.to_text() for rs in a.answer for rd in rs)
                rb = sorted(rd.to_text() for rs in b.answer for rd in rs)
                listed = a.rcode() == dns.rcode.NOERROR and ra
                assert ra == rb or (name == "test" and qtype == "TXT"), (name, qtype, ra, rb)
                if listed:
                    assert b.rcode() == dns.rcode.NOERROR
                elif name != "nodtld":
                    assert b.rcode() == dns.rcode.NXDOMAIN and a.rcode() == dns.rcode.NXDOMAIN, (name, qtype)
    finally:
        p.kill()
        p.wait(5)


def _try(f):
    try:
        return f()
    except Exception:
        return None
