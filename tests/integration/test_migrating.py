"""docs/migrating.md, run as written: the feed's names from docs/examples/nodd-feed.yaml
(zones under dns-nod.net, the listed test domain, the feed's rsync tree), the dig -y
troubleshooting lines the page quotes, the seven SpamAssassin rules, the Postfix line,
rsync through rrsync, the cron + rndc reload script, the Spark schema against the records
nodd writes to Kafka, and the WebSocket stream through nginx over TLS. The BIND recipes
are in test_migrating_bind.py.

One nodd (the page's config) serves the tests of this module that only read from it."""
import base64
import email
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsigkeyring
import pytest

import nodd_harness as h
from conftest import need
from migrating_util import (DNSBL, EXAMPLES, KEY, RPZ5, SECRET, SUFFIX, code_blocks,
                            doc_section, doc_text, example, start_feed_nodd,
                            stop_process)
from publish_util import substitute

NOW = int(time.time())   # set again by feed: ages count from when its names are observed
# a domain per age code (.2 .. .8), under .ch: SpamAssassin only takes URLs in known TLDs
AGES = {"a5m-nodd-mig.ch": 60, "a10m-nodd-mig.ch": 400, "a30m-nodd-mig.ch": 1200,
        "a1h-nodd-mig.ch": 2400, "a3h-nodd-mig.ch": 7200, "a12h-nodd-mig.ch": 20000,
        "a24h-nodd-mig.ch": 60000}


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    """The page's nodd, with one name per age code, dns-nod.net itself and a name of .nodtld."""
    global NOW
    n = start_feed_nodd(tmp_path_factory.mktemp("feed"))
    NOW = int(time.time())
    items = [{"domain": d, "first_seen": NOW - age} for d, age in AGES.items()]
    items += [{"domain": SUFFIX, "first_seen": NOW - 30},
              {"domain": "listed.nodtld", "first_seen": NOW - 30}]
    before = {RPZ5: n.serial(RPZ5), DNSBL: n.serial(DNSBL)}
    n.observe_many(items)
    n.wait_new_versions(before)
    yield n
    n.stop()


# ---- the page shows the files the tests run ---------------------------------------------

def test_every_example_file_is_shown_verbatim():
    """Each docs/examples/NAME the page names is followed by a code block equal to the
    file, and every file of docs/examples is shown."""
    text = doc_text()
    shown = set()
    for m in re.finditer(r"`docs/examples/([\w.-]+)`", text):
        blocks = code_blocks(text[m.end():])
        assert blocks, m.group(0)
        name = m.group(1)
        if blocks[0] == example(name):
            shown.add(name)
    assert shown == set(os.listdir(EXAMPLES)), (sorted(shown), sorted(os.listdir(EXAMPLES)))


# ---- the feed's names ------------------------------------------------------------------

def test_feed_zone_names_and_test_entries(feed):
    """suffix dns-nod.net gives <window>.rpz.dns-nod.net and v1.bl.dns-nod.net; the test
    domain test.dns-nod.net is listed as 127.0.0.2 with TXT first_seen=0, invalid.dns-nod.net
    and the names under it never, though dns-nod.net is listed; RFC 5782's test/invalid
    entries stay; dns-nod.net's own codes are as for any name."""
    for w in h.WINDOWS:
        assert feed.serial("%s.rpz.%s" % (w, SUFFIX)) > 0
    r = feed.query("test.%s.%s" % (SUFFIX, DNSBL), "A")
    h.assert_a(r, "test.%s.%s" % (SUFFIX, DNSBL), "127.0.0.2")
    r = feed.query("test.%s.%s" % (SUFFIX, DNSBL), "TXT")
    h.assert_txt_first_seen(r, "test.%s.%s" % (SUFFIX, DNSBL), 0)
    for name in ("invalid." + SUFFIX, "x.invalid." + SUFFIX):
        q = "%s.%s" % (name, DNSBL)
        r = feed.query(q, "A")
        assert r.rcode() == dns.rcode.NXDOMAIN and not r.answer, r
    assert feed.code("www." + SUFFIX) == "127.0.0.2"     # listed: a subdomain of a listed name
    assert feed.code("test") == "127.0.0.2" and feed.code("invalid") == "NXDOMAIN"
    for d, age in AGES.items():
        assert feed.code(d) == h.expected_code(age), d


