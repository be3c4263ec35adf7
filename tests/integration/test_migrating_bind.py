"""The BIND recipes of docs/migrating.md (docs/examples/*.conf) run by a real named from
Debian against two nodd instances started from the page's nodd config: the primaries
include file with the key, response-policy with `policy given`, the passthru audit variant
with its rpz log, the DNSBL zone as a secondary and as a forward zone.

Replaced in the recipes: the nodd addresses (two ports on 127.0.0.1), file paths, the
secret, and min-update-interval 5 -> 1 (a new version is applied as soon as it comes)."""
import os
import re
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

import nodd_harness as h
from bind_util import start_named
from migrating_util import (DNSBL, RPZ5, RPZ24, SECRET, SUFFIX, example, start_feed_nodd,
                            stop_process)
from publish_util import substitute

NOW = 0   # set by pair when its names are observed (not at collection, minutes earlier)


def names_at(now):
    return [{"domain": "listed.nodtld", "first_seen": now - 60},
            {"domain": "dayold.nodtld", "first_seen": now - 50000}]   # 24h only: code .8

# dns-nod.net is delegated, as in the public DNS: a name under it is not answered from
# this root (a forward zone applies only where named recurses)
ROOT_ZONE = ("$TTL 60\n@ IN SOA a.root. h.root. 1 60 60 3600 60\n@ IN NS a.root.\n"
             "a.root. IN A 127.0.0.1\n*.nodtld. IN A 192.0.2.1\n"
             "dns-nod.net. IN NS a.root.\n")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two nodd instances from the page's config, holding the same names; both notify
    the resolver's port. Yields (a, b, resolver port)."""
    if not os.path.exists("/usr/sbin/named"):
        pytest.skip("named is not installed (Debian: bind9)")
    global NOW
    rport = h.free_port()
    made = []
    NOW = int(time.time())
    try:
        for name in ("a", "b"):
            n = start_feed_nodd(tmp_path_factory.mktemp("nodd-" + name), notify_port=rport,
                                interval="60s")
            made.append(n)
            before = {RPZ5: n.serial(RPZ5), RPZ24: n.serial(RPZ24)}
            n.observe_many(names_at(NOW))
            n.wait_new_versions(before)
        yield made[0], made[1], rport
    finally:
        for n in made:
            n.stop()


class Resolver:
    """named built from the page's files; recursion to a local root zone in which every
    name under nodtld. exists (A 192.0.2.1) unless a policy rewrites it."""

    def __init__(self, workdir, port, a, b, response_policy, extra=(), logging="", options=""):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port
        with open(os.path.join(self.dir, "root.db"), "w") as f:
            f.write(ROOT_ZONE)
        primaries = substitute(example("nod-primaries.conf"),
                               ('secret "…"', 'secret "%s"' % SECRET),
                               ("192.0.2.1 port 53 ", "127.0.0.1 port %d " % a.port),
                               ("192.0.2.2 port 53 ", "127.0.0.1 port %d " % b.port))
        inc = os.path.join(self.dir, "nod-primaries.conf")
        with open(inc, "w") as f:
            f.write(primaries)
        env = ('    directory "%s"; pid-file "named.pid";\n'
               '    listen-on port %d { 127.0.0.1; }; listen-on-v6 { none; };\n'
               '    recursion yes; allow-recursion { 127.0.0.0/8; }; dnssec-validation no;\n'
               '    notify no;\n' % (self.dir, port))
        # no control channel: named would open 127.0.0.1#953 when /etc/bind/rndc.key exists
        policy = substitute(example(response_policy),
                            ("min-update-interval 5;", "min-update-interval 1;"))
        conf = "controls { };\noptions {\n%s    %s\n%s};\n" % (env, options, policy) + logging
        conf += substitute(example("bind-rpz-zones.conf"),
                           ('include "/etc/bind/nod-primaries.conf";', 'include "%s";' % inc),
                           ("/var/cache/bind/", self.dir + "/"))
        for e in extra:
            conf += e
        conf += 'zone "." { type primary; file "root.db"; };\n'
        self.conf = os.path.join(self.dir, "named.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        r = subprocess.run(["named-checkconf", self.conf], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr + conf
        if logging:
            # named -g sends every category to stderr and ignores logging {}: run with -f
            self.logf = open(os.path.join(self.dir, "named.log"), "w")
            args = ["/usr/sbin/named", "-f", "-n", "1", "-c", self.conf]
            if os.geteuid() == 0:
                args += ["-u", "root"]
            self.p = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT)
        else:
            self.p, self.logf = start_named(self.conf, self.dir)

    def log(self):
        self.logf.flush()
        out = ""
        for name in ("named.log", "rest.log"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    out += f.read()
            except OSError:
                pass
        return out

    def ask(self, name, qtype="A"):
        q = dns.message.make_query(name, qtype)
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=3)

    def a(self, name):
        """The A records' text, or the rcode text when there are none."""
        r = self.ask(name)
        got = h.rdatas(r, dns.rdatatype.A)
        return got if got else dns.rcode.to_text(r.rcode())

    def stop(self):
        stop_process(self.p, self.logf)


def transfers_done(res, n):
    return res.log().count("Transfer status: success") >= n


