"""Transfers out with dig -y (access and TSIG errors), IXFR from every recent
serial equal to the AXFR difference, and the written files (named-checkzone, rbldnsd)."""
import base64
import os
import pwd
import re
import shlex
import shutil
import subprocess
import time

import dns.message
import dns.query
import dns.rdatatype
import dns.tsigkeyring
import dns.zone
import pytest

import nodd_harness as h
from publish_util import doc_block, substitute

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
    before = {Z5: n.serial(Z5)}
    n.observe("listed.nodtld")
    n.wait_new_versions(before)
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
    # the error reply: the request's key and algorithm, MAC size 0 (unsigned), BADSIG
    assert re.search(r"\n%s\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\. \d+ 300 0 \d+ BADSIG 0 \n" % KEY,
                     bad), bad
    assert "; Transfer failed." in bad, bad
    kr = dns.tsigkeyring.from_text({KEY: WRONG})
    q = dns.message.make_query(Z5, "SOA")
    q.use_tsig(kr, keyname=KEY, algorithm="hmac-sha256")
    with pytest.raises(dns.tsig.PeerBadSignature):
        dns.query.tcp(q, "127.0.0.1", port=n.port, timeout=5)
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
    """Versions that add names and one where a name ages out (edge.nodtld leaves the 5m zone
    and its DNSBL code goes from .2 to .3 a few seconds in): from every earlier serial, the
    IXFR applied to that version's AXFR gives the current AXFR, deleting only records the
    client has and adding only records it lacks."""
    n = nodd_with(nodd_factory, tmp_path)
    now = int(time.time())
    n.observe("edge.nodtld", first_seen=now - 295)
    zones = (Z5, h.DNSBL)
    versions = {z: [] for z in zones}
    for i in range(6):
        before = {z: n.serial(z) for z in zones}
        n.observe_many([{"domain": "v%d-%d.nodtld" % (i, k), "first_seen": int(time.time()) - 10 * k}
                        for k in range(3)])
        n.wait_new_versions(before)  # one version per min-interval
        for z in zones:
            versions[z].append(_axfr_names(n, z))
    for z in zones:
        vs = versions[z]
        last_serial, last = vs[-1]
        assert len({v[0] for v in vs}) == len(vs), "distinct versions: %s" % [v[0] for v in vs]
        for serial, rrs in vs[:-1]:
            got, final = _ixfr_apply(n, z, serial, rrs)
            assert final == last_serial
            assert got == last, "%s: IXFR from %d differs from the AXFR of %d" % (z, serial, last_serial)
        # the current serial: the lone SOA
        got, final = _ixfr_apply(n, z, last_serial, last)
        assert got == last and final == last_serial
        # a serial never issued (older than the history) gets the zone AXFR-style; one
        # newer than ours the lone SOA (RFC 1995 2)
        assert _ixfr_style(n, z, 12345) == "axfr-style", z
        assert _ixfr_style(n, z, last_serial + 1000) == "current", z
    # the ageing out happened within the versions compared
    first5, last5 = versions[Z5][0][1], versions[Z5][-1][1]
    assert any(r[0] == "edge.nodtld.%s." % Z5 for r in first5)
    assert not any(r[0] == "edge.nodtld.%s." % Z5 for r in last5)
    edge = "edge.nodtld.%s." % h.DNSBL
    assert (edge, dns.rdatatype.A, "127.0.0.2") in versions[h.DNSBL][0][1]
    assert (edge, dns.rdatatype.A, "127.0.0.3") in versions[h.DNSBL][-1][1]
    # the DNSBL transfer carries the TXT first_seen at the name and its wildcard, as the
    # answers do, so a secondary (BIND, rbldnsd fed by it) can answer TXT too
    txt = '"first_seen=%d"' % (now - 295)
    for owner in (edge, "*." + edge):
        assert (owner, dns.rdatatype.TXT, txt) in versions[h.DNSBL][-1][1], versions[h.DNSBL][-1][1]
    rpz = versions[Z5][0][1]
    assert ("*.edge.nodtld.%s." % Z5, dns.rdatatype.CNAME, ".") in rpz, rpz