def test_test_domain_is_an_entry_without_its_parent_listed(tmp_path):
    """With nothing observed, test.dns-nod.net is still listed, its parent dns-nod.net is an
    empty non-terminal (NODATA) and invalid.dns-nod.net is NXDOMAIN; a full transfer of the
    DNSBL zone carries the test entry with its A and TXT; a reload does not change the test
    names (a restart does)."""
    n = start_feed_nodd(tmp_path / "n", interval="60s")
    try:
        assert n.code("test." + SUFFIX) == "127.0.0.2"
        r = n.query("%s.%s" % (SUFFIX, DNSBL), "A")
        assert r.rcode() == dns.rcode.NOERROR and not r.answer, r
        assert [rrs.name.to_text() for rrs in r.authority] == [DNSBL + "."], r
        assert n.code("invalid." + SUFFIX) == "NXDOMAIN"
        kr = dns.tsigkeyring.from_text({KEY: SECRET})
        got = set()   # owners relative to the zone, as dnspython gives them
        for m in dns.query.xfr("127.0.0.1", DNSBL, port=n.port, keyring=kr, keyname=KEY,
                               keyalgorithm="hmac-sha256", timeout=5):
            for rrs in m.answer:
                for rd in rrs:
                    got.add((rrs.name.to_text(), dns.rdatatype.to_text(rrs.rdtype), rd.to_text()))
        owner = "test." + SUFFIX
        assert (owner, "A", "127.0.0.2") in got and (owner, "TXT", '"first_seen=0"') in got, got
        assert not [g for g in got if g[0].startswith("invalid")], got
        # a reload with other test names keeps the running ones and says they wait
        n.write_config(n.feed_config().replace("test-names: [test.dns-nod.net]",
                                               "test-names: [test.other.example]"))
        n.send_signal(signal.SIGHUP)
        h.wait_for(lambda: "publish.test-names" in n.log_text(), 10, what="the reload's log")
        assert re.search(r"reload: changed publish\.test-names: takes effect at "
                         r"the next restart", n.log_text()), n.log_tail()
        assert n.code("test." + SUFFIX) == "127.0.0.2"
        assert n.code("test.other.example") == "NXDOMAIN"
    finally:
        n.stop()


def test_files_in_the_feed_layout(feed):
    """files.layout: nod writes nod/rpz/<window>.rpz.dns-nod.net.zone (and the allow zone
    there) and v1/nod.rbldnsd (and not the default layout's paths); the dnset lists the test domain and excludes its
    invalid twin."""
    d = feed.files_dir
    want = ["nod/rpz/%s.rpz.%s.zone" % (w, SUFFIX) for w in h.WINDOWS + ["allow"]]
    want.append("v1/nod.rbldnsd")
    h.wait_for(lambda: all(os.path.exists(os.path.join(d, p)) for p in want), 10,
               what="the files in the feed's layout")
    assert not os.path.exists(os.path.join(d, "rpz")) and not os.path.exists(
        os.path.join(d, "nod.rbldnsd")), os.listdir(d)
    dnset = open(os.path.join(d, "v1", "nod.rbldnsd")).read().splitlines()
    assert "test.%s :127.0.0.2:first_seen=0" % SUFFIX in dnset, dnset
    assert "!invalid.%s" % SUFFIX in dnset and "!*.invalid.%s" % SUFFIX in dnset, dnset
    h.wait_for(lambda: "listed.nodtld\tCNAME\t." in open(
        os.path.join(d, "nod", "rpz", "5m.rpz.%s.zone" % SUFFIX)).read(), 10,
        what="the 5m zone file listing listed.nodtld")


