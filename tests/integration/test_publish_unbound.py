"""Unbound with rpz: pulling nodd's 5m zone by address ACL (Unbound has no TSIG
for rpz transfers) rewrites listed names and their subdomains to NXDOMAIN."""
import os
import shutil
import signal
import subprocess

import dns.message
import dns.query
import dns.rcode
import pytest

import nodd_harness as h
from publish_util import doc_block, substitute


def test_unbound_rpz_by_address(tmp_path, nodd_factory):
    """Unbound's rpz: recipe pulling 5m by address ACL rewrites listed names and their
    subdomains to NXDOMAIN."""
    if not shutil.which("unbound"):
        pytest.skip("unbound is not installed")
    port = h.free_port()
    n = nodd_factory(extra="transfer:\n  allow:\n    - address: 127.0.0.1/32\n  notify:\n"
                           "    - address: 127.0.0.1@%d\n  min-interval: 1s\n" % port)
    z = "5m.rpz." + h.SUFFIX
    before = {z: n.serial(z)}
    n.observe("listed.nodtld")
    n.wait_new_versions(before)
    d = str(tmp_path / "unbound")
    os.makedirs(d)
    # docs/consumers.md's Unbound recipe as written, but for the addresses and this
    # process's own port, directory and logging; nodtld. is asked of nodd itself, which
    # refuses it, so an unlisted name gets SERVFAIL and a rewritten one NXDOMAIN
    env = """    interface: 127.0.0.1
    port: %(port)d
    do-ip6: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    chroot: ""
    username: ""
    directory: "%(d)s"
    pidfile: "%(d)s/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
""" % {"port": port, "d": d}
    conf = substitute(doc_block("Unbound"),
                      ("server:\n", "server:\n" + env),
                      ("primary: 192.0.2.1\n", "primary: 127.0.0.1@%d\n" % n.port),
                      ("allow-notify: 192.0.2.1\n", "allow-notify: 127.0.0.1\n"))
    conf += 'stub-zone:\n    name: "nodtld."\n    stub-addr: 127.0.0.1@%d\n' % n.port
    cf = os.path.join(d, "unbound.conf")
    with open(cf, "w") as f:
        f.write(conf)
    chk = subprocess.run(["unbound-checkconf", cf], capture_output=True, text=True)
    assert chk.returncode == 0, chk.stdout + chk.stderr
    log = open(os.path.join(d, "unbound.log"), "w")
    p = subprocess.Popen(["unbound", "-d", "-c", cf], stdout=log, stderr=subprocess.STDOUT)
    try:
        def rcode(name):
            q = dns.message.make_query(name, "A")
            try:
                return dns.query.udp(q, "127.0.0.1", port=port, timeout=2).rcode()
            except Exception:
                return None
        h.wait_for(lambda: rcode("listed.nodtld") == dns.rcode.NXDOMAIN, 20,
                   what="Unbound rewriting the listed name")
        assert rcode("www.listed.nodtld") == dns.rcode.NXDOMAIN
        assert rcode("unlisted.nodtld") == dns.rcode.SERVFAIL
        # a name observed now reaches Unbound by NOTIFY (unsigned) and a transfer
        assert rcode("fresh.nodtld") == dns.rcode.SERVFAIL
        n.observe("fresh.nodtld")
        h.wait_for(lambda: rcode("fresh.nodtld") == dns.rcode.NXDOMAIN, 15,
                   what="Unbound rewriting a name observed after its first transfer")
        assert "xfr out IXFR 5m.rpz." in n.log_text(), n.log_tail()
        # Unbound keeps its transferred copy in the zonefile
        h.wait_for(lambda: os.path.exists(os.path.join(d, z + ".zone")), 10,
                   what="Unbound's copy of the zone")
        with open(os.path.join(d, z + ".zone")) as f:
            assert "listed.nodtld" in f.read()
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        log.close()
