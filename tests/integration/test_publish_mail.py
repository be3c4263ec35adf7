"""The Postfix and SpamAssassin recipes of docs/consumers.md, read out of the file
(publish_util.doc_block) and run as written against a real nodd on loopback.

The harness's suffix is the doc's own (nod.example), so the substitutions of the zone name
below change nothing today; they are there so that the test keeps saying which part of a
recipe it replaces. Nothing else in the recipes is replaced, except that the second Postfix
test puts the doc's narrower filter in place of the wider one, as the doc says to. What the
tests add around the recipes (which DNS server to ask, directories, the SMTP port) is the
test's own config, not the recipe's.

Test names are under .ch, a real TLD: SpamAssassin only takes URLs whose host ends in a
known TLD and looks up the registrable domain (www.fresh-nodd-test.ch ->
fresh-nodd-test.ch); Postfix looks up the sender's domain as it is.

Ages (first_seen = now - age) and nodd's codes:
  60 s -> 127.0.0.2, 2000 s -> .5, 5000 s -> .6, 50000 s -> .8, 90000 s -> not listed.
"""
import email
import glob
import os
import pwd
import random
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time

import pytest

import nodd_harness as h
from publish_util import DOC, doc_block, substitute

FRESH = "fresh-nodd-test.ch"        # 60 s: 127.0.0.2
MIDDLE = "middle-nodd-test.ch"      # 2000 s: .5
OLDER = "older-nodd-test.ch"        # 5000 s: .6
OLD = "old-nodd-test.ch"            # 50000 s: .8
GONE = "gone-nodd-test.ch"          # 90000 s: older than 24 h, not listed
UNLISTED = "unlisted-nodd-test.ch"  # never observed
AGES = {FRESH: 60, MIDDLE: 2000, OLDER: 5000, OLD: 50000, GONE: 90000}


def observe_all(n):
    """Observe the test names; returns their first_seen. Checks nodd's own answers first,
    so that a wrong code is told apart from a consumer misreading a right one."""
    now = int(time.time())
    first_seen = {}
    for d, age in AGES.items():
        first_seen[d] = now - age
        n.observe(d, first_seen=first_seen[d])
    for d, age in AGES.items():
        want = h.expected_code(age) or "NXDOMAIN"
        assert n.a_code(d) == want, (d, age, n.a_code(d))
    assert n.a_code(UNLISTED) == "NXDOMAIN"
    return first_seen