def _ixfr_style(n, zone, from_serial):
    """'incremental', 'axfr-style' or 'current' for nodd's IXFR answer from from_serial."""
    out = dig(n, zone, "IXFR=%d" % from_serial, "-y", "hmac-sha256:%s:%s" % (KEY, SECRET),
              "+noall", "+answer")
    types = [l.split(None, 4)[3] for l in out.splitlines() if l.strip() and not l.startswith(";")]
    assert types and types[0] == "SOA", out
    if len(types) == 1:
        return "current"
    return "incremental" if types[1] == "SOA" else "axfr-style"


def test_ixfr_history_survives_restart(tmp_path, nodd_factory):
    """The versions, the names' "added" stamps and the history floor are stored: after a
    restart, IXFR from versions made before it is still incremental and exact. A lowered
    first_seen (an import of older data) makes the versions before it AXFR-style, before and
    after a restart."""
    n = nodd_with(nodd_factory, tmp_path)
    zones = (Z5, h.DNSBL)
    versions = {z: [] for z in zones}

    def new_version(i):
        before = {z: n.serial(z) for z in zones}
        n.observe_many([{"domain": "r%d-%d.nodtld" % (i, k), "first_seen": int(time.time()) - 100 * k}
                        for k in range(3)])
        n.wait_new_versions(before)  # one version per min-interval
        for z in zones:
            versions[z].append(_axfr_names(n, z))

    for i in range(3):
        new_version(i)
    before = {z: versions[z][-1][0] for z in zones}
    n.restart()
    for z in zones:
        assert n.serial(z) == before[z], "a restart without changes keeps the serial"
    new_version(3)
    for z in zones:
        vs = versions[z]
        last_serial, last = vs[-1]
        for serial, rrs in vs[:-1]:
            assert _ixfr_style(n, z, serial) == "incremental", (z, serial)
            got, final = _ixfr_apply(n, z, serial, rrs)
            assert final == last_serial and got == last, \
                "%s: IXFR from %d (before the restart) differs from the AXFR of %d" % (z, serial, last_serial)

    # an earlier first_seen for a listed name: older versions are no longer diffable
    before = {z: n.serial(z) for z in zones}
    n.observe("r3-0.nodtld", first_seen=int(time.time()) - 2000)
    n.wait_new_versions(before)
    for z in zones:
        versions[z].append(_axfr_names(n, z))
    for restarted in (False, True):
        if restarted:
            n.restart()
        for z in zones:
            assert _ixfr_style(n, z, versions[z][0][0]) == "axfr-style", (z, restarted)
            assert _ixfr_style(n, z, versions[z][-1][0]) == "current", (z, restarted)
    # versions made after the lowering are diffable across the restart
    new_version(4)
    for z in zones:
        got, final = _ixfr_apply(n, z, versions[z][-2][0], versions[z][-2][1])
        assert final == versions[z][-1][0] and got == versions[z][-1][1], z


def test_name_committed_just_before_a_stop_gets_a_version_after_restart(tmp_path, nodd_factory):
    """A name committed less than min-interval before nodd stops is in no version yet: after
    the restart the first tick makes one, so secondaries holding the old serial get it (the
    serial must not stay the same while the content grew)."""
    extra = ("keys:\n  - name: %s\n    algorithm: hmac-sha256\n    secret: \"%s\"\n"
             "transfer:\n  allow:\n    - key: %s\n  min-interval: 5s\n" % (KEY, SECRET, KEY))
    n = nodd_factory(extra=extra)
    old_serial, old = _axfr_names(n, Z5)
    n.observe("late.nodtld")
    n.stop()                    # within the 5 s min-interval: no version made yet
    n.start()
    h.wait_for(lambda: n.serial(Z5) != old_serial, 15, what="a new version after the restart")
    serial, rrs = _axfr_names(n, Z5)
    assert ("late.nodtld.%s." % Z5, dns.rdatatype.CNAME, ".") in rrs, rrs
    got, final = _ixfr_apply(n, Z5, old_serial, old)
    assert final == serial and got == rrs


