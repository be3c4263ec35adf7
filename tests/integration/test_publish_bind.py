"""Issue 4: BIND 9 as a resolver with response-policy, pulling nodd's 5m, 1h and 24h RPZ
zones as TSIG secondaries (AXFR, then NOTIFY + IXFR)."""
import base64
import os
import signal
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

import nodd_harness as h
from bind_util import start_named

KEY = "nod-xfr"
SECRET = base64.b64encode(b"nodd rpz transfer test key 32 b!").decode()


@pytest.fixture
def need_named():
    if not os.path.exists("/usr/sbin/named"):
        pytest.skip("named is not installed (Debian: bind9)")


class Resolver:
    """named as an RPZ consumer of nodd; the names under nodtld. exist (a wildcard in a
    local root zone) unless a policy rewrites them."""

    def __init__(self, workdir, nodd_port, port):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port
        with open(os.path.join(self.dir, "root.db"), "w") as f:
            f.write("$TTL 60\n@ IN SOA a.root. h.root. 1 60 60 3600 60\n@ IN NS a.root.\n"
                    "a.root. IN A 127.0.0.1\n*.nodtld. IN A 192.0.2.1\n")
        zones = ""
        for w, policy in (("5m", "given"), ("1h", "nodata"), ("24h", "given")):
            z = "%s.rpz.%s" % (w, h.SUFFIX)
            zones += """zone "%s" { type secondary; file "%s/%s.db";
    primaries port %d { 127.0.0.1 key %s; }; allow-notify { key %s; }; };
""" % (z, self.dir, z, nodd_port, KEY, KEY)
        conf = """key "%(key)s" { algorithm hmac-sha256; secret "%(secret)s"; };
options {
    directory "%(dir)s"; pid-file "%(dir)s/named.pid";
    listen-on port %(port)d { 127.0.0.1; }; listen-on-v6 { none; };
    recursion yes; allow-recursion { 127.0.0.0/8; }; dnssec-validation no;
    notify no;
    response-policy {
        zone "5m.rpz.%(sfx)s" log yes;
        zone "1h.rpz.%(sfx)s" policy nodata log yes;
        zone "24h.rpz.%(sfx)s" log yes;
    } qname-wait-recurse no max-policy-ttl 60 min-update-interval 1;
};
zone "." { type primary; file "%(dir)s/root.db"; };
%(zones)s""" % {"key": KEY, "secret": SECRET, "dir": self.dir, "port": self.port,
                "sfx": h.SUFFIX, "zones": zones}
        self.conf = os.path.join(self.dir, "named.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.p, self.logf = start_named(self.conf, self.dir)

    def log(self):
        self.logf.flush()
        with open(os.path.join(self.dir, "named.log")) as f:
            return f.read()

    def ask(self, name):
        q = dns.message.make_query(name, "A")
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=3)

    def verdict(self, name):
        """'nxdomain' (5m/24h policy), 'nodata' (1h policy) or 'pass' (the real A)."""
        r = self.ask(name)
        if r.rcode() == dns.rcode.NXDOMAIN:
            return "nxdomain"
        if r.rcode() == dns.rcode.NOERROR and not r.answer:
            return "nodata"
        if r.rcode() == dns.rcode.NOERROR and r.answer[0].rdtype == dns.rdatatype.A:
            return "pass"
        return "other: " + r.to_text()

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
        self.logf.close()


def nodd_yaml(resolver_port):
    return ("keys:\n  - name: %s\n    algorithm: hmac-sha256\n    secret: \"%s\"\n"
            "transfer:\n  allow:\n    - key: %s\n  notify:\n    - address: 127.0.0.1@%d\n"
            "      key: %s\n  min-interval: 1s\n" % (KEY, SECRET, KEY, resolver_port, KEY))


def test_bind_rewrites_from_nodd_zones(tmp_path, nodd_factory, need_named):
    n = nodd_factory(start=False)
    now = int(time.time())
    rport = h.free_port()
    n.extra = nodd_yaml(rport)
    n.write_config()
    n.start()
    # names BIND will see in its first AXFR
    n.observe("listed.nodtld", first_seen=now - 60)
    n.observe("ageing.nodtld", first_seen=now - 280)    # leaves 5m within ~20 s
    n.observe("hourold.nodtld", first_seen=now - 1800)  # in 1h and 24h only
    time.sleep(1.5)  # a new version of each zone (min-interval 1 s)
    res = Resolver(tmp_path / "bind", n.port, rport)
    try:
        h.wait_for(lambda: res.log().count("Transfer status: success") >= 3, 20,
                   what="BIND's first transfers of the three zones")
        assert res.verdict("listed.nodtld") == "nxdomain"
        assert res.verdict("www.listed.nodtld") == "nxdomain"   # subdomain via *.name
        assert res.verdict("hourold.nodtld") == "nodata"        # only the 1h zone
        assert res.verdict("unlisted.nodtld") == "pass"
        # a name observed now reaches BIND by NOTIFY + IXFR
        n.observe("fresh.nodtld")
        h.wait_for(lambda: res.verdict("fresh.nodtld") == "nxdomain", 15,
                   what="the new name rewritten by BIND")
        # it came by IXFR: BIND keeps incremental transfers in the zone's journal (an AXFR
        # writes none), and the transfer carried only the difference (6 records: SOA new,
        # SOA old, SOA new, name, *.name, SOA new), not the zone
        jnl = os.path.join(res.dir, "5m.rpz.%s.db.jnl" % h.SUFFIX)
        assert os.path.exists(jnl), os.listdir(res.dir)
        log = res.log()
        assert "Transfer completed: 1 messages, 6 records" in log, log[-3000:]
        # ageing out of the 5m window: the 1h zone (policy nodata) still lists it
        h.wait_for(lambda: res.verdict("ageing.nodtld") == "nodata", 40,
                   what="ageing.nodtld out of the 5m zone, still in 1h")
    finally:
        res.stop()