def doc_section(heading):
    """The text of the '## heading' section of docs/consumers.md, up to the next '## '."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## %s.*?$(.*?)(?=^## |\Z)" % re.escape(heading), text, re.M | re.S)
    assert m, "docs/consumers.md has no section '## %s'" % heading
    return m.group(1)


# ---- SpamAssassin ----------------------------------------------------------------------

def sa_recipe():
    return substitute(doc_block("SpamAssassin"), ("v1.bl.nod.example.", h.DNSBL + "."))


def run_spamassassin(tmp_path, n, args, stdin=""):
    """spamassassin with a private site config dir: the system's plugin list (the *.pre
    files of /etc/spamassassin, which load URIDNSBL) and the doc's recipe as local.cf; the
    default rules; a private HOME and user_prefs. Test-only settings on the command line:
    nodd as the only DNS server (127.0.0.1:port), and dns_available yes (skips the probe
    of well-known names that a zone-only server cannot answer)."""
    site = tmp_path / "sa-site"
    if not site.exists():
        site.mkdir()
        pre = glob.glob("/etc/spamassassin/*.pre")
        assert pre, "no /etc/spamassassin/*.pre (the spamassassin package installs them)"
        for p in pre:
            shutil.copy(p, str(site))
        (site / "local.cf").write_text(sa_recipe())
        (tmp_path / "sa-home").mkdir()
        (tmp_path / "user_prefs").write_text("")
    env = dict(os.environ, HOME=str(tmp_path / "sa-home"))
    argv = ["spamassassin", "--siteconfigpath=%s" % site, "-p", str(tmp_path / "user_prefs"),
            "--cf=dns_server 127.0.0.1:%d" % n.port, "--cf=dns_available yes"] + list(args)
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env,
                          timeout=60)


def nod_hits(out):
    """{rule: points} of the NOD_* rules in spamassassin -t output; checks that the
    X-Spam-Status header names the same rules."""
    report = {m.group(2): float(m.group(1))
              for m in re.finditer(r"^\s*(-?\d+(?:\.\d+)?)\s+(NOD_\w+)\s", out, re.M)}
    status = email.message_from_string(out).get("X-Spam-Status", "")
    m = re.search(r"tests=(.*?)\s+autolearn=", status, re.S)
    assert m, "no X-Spam-Status tests= in the output:\n" + out
    tests = {t.strip() for t in m.group(1).split(",") if t.strip().startswith("NOD_")}
    assert tests == set(report), (tests, report, out)
    return report


def message(domain):
    return ("From: sender@example.org\nTo: user@example.org\nSubject: offer\n"
            "Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <%s.1@example.org>\n\n"
            "Please visit http://www.%s/offer today.\n" % (domain, domain))


def test_spamassassin_recipe_hits_by_age(tmp_path, nodd_factory):
    """Each message carries one URL: a domain of code .2 hits NOD_5M, NOD_1H and NOD_24H,
    .5 hits NOD_1H and NOD_24H, .8 only NOD_24H; a domain older than 24 h and an unlisted
    one hit none. Every hit scores what the recipe's score line says."""
    if shutil.which("spamassassin") is None:
        pytest.skip("spamassassin is not installed (Debian: spamassassin)")
    n = nodd_factory()
    observe_all(n)
    recipe = sa_recipe()
    scores = {r: float(s) for r, s in re.findall(r"^score\s+(\S+)\s+(\S+)", recipe, re.M)}
    assert set(scores) == {"NOD_5M", "NOD_1H", "NOD_24H"}, recipe
    # the plugin's documentation: each urirhssub needs a body eval rule of its own (without
    # one, and without a score line, the rule is never looked up)
    lookups = re.findall(r"^urirhssub\s+(\S+)\s", recipe, re.M)
    assert sorted(lookups) == sorted(scores), recipe
    for rule in lookups:
        assert re.search(r"^body\s+%s\s+eval:check_uridnsbl\('%s'\)\s*$" % (rule, rule),
                         recipe, re.M), (rule, recipe)

    lint = run_spamassassin(tmp_path, n, ["--lint"])
    assert lint.returncode == 0 and "warn" not in lint.stderr.lower(), lint.stderr

    want = {FRESH: {"NOD_5M", "NOD_1H", "NOD_24H"}, MIDDLE: {"NOD_1H", "NOD_24H"},
            OLD: {"NOD_24H"}, GONE: set(), UNLISTED: set()}
    for domain, rules in want.items():
        r = run_spamassassin(tmp_path, n, ["-t"], message(domain))
        assert r.returncode in (0, 1), r.stderr
        hits = nod_hits(r.stdout)
        assert set(hits) == rules, (domain, hits, r.stdout)
        for rule, points in hits.items():
            assert points == scores[rule], (domain, rule, points, scores)
        if rules:
            assert "[URI: %s]" % domain in r.stdout, r.stdout


# ---- Postfix ---------------------------------------------------------------------------
#
# Postfix's smtpd asks the nameservers of /etc/resolv.conf (libc resolver, port 53 only)
# for reject_rhsbl_sender: it cannot be pointed at nodd's kernel-chosen port. So nodd also
# listens on port 53 of a random free 127.a.b.c, and a private Postfix instance (its own
# config and queue directories, nothing chrooted, an SMTP port chosen by the kernel) runs
# in its own mount namespace (unshare -m, needs root) where a resolv.conf naming only
# 127.a.b.c is bind-mounted over /etc/resolv.conf. The host's resolv.conf, its resolver
# and any system Postfix are left alone; the namespace ends with the instance.