def test_default_layout_is_unchanged(tmp_path, nodd_factory):
    """Without files.layout, the files stay at rpz/<zone>.zone and nod.rbldnsd."""
    fdir = tmp_path / "files"
    n = nodd_factory(extra="files:\n  dir: %s\n  interval: 1s\n" % fdir)
    h.wait_for(lambda: (fdir / "nod.rbldnsd").exists() and
               (fdir / "rpz" / ("5m.rpz.%s.zone" % h.SUFFIX)).exists(), 10, what="files")
    assert not (fdir / "nod").exists() and not (fdir / "v1").exists()
    assert n.alive()


@pytest.mark.parametrize("body,line,message", [
    ("publish:\n  suffix: a.example.\n  test-names: [a.b, c.d, e.f, g.h, i.j]\n", 5,
     "publish.test-names: at most 4 names"),
    ("publish:\n  suffix: a.example.\n  test-names: [test.a.example, \"bad name\"]\n", 5,
     'publish.test-names: "bad name" is not a valid domain name'),
    ("publish:\n  suffix: a.example.\nfiles:\n  dir: /tmp/x\n  layout: rsync\n", 7,
     'files.layout: expected nodd or nod, not "rsync"'),
])
def test_check_config_names_bad_test_names_and_layouts(tmp_path, body, line, message):
    path = tmp_path / "nodd.yaml"
    path.write_text("server:\n  database: %s\n" % (tmp_path / "db") + body)
    r = subprocess.run([h.nodd_binary(), "-c", str(path), "--check-config"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and "%s:%d: %s" % (path, line, message) in r.stderr, r


# ---- dig -y troubleshooting --------------------------------------------------------------

def quoted_lines(block):
    """A regex per line the page quotes: words separated by any blanks; its times
    (1764000000), IDs (12345) and "…" stand for any value."""
    out = []
    for line in block.strip("\n").splitlines():
        words = []
        for w in line.split():
            w = re.escape(w).replace("…", r"\S+")
            words.append(r"\d+" if w in ("1764000000", "12345") else w)
        out.append(re.compile(r"^\s*" + r"\s+".join(words) + r"\s*$", re.M))
    return out


def run(argv, timeout=30, env=None):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    return r.stdout + r.stderr


def test_dig_tsig_errors_are_the_lines_the_page_quotes(feed, need_dig):
    """dig -y with the right key, a wrong secret, an unknown key name and another
    algorithm; no key; kdig under faketime 600 s behind: each prints the lines the page
    quotes for it, and nodd logs the refusal. dig's line for an answer signed with another
    secret, from a stand-in server."""
    need("faketime")
    need("kdig")
    sec = doc_section("Troubleshooting transfers")
    blocks = code_blocks(sec)
    # blocks: the command, success, BADSIG, BADKEY, no key, an answer signed with another
    # secret, BADTIME, the faketime command, nodd's log line
    assert len(blocks) == 9, blocks
    cmd = shlex.split(substitute(blocks[0], ("@192.0.2.1", "@127.0.0.1"),
                                 ("<secret>", SECRET)))
    cmd[1:1] = ["-p", str(feed.port)]
    wrong = "hmac-sha256:%s:%s" % (KEY, "A" * 43 + "=")

    def with_key(y):
        return [a if not a.startswith("hmac-") else y for a in cmd]
    outputs = [run(cmd), run(with_key(wrong)), run(with_key("hmac-sha256:other:" + SECRET)),
               run(with_key("hmac-sha512:%s:%s" % (KEY, SECRET))),
               run([a for a in cmd if a != "-y" and not a.startswith("hmac-")])]
    for out, b in zip(outputs[:3] + outputs[4:], [1, 2, 3, 4]):
        for rx in quoted_lines(blocks[b]):
            assert rx.search(out), (rx.pattern, out)
    for rx in quoted_lines(blocks[3])[::2]:   # the TSIG line names the other key below
        assert rx.search(outputs[3]), (rx.pattern, outputs[3])
    assert "listed.nodtld.%s." % RPZ5 in outputs[0]
    for out in outputs[1:]:
        assert "listed.nodtld" not in out, out
    # the wrong algorithm with the right name: BADKEY, with the key's name
    assert re.search(r"^%s\.\s+0\s+ANY\s+TSIG\s+hmac-sha512\..* BADKEY 0" % KEY, outputs[3], re.M)
    fake = shlex.split(substitute(blocks[7], ("@192.0.2.1", "@127.0.0.1"), ("<secret>", SECRET)))
    assert fake[:3] == ["faketime", "-f", "-600s"] and fake[3] == "kdig", fake
    fake[4:4] = ["-p", str(feed.port), "+timeout=3", "+retry=0"]
    out = run(fake)
    for rx in quoted_lines(blocks[6]):
        assert rx.search(out), (rx.pattern, out)
    # the first refusal is logged as the page quotes it (then once a minute per client);
    # every one is counted
    logged = substitute(blocks[8], ("from 192.0.2.53:", "from 127.0.0.1:")).strip()
    assert logged in feed.log_text(), feed.log_tail()
    assert h.metric_sum(feed.metrics(), "nodd_xfr_out_tsig_errors_total") >= 4
    # a server that signs its answer with another secret (nodd never does: a stand-in)
    right = dns.tsigkeyring.from_text({KEY: SECRET})
    other = dns.tsigkeyring.from_text({KEY: "B" * 43 + "="})

    class OtherSecret(h.UdpServer):
        def handle(self, data, peer):
            r = dns.message.make_response(dns.message.from_wire(data, keyring=right))
            r.use_tsig(other, keyname=KEY, algorithm="hmac-sha256")
            self.sock.sendto(r.to_wire(), peer)
    srv = OtherSecret()
    try:
        soa = [a for a in cmd if a != "AXFR"] + ["SOA", "+time=3", "+tries=1"]
        out = run([str(srv.port) if a == str(feed.port) else a for a in soa])
    finally:
        srv.close()
    for rx in quoted_lines(blocks[5]):
        assert rx.search(out), (rx.pattern, out)


# ---- SpamAssassin -----------------------------------------------------------------------

def spamassassin(tmp_path, feed, args, stdin=""):
    """spamassassin with the system's plugin list (/etc/spamassassin/*.pre), the page's
    nod.cf as the only site rule file besides the defaults, a private HOME; nodd as its DNS
    server (test-only settings on the command line)."""
    site = tmp_path / "sa"
    if not site.exists():
        site.mkdir()
        for p in os.listdir("/etc/spamassassin"):
            if p.endswith(".pre"):
                shutil.copy(os.path.join("/etc/spamassassin", p), str(site))
        (site / "nod.cf").write_text(example("spamassassin-nod.cf"))
        (site / "home").mkdir()
        (site / "prefs").write_text("")
    argv = ["spamassassin", "--siteconfigpath=%s" % site, "-p", str(site / "prefs"),
            "--cf=dns_server 127.0.0.1:%d" % feed.port, "--cf=dns_available yes"] + args
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=90,
                          env=dict(os.environ, HOME=str(site / "home")))


def nod_rules_hit(out):
    status = email.message_from_string(out).get("X-Spam-Status", "")
    m = re.search(r"tests=(.*?)\s+autolearn=", status, re.S)
    assert m, out
    return {t.strip() for t in m.group(1).split(",") if t.strip().startswith("NOD_")}


def test_spamassassin_seven_rules_one_per_age_code(tmp_path, feed):
    """The seven rules lint clean; each subtest is the one code of its window; a message
    with URLs of codes .2 .4 .6 .8 hits exactly NOD_5M, NOD_30M, NOD_3H, NOD_24H, one of
    .3 .5 .7 exactly NOD_10M, NOD_1H, NOD_12H, an unlisted domain none."""
    need("spamassassin")
    cf = example("spamassassin-nod.cf")
    subs = dict(re.findall(r"^urirhssub\s+(\S+)\s+%s\.\s+A\s+(\S+)$" % re.escape(DNSBL), cf, re.M))
    rules = {"NOD_5M": "5m", "NOD_10M": "10m", "NOD_30M": "30m", "NOD_1H": "1h",
             "NOD_3H": "3h", "NOD_12H": "12h", "NOD_24H": "24h"}
    assert subs == {r: "127.0.0.%d" % h.CODE[w] for r, w in rules.items()}, subs
    for r in rules:
        assert re.search(r"^body\s+%s\s+eval:check_uridnsbl\('%s'\)$" % (r, r), cf, re.M), r
        assert re.search(r"^score\s+%s\s+\d" % r, cf, re.M), r
    lint = spamassassin(tmp_path, feed, ["--lint"])
    assert lint.returncode == 0 and "warn" not in lint.stderr.lower(), lint.stderr
    by_window = {w: d for d in AGES for w in h.WINDOWS if d.startswith("a%s-" % w)}

    def message(windows, extra=()):
        urls = ["http://www.%s/x" % by_window[w] for w in windows] + list(extra)
        return ("From: a@example.org\nTo: b@example.org\nSubject: hi\nDate: Mon, 1 Jan 2024 "
                "00:00:00 +0000\nMessage-ID: <%d@example.org>\n\n%s\n" % (len(urls), "\n".join(urls)))
    for windows in (["5m", "30m", "3h", "24h"], ["10m", "1h", "12h"]):
        r = spamassassin(tmp_path, feed, ["-t"],
                         message(windows, ["http://www.unlisted-nodd-mig.ch/"]))
        assert r.returncode in (0, 1), r.stderr
        want = {rule for rule, w in rules.items() if w in windows}
        assert nod_rules_hit(r.stdout) == want, (windows, r.stdout[-3000:])


# ---- Postfix ----------------------------------------------------------------------------

def postfix_line():
    blocks = code_blocks(doc_section("Postfix"))
    assert len(blocks) == 2, blocks    # the line, the fatal error of a hyphen range
    line = blocks[0].strip()
    assert line == ("smtpd_sender_restrictions = reject_rhsbl_sender "
                    "%s=127.0.0.[2..8]" % DNSBL), line
    return line


def test_postfix_line_is_accepted_by_postconf_and_postfix_check(tmp_path):
    """postconf -c reads the page's line back unchanged, and postfix check passes on a
    main.cf holding it."""
    need("postconf")
    etc = tmp_path / "etc"
    etc.mkdir()
    line = postfix_line()
    (etc / "main.cf").write_text("compatibility_level = 3.6\n%s\n" % line)
    shutil.copy("/etc/postfix/master.cf", str(etc / "master.cf"))
    r = subprocess.run(["postconf", "-c", str(etc), "-n", "smtpd_sender_restrictions"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.strip() == line and not r.stderr, r
    if os.geteuid() == 0:
        r = subprocess.run(["postfix", "-c", str(etc), "check"], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


def test_postfix_hyphen_range_ends_every_session(tmp_path, nodd_factory):
    """A real smtpd with the page's line refuses a listed sender (554, naming the DNSBL);
    with a hyphen range in its place, smtpd ends the session and logs the fatal error the
    page quotes."""
    import test_publish_mail as pm
    reason = pm.postfix_skip_reason()
    if reason:
        pytest.skip(reason)
    line = substitute(postfix_line(), (DNSBL + "=", h.DNSBL + "="))
    n, addr = pm.nodd_on_port_53(nodd_factory)
    n.observe("fresh-nodd-mig.ch", first_seen=int(time.time()) - 60)
    with pm.PrivatePostfix(line, addr) as pf:
        _, rcpt = pf.mail_rcpt("x@fresh-nodd-mig.ch")
        assert rcpt[0] == 554 and "blocked using %s" % h.DNSBL in rcpt[1], (rcpt, pf.log())
    fatal = code_blocks(doc_section("Postfix"))[1].strip()
    bad = substitute(line, ("=127.0.0.[2..8]", "=127.0.0.2-8"))
    with pm.PrivatePostfix(bad, addr) as pf:
        with pytest.raises(pm.smtplib.SMTPServerDisconnected):
            pf.mail_rcpt("x@fresh-nodd-mig.ch")
        h.wait_for(lambda: fatal in pf.log(), 10, what="smtpd's fatal error in the log")


# ---- rsync through rrsync, cron + rndc reload --------------------------------------------

def forced_command():
    """The command= of the page's authorized_keys line."""
    blocks = code_blocks(doc_section("rsync over ssh"))
    m = re.match(r'^command="([^"]+)",restrict ssh-ed25519 ', blocks[0])
    assert m, blocks[0]
    return m.group(1)


def ssh_standin(tmp_path, export):
    """A remote shell for rsync -e / RSYNC_RSH that does what sshd does for a key with a
    forced command: the command the client asked for goes into SSH_ORIGINAL_COMMAND, and
    the forced command (the page's, with the export directory replaced) runs instead."""
    forced = substitute(forced_command(), (" /srv/nod", " %s" % export))
    p = tmp_path / "ssh-forced"
    p.write_text('#!/bin/sh\n# rsync calls: [-l user] host command...\n'
                 'if [ "$1" = -l ]; then shift 2; fi\nshift\n'
                 'SSH_ORIGINAL_COMMAND="$*"\nexport SSH_ORIGINAL_COMMAND\n'
                 'exec /bin/sh -c %s\n' % shlex.quote(forced))
    p.chmod(0o755)
    return str(p)


def test_rrsync_account_reads_the_export_and_nothing_else(tmp_path, feed):
    """Through the forced command: a mirror of the export gets the feed's tree; an upload
    is refused as read-only; '..' and paths outside the export reach nothing."""
    need("rrsync")
    need("rsync")
    rsh = ssh_standin(tmp_path, feed.files_dir)
    mirror = tmp_path / "mirror"
    r = subprocess.run(["rsync", "-a", "-e", rsh, "nod@nodd-host:/", str(mirror) + "/"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (mirror / "v1" / "nod.rbldnsd").is_file()
    assert (mirror / "nod" / "rpz" / ("5m.rpz.%s.zone" % SUFFIX)).is_file()
    up = tmp_path / "upload"
    up.write_text("x")
    r = subprocess.run(["rsync", "-a", "-e", rsh, str(up), "nod@nodd-host:/upload"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "sending to read-only server is not allowed" in r.stderr, r
    assert not os.path.exists(os.path.join(feed.files_dir, "upload"))
    secret = tmp_path / "outside.txt"
    secret.write_text("not for mirrors")
    for path in ("nod@nodd-host:../outside.txt", "nod@nodd-host:%s" % secret):
        dst = tmp_path / "got"
        r = subprocess.run(["rsync", "-a", "-e", rsh, path, str(dst)], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode != 0 and not dst.exists(), (path, r)


RNDC_CONF = """key "rndc-key" { algorithm hmac-sha256; secret "%(secret)s"; };
controls { inet 127.0.0.1 port %(cport)d allow { 127.0.0.1; } keys { "rndc-key"; }; };
options {
    directory "%(dir)s"; pid-file "named.pid";
    listen-on port %(port)d { 127.0.0.1; }; listen-on-v6 { none; };
    recursion no; notify no; dnssec-validation no;
};
"""


def test_cron_script_mirrors_and_reloads_named(tmp_path, feed):
    """The page's nod-sync.sh, run once against the rrsync account and a real named with
    rndc: the zone files arrive in the mirror, named (serving them as bind-rpz-files.conf
    says) reloads and answers the new serial and a name observed since its start; a
    second run while the lock is held exits at once and changes nothing."""
    need("rrsync")
    if not os.path.exists("/usr/sbin/named"):
        pytest.skip("named is not installed (Debian: bind9)")
    from bind_util import start_named
    rsh = ssh_standin(tmp_path, feed.files_dir)
    ndir = tmp_path / "named"
    ndir.mkdir()
    mirror = ndir / "dns-nod"
    mirror.mkdir()
    env = dict(os.environ, RSYNC_RSH=rsh, NOD_SRC="nod@nodd-host:/", NOD_DEST=str(mirror),
               NOD_LOCK=str(tmp_path / "nod-sync.lock"))
    port, cport = h.free_port(), h.free_tcp_port()
    rkey = base64.b64encode(b"rndc key for the nod-sync test!!").decode()
    env["NOD_RNDC"] = "rndc -s 127.0.0.1 -p %d -y rndc-key -c %s" % (cport, ndir / "rndc.conf")
    (ndir / "rndc.conf").write_text(
        'key "rndc-key" { algorithm hmac-sha256; secret "%s"; };\n'
        'options { default-key "rndc-key"; default-server 127.0.0.1; default-port %d; };\n'
        % (rkey, cport))
    script = str(tmp_path / "nod-sync")
    shutil.copy(os.path.join(EXAMPLES, "nod-sync.sh"), script)
    # the first run copies the files; named is not running yet, so its rndc fails
    r = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and (mirror / "nod" / "rpz").is_dir(), r
    zones = substitute(example("bind-rpz-files.conf"), ("/var/lib/bind/dns-nod/", "%s/" % mirror))
    (ndir / "named.conf").write_text(RNDC_CONF % {"secret": rkey, "cport": cport,
                                                  "dir": ndir, "port": port} + zones)
    p, logf = start_named(str(ndir / "named.conf"), str(ndir))

    def soa():
        try:
            r = dns.query.udp(dns.message.make_query(RPZ5, "SOA"), "127.0.0.1", port=port,
                              timeout=1)
            return r.answer[0][0].serial if r.answer else None
        except Exception:
            return None
    try:
        first = h.wait_for(soa, 20, what="named serving the mirrored 5m zone")
        before = feed.serial(RPZ5)
        feed.observe("cron-new.nodtld")
        feed.wait_new_versions({RPZ5: before})
        new = feed.serial(RPZ5)
        zfile = os.path.join(feed.files_dir, "nod", "rpz", "5m.rpz.%s.zone" % SUFFIX)

        def file_serial():
            m = re.search(r"^@\tSOA\t\S+ \S+ (\d+) ", open(zfile).read(), re.M)
            return int(m.group(1)) if m else 0
        h.wait_for(lambda: file_serial() >= new, 10, what="the 5m file with the new version")
        # a run while another holds the lock: exits 0 at once, nothing copied or reloaded
        with open(env["NOD_LOCK"], "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            r = subprocess.run([script], env=env, capture_output=True, text=True, timeout=30)
            assert r.returncode == 0 and not r.stdout and soa() == first, (r, soa())
        r = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.splitlines() == ["zone reload queued"] * 2, r.stdout
        assert new > first
        h.wait_for(lambda: (soa() or 0) >= new, 10, what="named serving the reloaded zone")
        q = dns.message.make_query("cron-new.nodtld." + RPZ5, "A")
        ans = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
        assert [rd.to_text() for rrs in ans.answer for rd in rrs] == ["."], ans
    finally:
        stop_process(p, logf)


# ---- Spark schema ------------------------------------------------------------------------

SPARK_TYPES = {"StringType": str, "LongType": int}


def spark_schema():
    """{field: python type} of the StructType in the page's Spark example."""
    block = code_blocks(doc_section("Spark"))[0]
    fields = re.findall(r'StructField\("(\w+)", (\w+)\(\)\)', block)
    assert fields and all(t in SPARK_TYPES for _, t in fields), fields
    return {f: SPARK_TYPES[t] for f, t in fields}


def test_spark_schema_reads_the_records_nodd_writes_to_kafka(tmp_path):
    """The page's schema holds Zonestream's four fields; every field of the records kcat
    reads from nodd's newly_registered_domain topic (names from the API) is in the schema
    with its type or null, and the schema's fields these records lack are the CT-only
    ones."""
    need("kcat")
    from test_streams import NRD, KafkaMock, wait_records
    schema = spark_schema()
    assert list(schema)[:4] == ["domain", "cert_index", "ct_name", "timestamp"], schema
    kafka = KafkaMock()
    try:
        n = start_feed_nodd(tmp_path / "n", interval="60s")
        n.extra = "kafka:\n  brokers: %s\n" % kafka.bootstrap
        n.stop()
        n.write_config(n.feed_config())
        n.start()
        n.observe("spark-one.nodtld", first_seen=int(time.time()) - 10)
        n.observe("spark-two.nodtld", first_seen=int(time.time()) - 5)
        recs = [r[2] for r in wait_records(kafka.bootstrap, NRD, {1, 2})]
        n.stop()
    finally:
        kafka.stop()
    assert sorted(r["domain"] for r in recs) == ["spark-one.nodtld", "spark-two.nodtld"]
    for r in recs:
        for k, v in r.items():
            assert k in schema, (k, schema)
            assert v is None or isinstance(v, schema[k]), (k, v, schema[k])
        assert set(schema) - set(r) == {"cert_index", "ct_name"}, (r, schema)


# ---- wss through nginx ------------------------------------------------------------------

def start_nginx(tmp_path, nodd_http_port):
    """nginx from Debian with the page's server block, on a kernel-picked port and a
    certificate made here; replaced: the port, the certificate paths and nodd's address.
    Returns (process, port, certificate)."""
    d = tmp_path / "nginx"
    (d / "logs").mkdir(parents=True)
    cert, key = d / "cert.pem", d / "key.pem"
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=nod.example.org", "-addext",
                        "subjectAltName=DNS:nod.example.org",
                        "-keyout", str(key), "-out", str(cert)], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    port = h.free_tcp_port()
    server = substitute(example("nginx-nodd-ws.conf"),
                        ("listen 443 ssl;", "listen 127.0.0.1:%d ssl;" % port),
                        ("/etc/ssl/certs/nod.example.org.pem", str(cert)),
                        ("/etc/ssl/private/nod.example.org.key", str(key)),
                        ("http://127.0.0.1:8053", "http://127.0.0.1:%d" % nodd_http_port))
    conf = d / "nginx.conf"
    conf.write_text(
        "daemon off;\nmaster_process off;\npid %s/nginx.pid;\nerror_log %s/logs/error.log info;\n"
        "events { worker_connections 64; }\nhttp {\n    access_log %s/logs/access.log;\n"
        "    client_body_temp_path %s/tmp_body;\n    proxy_temp_path %s/tmp_proxy;\n"
        "%s}\n" % (d, d, d, d, d, server))
    p = subprocess.Popen(["nginx", "-p", str(d), "-c", str(conf)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    return p, port, str(cert)


def _connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_websocket_stream_over_wss_through_nginx(tmp_path, nodd):
    """A WebSocket client over TLS, trusting the test's certificate, gets the
    newly_registered_domain records through nginx as nodd sends them; a path outside /ws/
    gets nginx's 404."""
    need("nginx")
    need("openssl")
    import ssl
    import urllib.error
    import urllib.request
    import websocket
    p, port, cert = start_nginx(tmp_path, nodd.http_port)
    try:
        h.wait_for(lambda: p.poll() is not None or _connects(port), 10, what="nginx listening")
        assert p.poll() is None, p.stderr.read().decode()
        # the certificate's name is checked (SNI and verification as nod.example.org)
        ws = websocket.create_connection(
            "wss://127.0.0.1:%d/ws/newly_registered_domain" % port, timeout=10,
            host="nod.example.org",
            sslopt={"ca_certs": cert, "cert_reqs": ssl.CERT_REQUIRED,
                    "server_hostname": "nod.example.org"})
        try:
            nodd.observe("wss-one.nodtld")
            nodd.observe("wss-two.nodtld")
            got = [json.loads(ws.recv()) for _ in range(2)]
            assert [r["domain"] for r in got] == ["wss-one.nodtld", "wss-two.nodtld"], got
        finally:
            ws.close()
        ctx = ssl.create_default_context(cafile=cert)
        req = urllib.request.Request("https://127.0.0.1:%d/api/v1/status" % port)
        ctx.check_hostname = False
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, context=ctx, timeout=10)
        assert e.value.code == 404
    finally:
        stop_process(p)