def test_policy_given_and_dnsbl_secondary_from_two_primaries(tmp_path, pair):
    """response-policy with `policy given` over the 5m and 24h zones, and the DNSBL zone,
    all secondaries of the primaries include file: a listed name and its subdomains are
    NXDOMAIN, a name only 24h lists too; the DNSBL copy answers age codes and the test
    domain. With the first primary down, a name observed on the second reaches BIND by
    its NOTIFY, a transfer from the second."""
    a, b, rport = pair
    res = Resolver(tmp_path / "bind", rport, a, b, "bind-response-policy.conf",
                   extra=[substitute(example("bind-dnsbl-secondary.conf"),
                                     ("/var/cache/bind/", str(tmp_path / "bind") + "/"))])
    try:
        h.wait_for(lambda: transfers_done(res, 3), 20, what="BIND's first three transfers")
        log = res.log()
        assert log.count("from 127.0.0.1#%d" % a.port) >= 3, log[-3000:]   # the first primary
        assert res.a("listed.nodtld") == "NXDOMAIN"
        assert res.a("www.listed.nodtld") == "NXDOMAIN"
        assert res.a("dayold.nodtld") == "NXDOMAIN"          # the 24h zone
        assert res.a("unlisted.nodtld") == ["192.0.2.1"]
        assert res.a("listed.nodtld." + DNSBL) == ["127.0.0.2"]
        assert res.a("dayold.nodtld." + DNSBL) == ["127.0.0.8"]
        assert res.a("test.%s.%s" % (SUFFIX, DNSBL)) == ["127.0.0.2"]
        assert res.a("invalid.%s.%s" % (SUFFIX, DNSBL)) == "NXDOMAIN"
        assert res.a("unlisted.nodtld." + DNSBL) == "NXDOMAIN"
        # the first primary goes away; the second's NOTIFY brings the next version from it
        a.stop()
        try:
            b.observe("second.nodtld")
            h.wait_for(lambda: res.a("second.nodtld") == "NXDOMAIN", 30,
                       what="a name observed on the second primary rewritten by BIND")
            assert "from 127.0.0.1#%d" % b.port in res.log(), res.log()[-3000:]
        finally:
            a.start()
    finally:
        res.stop()


def test_passthru_audit_logs_and_dnsbl_forward_zone(tmp_path, pair):
    """The audit variant answers listed names as if no policy applied and writes the rpz
    log line the page quotes; the DNSBL forward zone answers nodd's codes through BIND."""
    a, b, rport = pair
    logdir = tmp_path / "log"
    logdir.mkdir()
    # the test's own channel for the other categories (transfers), beside the recipe's
    logging = substitute(example("bind-logging-rpz.conf"),
                         ("/var/log/named/rpz.log", str(logdir / "rpz.log")),
                         ("logging {\n", 'logging {\n    channel rest { file "%s"; '
                          'print-time yes; severity info; };\n    category default { rest; };\n'
                          % (tmp_path / "bind" / "rest.log")))
    forward = substitute(example("bind-dnsbl-forward.conf"),
                         ("192.0.2.1 port 53;", "127.0.0.1 port %d;" % a.port),
                         ("192.0.2.2 port 53;", "127.0.0.1 port %d;" % b.port))
    with open(os.path.join(h.ROOT, "docs", "migrating.md"), encoding="utf-8") as f:
        doc = f.read()
    # the page's validate-except line, in the options (validation is off in the test, so
    # named-checkconf and named reading it is what is checked)
    vx = re.search(r'`(validate-except \{ "v1\.bl\.dns-nod\.net"; \};)`', doc)
    assert vx, "docs/migrating.md: no validate-except line"
    res = Resolver(tmp_path / "bind", rport, a, b, "bind-response-policy-audit.conf",
                   extra=[forward], logging=logging, options=vx.group(1))
    try:
        h.wait_for(lambda: transfers_done(res, 2), 20, what="BIND's transfers of 5m and 24h")
        assert res.a("listed.nodtld") == ["192.0.2.1"]
        assert res.a("www.listed.nodtld") == ["192.0.2.1"]

        def rpz_log():
            try:
                return open(str(logdir / "rpz.log")).read()
            except OSError:
                return ""
        quoted = re.search(r"^rpz-passthru: info: client @0x7f… 192\.0\.2\.10#53211 \(listed\.example\): "
                           r"(rpz QNAME PASSTHRU rewrite listed\.example/A/IN via "
                           r"listed\.example\.5m\.rpz\.dns-nod\.net)$", doc, re.M)
        assert quoted, "docs/migrating.md: the quoted rpz log line changed"
        want = quoted.group(1).replace("listed.example", "listed.nodtld")
        h.wait_for(lambda: want in rpz_log(), 10, what="the rpz log line")
        line = [l for l in rpz_log().splitlines() if want in l][0]
        assert re.search(r"rpz-passthru: info: client @0x[0-9a-f]+ 127\.0\.0\.1#\d+ \(listed\.nodtld\): ",
                         line), line
        h.wait_for(lambda: "www.listed.nodtld/A/IN via www.listed.nodtld.5m.rpz.%s" % SUFFIX
                   in rpz_log(), 10,
                   what="the rpz log line of a subdomain")
        # forward zone: the codes come from nodd
        assert res.a("listed.nodtld." + DNSBL) == ["127.0.0.2"]
        assert res.a("dayold.nodtld." + DNSBL) == ["127.0.0.8"]
        assert res.a("test.%s.%s" % (SUFFIX, DNSBL)) == ["127.0.0.2"]
        assert res.a("unlisted.nodtld." + DNSBL) == "NXDOMAIN"
        txt = res.ask("listed.nodtld." + DNSBL, "TXT")
        assert h.rdatas(txt, dns.rdatatype.TXT) == ['"first_seen=%d"' % (NOW - 60)], txt
    finally:
        res.stop()