def postfix_skip_reason():
    if os.geteuid() != 0:
        return "needs root (Postfix's master, and unshare -m for a private resolv.conf)"
    for prog in ("postfix", "postconf", "unshare", "mount"):
        if shutil.which(prog) is None:
            return "%s is not installed (Debian: %s)" % (
                prog, {"unshare": "util-linux", "mount": "mount"}.get(prog, "postfix"))
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "no postfix user (the postfix package makes it)"
    if not os.path.isfile("/etc/resolv.conf"):
        return "no /etc/resolv.conf to bind-mount the test's over"
    r = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        return "cannot make a mount namespace (unshare -m: %s)" % r.stderr.strip()
    return None


def free_loopback_53():
    """A random 127.a.b.c (not 127.0.x.x) whose port 53 is free for UDP and TCP, or None."""
    rnd = random.SystemRandom()
    for _ in range(50):
        addr = "127.%d.%d.%d" % (rnd.randint(64, 250), rnd.randint(1, 254), rnd.randint(1, 254))
        ok = True
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind((addr, 53))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return addr
    return None


def nodd_on_port_53(nodd_factory):
    """A started nodd on its usual 127.0.0.1 port and on port 53 of a free 127.a.b.c."""
    last = None
    for _ in range(3):
        addr = free_loopback_53()
        if addr is None:
            pytest.skip("port 53 is taken on every 127.a.b.c tried (a resolver bound to "
                        "0.0.0.0:53?)")
        n = nodd_factory(start=False)
        n.server_extra["listen"] = "[127.0.0.1@%d, %s@53]" % (n.port, addr)
        n.write_config()
        try:
            n.start()
            return n, addr
        except RuntimeError as e:      # port 53 taken between the check and nodd's bind
            n.stop(signal.SIGKILL)
            last = e
    pytest.fail("nodd did not start on port 53: %s" % last, pytrace=False)


MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
proxymap  unix  - - n - - proxymap
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


class PrivatePostfix:
    """A Postfix instance of its own: main.cf = the test's settings + the recipe line.

    The directory is made with tempfile under /tmp, not under pytest's tmp_path: Postfix's
    daemons run as the postfix user and must reach the queue directory, and pytest's
    directories are root-only (0700)."""

    def __init__(self, recipe_line, nameserver):
        self.dir = tempfile.mkdtemp(prefix="nodd-postfix-")
        os.chmod(self.dir, 0o755)
        self.etc = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "queue")
        data = os.path.join(self.dir, "data")
        for d in (self.etc, self.queue, data):
            os.mkdir(d, 0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(data, pw.pw_uid, pw.pw_gid)
        self.port = h.free_tcp_port()
        self.log_path = os.path.join(self.dir, "master.log")
        self.resolv = os.path.join(self.dir, "resolv.conf")
        with open(self.resolv, "w") as f:
            f.write("nameserver %s\noptions timeout:2 attempts:2\n" % nameserver)
        main = ["compatibility_level = 3.6",
                "queue_directory = %s" % self.queue,
                "data_directory = %s" % data,
                "myhostname = nodd-test.localdomain",
                "mydestination =",
                "alias_maps =",
                "alias_database =",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "smtpd_peername_lookup = no",
                "maillog_file = /dev/stdout",
                "# docs/consumers.md, Postfix:",
                recipe_line]
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write("\n".join(main) + "\n")
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.port))
        self.proc = None
        self._logf = None

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def start(self):
        # 'postfix check' creates the queue's subdirectories with their owners, as
        # 'postfix start' would; then the master runs in the foreground (-d) in its own
        # session, logging to its stdout (-s, maillog_file = /dev/stdout).
        r = subprocess.run(["postfix", "-c", self.etc, "check"], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, "postfix check: %s%s" % (r.stdout, r.stderr)
        master = os.path.join(subprocess.run(
            ["postconf", "-c", self.etc, "-h", "daemon_directory"], capture_output=True,
            text=True, timeout=30, check=True).stdout.strip(), "master")
        self._logf = open(self.log_path, "wb")
        # unshare -m without --fork execs sh, which execs master: the PID is master's
        self.proc = subprocess.Popen(
            ["unshare", "-m", "sh", "-c",
             'mount --bind "$1" /etc/resolv.conf && exec "$2" -d -s -c "$3"',
             "sh", self.resolv, master, self.etc],
            stdin=subprocess.DEVNULL, stdout=self._logf, stderr=subprocess.STDOUT,
            start_new_session=True)

        def up():
            assert self.proc.poll() is None, "postfix master exited (%s):\n%s" % (
                self.proc.returncode, self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        h.wait_for(up, 20, interval=0.1, what="the private postfix on port %d" % self.port)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)   # master stops its children
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)   # the session started above
                self.proc.wait(timeout=10)
        if self._logf is not None:
            self._logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    def mail_rcpt(self, sender):
        """(MAIL FROM reply, RCPT TO reply) on a new connection, each (code, text)."""
        s = smtplib.SMTP("127.0.0.1", self.port, local_hostname="client.example", timeout=20)
        try:
            s.ehlo()
            mail = s.mail(sender)
            rcpt = s.rcpt("user@nodd-test.localdomain") if mail[0] == 250 else None
            s.rset()
            return mail, (rcpt[0], rcpt[1].decode()) if rcpt else None
        finally:
            s.close()


