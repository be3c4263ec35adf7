"""Helpers for the tests of docs/migrating.md (test_migrating*.py): the recipes read out of
docs/examples/ (the files the page shows verbatim) and the page itself, and a nodd that
publishes under the commercial feed's suffix, dns-nod.net, started from the page's own
config (docs/examples/nodd-feed.yaml) with only addresses, paths and the secret replaced."""
import base64
import os
import re
import signal
import subprocess

import dns.rcode
import dns.rdatatype

import nodd_harness as h
from publish_util import substitute

DOC = os.path.join(h.ROOT, "docs", "migrating.md")
EXAMPLES = os.path.join(h.ROOT, "docs", "examples")
SUFFIX = "dns-nod.net"
DNSBL = "v1.bl." + SUFFIX
RPZ5, RPZ24 = "5m.rpz." + SUFFIX, "24h.rpz." + SUFFIX
KEY = "nod-xfr"
SECRET = base64.b64encode(b"nodd migration test key, 32 oct.").decode()


def stop_process(p, *files):
    """Stop a peer we started: SIGTERM, then SIGKILL if it is still there after a bounded
    wait; then close its log files."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if p.poll() is not None:
            break
        p.send_signal(sig)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            continue
    for f in files:
        f.close()


def example(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return f.read()


def doc_text():
    with open(DOC, encoding="utf-8") as f:
        return f.read()


def doc_section(heading):
    """The text of the section whose heading (any level) starts with heading, up to the
    next heading of the same or a higher level."""
    text = doc_text()
    m = re.search(r"^(#+) %s.*?$" % re.escape(heading), text, re.M)
    assert m, "docs/migrating.md has no heading '%s'" % heading
    level = len(m.group(1))
    end = re.search(r"^#{1,%d} " % level, text[m.end():], re.M)
    return text[m.end():m.end() + end.start()] if end else text[m.end():]


def code_blocks(text):
    """The fenced code blocks of text, in order (their content)."""
    return [b for b in re.findall(r"^ *```[a-z]*\n(.*?)^ *```", text, re.M | re.S)]


class FeedNodd(h.Nodd):
    """nodd run from docs/examples/nodd-feed.yaml. Its zones are under dns-nod.net, so
    readiness is checked on v1.bl.dns-nod.net (the harness's own check asks for its
    default suffix)."""

    def __init__(self, workdir, notify_port=None, files_dir=None, interval="1s", **kw):
        super().__init__(workdir, **kw)
        self.notify_port = notify_port or h.free_port()
        self.files_dir = files_dir or os.path.join(self.dir, "files")
        self.interval = interval
        self.write_config(self.feed_config())

    def feed_config(self):
        return substitute(
            example("nodd-feed.yaml"),
            ("listen: [192.0.2.1@53]", "listen: [127.0.0.1@%d]" % self.port),
            ("http: 127.0.0.1@8053", "http: 127.0.0.1@%d" % self.http_port),
            ("database: /var/lib/nodd/nodd.db", "database: %s" % self.db),
            ('secret: "…"', 'secret: "%s"' % SECRET),
            ("address: 192.0.2.53@53", "address: 127.0.0.1@%d" % self.notify_port),
            ("dir: /srv/nod", "dir: %s" % self.files_dir),
            ("interval: 60s", "interval: %s" % self.interval)) + self.extra

    def wait_ready(self, timeout=h.START_TIMEOUT):
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("nodd exited with %s during startup:\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            try:
                r = self.query(DNSBL, "SOA", timeout=0.3)
                return (r.rcode() == dns.rcode.NOERROR and
                        self.api("GET", "/api/v1/status", timeout=1)[0] == 200)
            except Exception:
                return False
        try:
            h.wait_for(ready, timeout, 0.05, "nodd serving %s" % DNSBL)
        except AssertionError as e:
            raise RuntimeError("%s\n%s" % (e, self.log_tail()))

    def code(self, domain):
        """The DNSBL A answer for domain under v1.bl.dns-nod.net, or the rcode text."""
        r = self.query("%s.%s" % (domain, DNSBL), "A")
        a = h.rdatas(r, dns.rdatatype.A)
        return a[0] if a else dns.rcode.to_text(r.rcode())


def start_feed_nodd(workdir, **kw):
    n = FeedNodd(str(workdir), **kw)
    try:
        n.start()
    except RuntimeError:
        n.stop()
        raise
    return n