def test_written_files_load_in_named_checkzone_and_rbldnsd_after_rsync(tmp_path, nodd_factory):
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
    # files are replaced by rename, never rewritten in place: a reader holding the old file
    # keeps a complete copy, the path gets a new inode, and no temporary file is left over
    with open(dnset) as held:
        ino = os.stat(dnset).st_ino
        n.observe("later.nodtld", first_seen=now - 10)
        h.wait_for(lambda: "later.nodtld" in open(dnset).read(), 10, what="the next write")
        assert os.stat(dnset).st_ino != ino, "the dnset file was rewritten in place"
        old_text = held.read()
        assert "old.nodtld" in old_text and "later.nodtld" not in old_text
    def strays():
        return (sorted(f for f in os.listdir(fdir) if f not in ("nod.rbldnsd", "rpz")) +
                [f for f in os.listdir(os.path.join(fdir, "rpz")) if not f.endswith(".zone")])
    # (a write in progress has its temporary file for a moment: wait for a moment without)
    h.wait_for(lambda: not strays(), 5, interval=0.05, what="no temporary files left: %s" % strays())
    # every RPZ file loads in named-checkzone and lists the names of its window
    ages = {"fresh.nodtld": 30, "middle.nodtld": 2000, "old.nodtld": 50000}
    for w in h.WINDOWS:
        z = "%s.rpz.%s" % (w, h.SUFFIX)
        zf = os.path.join(fdir, "rpz", z + ".zone")
        if shutil.which("named-checkzone"):
            r = subprocess.run(["named-checkzone", "-D", "-o", "-", z, zf],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stdout + r.stderr
            owners = {l.split()[0].lower() for l in r.stdout.splitlines() if l.strip()}
            for name, age in ages.items():
                want = age < h.WINDOW_SECONDS[w]
                assert ("%s.%s." % (name, z) in owners) == want, (z, name, r.stdout)
                assert ("*.%s.%s." % (name, z) in owners) == want, (z, name, r.stdout)
    # docs/consumers.md's rsync + rbldnsd recipe: rsync copies the files to a mirror and
    # rbldnsd serves the mirror, answering like nodd
    port = h.free_port()
    os.chmod(fdir, 0o755)
    os.chmod(dnset, 0o644)
    mirror = str(tmp_path / "mirror")
    recipe = doc_block("rbldnsd").splitlines()
    sync_line = [l for l in recipe if l.startswith("rsync ")]
    assert len(sync_line) == 1, recipe
    sync = _rsync_cmd(tmp_path, sync_line[0], fdir, mirror) if shutil.which("rsync") else None
    if sync:
        sync()
    else:  # rsync is in TEST_PKGS; without it the files are served where nodd wrote them
        mirror = fdir
    # the rbldnsd command as written, but for the directory and address; -n: stay in the
    # foreground so that the test stops it by its PID; -c 1: look for a changed file every
    # second rather than every minute
    line = [l for l in recipe if l.startswith("rbldnsd ")]
    assert len(line) == 1, recipe
    cmd = substitute(line[0], ("-r /var/lib/rbldnsd/nod ", "-r %s " % mirror),
                     ("-b 192.0.2.60/53 ", "-b 127.0.0.1/%d " % port),
                     ("v1.bl.nod.example:", "v1.bl.%s:" % h.SUFFIX))
    args = shlex.split(cmd)
    args[1:1] = ["-n", "-c", "1"]
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("rbldns")      # rbldnsd's default user (Debian's package makes it)
        except KeyError:
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
                assert ra == rb, (name, qtype, ra, rb)
                if listed:
                    assert b.rcode() == dns.rcode.NOERROR
                elif name != "nodtld":
                    assert b.rcode() == dns.rcode.NXDOMAIN and a.rcode() == dns.rcode.NXDOMAIN, (name, qtype)
        if sync:
            # a name observed now reaches rbldnsd by the next write, rsync and reload
            n.observe("synced.nodtld", first_seen=int(time.time()) - 5)
            h.wait_for(lambda: "synced.nodtld" in open(dnset).read(), 10, what="the next write")
            assert ask(port, "synced.nodtld", "A").rcode() == dns.rcode.NXDOMAIN
            sync()
            h.wait_for(lambda: _try(lambda: ask(port, "synced.nodtld", "A").answer), 15,
                       what="rbldnsd reloading the rsynced file")
            a, b = ask(n.port, "synced.nodtld", "TXT"), ask(port, "synced.nodtld", "TXT")
            assert sorted(rd.to_text() for rs in a.answer for rd in rs) == \
                sorted(rd.to_text() for rs in b.answer for rd in rs)
    finally:
        p.kill()
        p.wait(5)


def _rsync_cmd(tmp_path, line, src, dst):
    """docs/consumers.md's rsync line as written but for the two directories, with
    "nodd-host" reached through a remote shell that runs rsync's other end on this
    machine (RSYNC_RSH), so the rsync protocol runs over a pipe as it would over ssh."""
    rsh = tmp_path / "rsh"
    rsh.write_text('#!/bin/sh\n# $1 is the host (nodd-host): run the command here\n'
                   'shift\nexec /bin/sh -c "$*"\n')
    rsh.chmod(0o755)
    cmd = substitute(line, (":/srv/nod/ ", ":%s/ " % src), (" /var/lib/rbldnsd/nod/", " %s/" % dst))
    args = shlex.split(cmd)
    assert args[0] == "rsync" and args[-2].startswith("nodd-host:"), args
    env = dict(os.environ, RSYNC_RSH=str(rsh))

    def run():
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
    return run


def _try(f):
    try:
        return f()
    except Exception:
        return None


def test_signed_multi_message_axfr_and_pipelined_requests(tmp_path, nodd_factory):
    """A zone too big for one message comes in several, every one TSIG-signed (RFC 8945
    5.3.1); AXFRs and ordinary queries pipelined on one TCP connection are all answered
    (RFC 5936 4.1.2, RFC 7766 6.2.1)."""
    import socket
    import struct
    n = nodd_with(nodd_factory, tmp_path,
                  allow="    - key: %s\n    - address: 127.0.0.1/32\n" % KEY)
    now = int(time.time())
    names = ["bulk%04d.nodtld" % i for i in range(3000)]
    z24 = "24h.rpz." + h.SUFFIX
    before = {z24: n.serial(z24), Z5: n.serial(Z5)}
    # one batch, one transaction: every version has all of them or none
    n.observe_many([{"domain": d, "first_seen": now - 1000 - i} for i, d in enumerate(names)]
                   + [{"domain": "young.nodtld", "first_seen": now - 10}])
    n.wait_new_versions(before)
    kr = dns.tsigkeyring.from_text({KEY: SECRET})
    msgs = list(dns.query.xfr("127.0.0.1", z24, port=n.port, keyring=kr, keyname=KEY,
                              keyalgorithm="hmac-sha256", lifetime=20, relativize=False))
    assert len(msgs) > 1, "6,000 records fit one message?"
    assert all(m.had_tsig for m in msgs), [m.had_tsig for m in msgs]
    owners = {rrs.name.to_text() for m in msgs for rrs in m.answer
              if rrs.rdtype == dns.rdatatype.CNAME}
    assert len(owners) == 2 * (len(names) + 1)
    assert "*.bulk2999.nodtld.%s." % z24 in owners

    # four requests in one write: AXFR 5m, SOA of the DNSBL, AXFR 24h, A of a listed name
    reqs = [dns.message.make_query(Z5, "AXFR"), dns.message.make_query(h.DNSBL, "SOA"),
            dns.message.make_query(z24, "AXFR"),
            dns.message.make_query("bulk0001.nodtld." + h.DNSBL, "A")]
    for i, q in enumerate(reqs):
        q.id = 100 + i
    s = socket.create_connection(("127.0.0.1", n.port), timeout=10)
    s.sendall(b"".join(struct.pack("!H", len(w)) + w for w in (q.to_wire() for q in reqs)))
    soas = {100: 0, 102: 0}
    got = {100: [], 101: [], 102: [], 103: []}
    try:
        while soas[100] < 2 or soas[102] < 2 or not got[101] or not got[103]:
            ln = h.tcp_read_exact(s, 2)
            assert ln is not None, "connection closed before every answer came: %s" % (
                {k: len(v) for k, v in got.items()},)
            # one RR per RRset: the two SOAs of a one-message AXFR must not merge into one
            m = dns.message.from_wire(h.tcp_read_exact(s, struct.unpack("!H", ln)[0]),
                                      one_rr_per_rrset=True)
            assert m.id in got, m.id
            got[m.id].append(m)
            if m.id in soas:
                soas[m.id] += sum(len(r) for r in m.answer if r.rdtype == dns.rdatatype.SOA)
    finally:
        s.close()
    cname = lambda ms: {r.name.to_text() for m in ms for r in m.answer  # noqa: E731
                        if r.rdtype == dns.rdatatype.CNAME}
    assert cname(got[100]) == {"young.nodtld.%s." % Z5, "*.young.nodtld.%s." % Z5}
    assert cname(got[102]) == owners
    assert got[101][0].answer[0].rdtype == dns.rdatatype.SOA
    assert h.rdatas(got[103][0], dns.rdatatype.A) == ["127.0.0.4"]   # age 1001 s: < 30 min


def test_versions_are_at_least_min_interval_apart(tmp_path, nodd_factory):
    """A steady stream of new names and a name ageing out of 5m: each zone gets a new version
    at most once per transfer.min-interval (3 s here). Serials are the versions' unix times,
    so consecutive serials seen by a poller must be at least 3 apart; the last version holds
    every name observed and no longer the aged one."""
    extra = ("transfer:\n  allow:\n    - address: 127.0.0.1/32\n  min-interval: 3s\n")
    n = nodd_factory(extra=extra)
    zones = (Z5, h.DNSBL)
    now = int(time.time())
    n.observe("ageing.nodtld", first_seen=now - 296)  # leaves 5m about 4 s from now
    seen = {z: [] for z in zones}
    names = []
    end = time.time() + 12
    i = 0
    while time.time() < end:
        if i % 3 == 0:
            name = "burst-%d.nodtld" % i
            n.observe(name)
            names.append(name)
        for z in zones:
            s = n.serial(z)
            if not seen[z] or seen[z][-1] != s:
                seen[z].append(s)
        i += 1
        time.sleep(0.2)
    for z in zones:
        assert len(seen[z]) >= 3, (z, seen[z])  # the names did make new versions
        gaps = [b - a for a, b in zip(seen[z], seen[z][1:])]
        assert all(g >= 3 for g in gaps), (z, seen[z], gaps)

    def owners():
        xfr = dns.query.xfr("127.0.0.1", Z5, port=n.port, lifetime=10, relativize=False)
        return {rs.name.to_text().lower() for msg in xfr for rs in msg.answer}
    want = {"%s.%s." % (name, Z5) for name in names}
    h.wait_for(lambda: want <= owners() and "ageing.nodtld.%s." % Z5 not in owners(), 10,
               what="the last 5m version with every name and without the aged one")
    # the status lists the address-only peer that took those AXFRs
    cons = [c for c in n.api("GET", "/api/v1/status")[1]["publish"]["consumers"]
            if c["zone"] == Z5]
    assert len(cons) == 1, cons
    assert (cons[0]["peer"], cons[0]["key"], cons[0]["last"]) == ("127.0.0.1", None, "AXFR"), cons
    assert cons[0]["transfers"] >= 2 and cons[0]["current"] is True, cons