def postfix_recipe():
    block = doc_block("Postfix")
    lines = [l for l in block.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("smtpd_sender_restrictions"), block
    return substitute(lines[0], ("v1.bl.nod.example=", h.DNSBL + "="))


def check_senders(pf, first_seen, rejected, accepted):
    for domain in rejected:
        for sender in ("x@" + domain, "x@mail." + domain):   # subdomains are listed too
            mail, rcpt = pf.mail_rcpt(sender)
            # smtpd_delay_reject = yes (default): sender restrictions answer at RCPT TO
            assert mail[0] == 250, (sender, mail, pf.log())
            assert rcpt is not None and rcpt[0] == 554, (sender, rcpt, pf.log())
            assert "Sender address [%s] blocked using %s" % (sender, h.DNSBL) in rcpt[1], rcpt
            # Postfix adds the TXT record of the listing to the reply
            assert "first_seen=%d" % first_seen[domain] in rcpt[1], rcpt
    for domain in accepted:
        sender = "x@" + domain
        mail, rcpt = pf.mail_rcpt(sender)
        assert mail[0] == 250 and rcpt is not None and rcpt[0] == 250, (sender, mail, rcpt,
                                                                        pf.log())


def test_postfix_recipe_rejects_sender_domains_younger_than_24h(tmp_path, nodd_factory):
    """reject_rhsbl_sender with the doc's =127.0.0.[2..8]: senders in domains of codes .2,
    .5, .6, .8 (and their subdomains) get 554 at RCPT TO naming the DNSBL; a domain older
    than 24 h and an unlisted one are accepted."""
    reason = postfix_skip_reason()
    if reason:
        pytest.skip(reason)
    line = postfix_recipe()
    n, addr = nodd_on_port_53(nodd_factory)
    first_seen = observe_all(n)
    with PrivatePostfix(line, addr) as pf:
        check_senders(pf, first_seen, rejected=[FRESH, MIDDLE, OLDER, OLD],
                      accepted=[GONE, UNLISTED])


def test_postfix_narrow_variant_rejects_only_under_one_hour(tmp_path, nodd_factory):
    """The doc's narrower filter in place of [2..8]: codes .2 and .5 rejected, .6 and .8
    accepted."""
    reason = postfix_skip_reason()
    if reason:
        pytest.skip(reason)
    section = doc_section("Postfix")
    m = re.search(r"`=(127\.0\.0\.\[[0-9.]+\])`\s+in\s+place\s+of\s+"
                  r"`=(127\.0\.0\.\[[0-9.]+\])`", section)
    assert m, "docs/consumers.md, Postfix: no narrower variant found in:\n" + section
    narrow, wide = m.group(1), m.group(2)
    assert narrow == "127.0.0.[2..5]", narrow
    line = substitute(postfix_recipe(), ("=" + wide, "=" + narrow))
    n, addr = nodd_on_port_53(nodd_factory)
    first_seen = observe_all(n)
    with PrivatePostfix(line, addr) as pf:
        check_senders(pf, first_seen, rejected=[FRESH, MIDDLE], accepted=[OLDER, OLD, UNLISTED])
