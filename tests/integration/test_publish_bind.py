"""BIND 9 as a resolver with response-policy, pulling nodd's 5m, 1h and 24h RPZ
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
from publish_util import doc_block, substitute

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
        # docs/consumers.md's BIND recipe as written, but for:
        env = """    directory "%s"; pid-file "named.pid";
    listen-on port %d { 127.0.0.1; }; listen-on-v6 { none; };
    recursion yes; allow-recursion { 127.0.0.0/8; }; dnssec-validation no; notify no;
""" % (self.dir, self.port)
        conf = substitute(
            doc_block("BIND 9"),
            ('secret "…"', 'secret "%s"' % SECRET),
            ("primaries port 53 { 192.0.2.1 ", "primaries port %d { 127.0.0.1 " % nodd_port),
            # a new version is applied as soon as it comes (the recipe's 5 s: bench_xfr.sh)
            ("min-update-interval 5;", "min-update-interval 1;"),
            # the 1h zone answers NODATA, so that a name only it lists is told apart
            ('zone "1h.rpz.%s" log yes;' % h.SUFFIX, 'zone "1h.rpz.%s" policy nodata log yes;' % h.SUFFIX),
            # this process's own directory, port and a local root zone to recurse to
            ("options {\n", "options {\n" + env))
        conf += 'zone "." { type primary; file "root.db"; };\n'
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


def nodd_yaml(resolver_port, files_dir):
    """docs/consumers.md's nodd recipe as written, but for addresses, secret and interval."""
    return substitute(
        doc_block("nodd"),
        ('secret: "…"', 'secret: "%s"' % SECRET),
        ("address: 192.0.2.53/32", "address: 127.0.0.2/32"),   # an Unbound elsewhere
        ("address: 192.0.2.53@53", "address: 127.0.0.1@%d" % resolver_port),
        ("min-interval: 5s", "min-interval: 1s"),
        ("dir: /srv/nod", "dir: %s" % files_dir))


def test_bind_rewrites_from_nodd_zones(tmp_path, nodd_factory, need_named):
    """BIND's response-policy over nodd's 5m, 1h and 24h zones rewrites listed names and
    their subdomains, picks up a new name by NOTIFY + IXFR, drops a name that ages out
    of 5m while 1h still lists it; status shows BIND as a current consumer."""
    n = nodd_factory(start=False)
    now = int(time.time())
    rport = h.free_port()
    n.extra = nodd_yaml(rport, tmp_path / "files")
    n.write_config()
    n.start()
    # names BIND will see in its first AXFR, in one transaction (no version has a part)
    before = {z: n.serial(z) for z in ("%s.rpz.%s" % (w, h.SUFFIX) for w in ("5m", "1h", "24h"))}
    n.observe_many([{"domain": "listed.nodtld", "first_seen": now - 60},
                    {"domain": "ageing.nodtld", "first_seen": now - 280},   # leaves 5m within ~20 s
                    {"domain": "hourold.nodtld", "first_seen": now - 1800}])  # in 1h and 24h only
    n.wait_new_versions(before)  # a new version of each zone (min-interval 1 s)
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
        # and nodd answered it incrementally, to the TSIG key (BIND signs its transfers)
        ixfr = [l for l in n.log_text().splitlines()
                if "xfr out IXFR 5m.rpz." in l and "incremental" in l]
        assert ixfr and all("key %s" % KEY in l for l in ixfr), n.log_tail()
        # nodd notifies BIND of all nine zones; BIND answers NOTAUTH for the five it does
        # not hold, and nodd stops telling it of those instead of warning at every version
        log = n.log_text()
        assert "zone v1.bl.%s: answered NOTAUTH" % h.SUFFIX in log, n.log_tail()
        assert "answered with rcode" not in log, n.log_tail()
        assert "zone 5m.rpz.%s: answered NOTAUTH" % h.SUFFIX not in log, n.log_tail()
        # the status shows BIND as a consumer of each zone it holds, current, by key, and
        # the NOTIFY state per zone
        z5, z24 = ("%s.rpz.%s" % (w, h.SUFFIX) for w in ("5m", "24h"))
        zbl = "v1.bl." + h.SUFFIX

        def consumer(zone):
            pub = n.api("GET", "/api/v1/status")[1]["publish"]
            c = [c for c in pub["consumers"] if c["zone"] == zone and c["key"] == KEY]
            return c[0] if c else None
        h.wait_for(lambda: (consumer(z5) or {}).get("current"), 10, what="5m consumer current")
        c5 = consumer(z5)
        assert c5["peer"] == "127.0.0.1" and c5["last"] in ("IXFR", "IXFR up to date"), c5
        assert c5["serial"] == n.serial(z5) and c5["transfers"] >= 2, c5
        assert consumer(z24)["serial"] <= n.serial(z24)
        assert consumer(zbl) is None   # BIND does not hold the DNSBL zone
        notify = n.api("GET", "/api/v1/status")[1]["publish"]["notify"]
        assert len(notify) == 1 and notify[0]["key"] == KEY, notify
        assert notify[0]["zones"][zbl]["state"] == "not a secondary", notify
        h.wait_for(lambda: n.api("GET", "/api/v1/status")[1]["publish"]["notify"][0]["zones"][z5]
                   ["state"] == "acknowledged", 10, what="the 5m NOTIFY acknowledged")
        # ageing out of the 5m window: the 1h zone (policy nodata) still lists it
        h.wait_for(lambda: res.verdict("ageing.nodtld") == "nodata", 40,
                   what="ageing.nodtld out of the 5m zone, still in 1h")
        # nodd restarts: BIND's serials are from before it, and the next transfer is still
        # incremental (nodd keeps its version history in the database)
        n.restart()
        n.observe("afterrestart.nodtld")
        h.wait_for(lambda: res.verdict("afterrestart.nodtld") == "nxdomain", 15,
                   what="a name observed after nodd's restart rewritten by BIND")
        out = [l for l in open(n.logs[-1], errors="replace").read().splitlines()
               if "xfr out" in l and "5m.rpz." in l]
        assert out and all("IXFR" in l and "incremental" in l for l in out), out
    finally:
        res.stop()
