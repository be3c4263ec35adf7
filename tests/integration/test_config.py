"""Configuration: `nodd -c FILE --check-config` accepts a good file and names FILE:LINE: of
each kind of mistake; SIGHUP re-reads the file while serving and keeps the running
configuration when the new file is bad."""
import os
import re
import signal
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import dns.tsigkeyring
import pytest

import nodd_harness as h
from nodd_harness import DNSBL


def bl(name):
    return "%s.%s" % (name, DNSBL)


@pytest.fixture
def check(tmp_path):
    """check(text) -> (rc, stdout, stderr, path) of nodd --check-config on that file."""
    if h.nodd_binary() is None:
        pytest.fail("nodd is not built under %s" % h.BUILD)

    def run(text, name="nodd.yaml"):
        path = str(tmp_path / name)
        if text is not None:
            with open(path, "w") as f:
                f.write(text)
        r = subprocess.run([h.nodd_binary(), "-c", path, "--check-config"], capture_output=True,
                           text=True, timeout=20)
        return r.returncode, r.stdout, r.stderr, path
    return run


GOOD = """\
server:
  listen: [127.0.0.1@5353]
  http: 127.0.0.1@8053
  database: /tmp/nodd-check.db
publish:
  suffix: nod.example.
  ttl: 60
"""

FULL = """\
# every documented key of server, publish and policy
server:
  listen:
    - 127.0.0.1@5353
    - "::1@5353"
  http: 127.0.0.1@8053
  http-token: secret
  database: /tmp/nodd-check.db
  udp-threads: 2
  log-level: debug
  tcp-idle-timeout: 30s
  tcp-clients: 150
  tcp-clients-per-ip: 20
publish:
  suffix: nod.example.
  ttl: 60
  ns: [ns1.example., ns2.example.]
  hostmaster: hostmaster.example.
  min-interval: 1s
  soa-refresh: 60
  soa-retry: 1m
  soa-expire: 6h
  soa-minimum: 60
  rpz-action: nodata
policy:
  future-skew: 5m
"""


def assert_error_at(res, line, *words):
    rc, out, err, path = res
    assert rc != 0, "check-config accepted a bad file (stdout %r)" % out
    want = "%s:%d:" % (path, line)
    assert want in err, "expected %r in stderr, got %r" % (want, err)
    for w in words:
        assert w in err, "expected %r in stderr, got %r" % (w, err)


def test_good_file(check):
    rc, out, err, _ = check(GOOD)
    assert rc == 0, err


def test_full_file_with_every_documented_key(check):
    rc, out, err, _ = check(FULL)
    assert rc == 0, err


def test_min_interval_as_integer_seconds(check):
    """A bare number is seconds: --check-config reports the min-interval in effect."""
    rc, out, err, path = check(GOOD + "  min-interval: 1\n")
    assert rc == 0, err
    assert out == "%s: configuration is valid (min-interval 1s)\n" % path, out
    rc, out, err, path = check(GOOD)
    assert rc == 0 and out.endswith("(min-interval 5s)\n"), out + err


@pytest.mark.parametrize("text,effective", [
    (GOOD + "transfer:\n  min-interval: 3s\n", 3),
    (GOOD + "  min-interval: 1m\ntransfer:\n  min-interval: 60\n", 60),
])
def test_transfer_min_interval_is_the_publish_min_interval(check, text, effective):
    """transfer.min-interval sets the one min-interval, alone or with an equal
    publish.min-interval."""
    rc, out, err, _ = check(text)
    assert rc == 0, err
    assert out.endswith("(min-interval %ds)\n" % effective), out


def test_two_different_min_intervals_are_an_error(check):
    """publish.min-interval and transfer.min-interval that disagree: an error at the second
    one's line naming both, in either order."""
    text = GOOD + "  min-interval: 5s\ntransfer:\n  min-interval: 2s\n"  # lines 8, 10
    assert_error_at(check(text), 10, "transfer.min-interval: 2s differs from "
                    "publish.min-interval 5s on line 8")
    text = GOOD.replace("publish:", "transfer:\n  min-interval: 2s\npublish:") + \
        "  min-interval: 5s\n"  # lines 6, 10
    assert_error_at(check(text), 10, "publish.min-interval: 5s differs from "
                    "transfer.min-interval 2s on line 6")


def test_unknown_key_in_section(check):
    text = GOOD.replace("  ttl: 60\n", "  ttl: 60\n  tll: 30\n")  # line 8
    assert_error_at(check(text), 8, "tll")


def test_unknown_key_in_server(check):
    text = GOOD.replace("  http: 127.0.0.1@8053\n", "  http: 127.0.0.1@8053\n  listne: x\n")  # line 4
    assert_error_at(check(text), 4, "listne")


def test_unknown_top_level_key(check):
    text = GOOD + "publsh:\n  ttl: 3\n"  # line 8
    assert_error_at(check(text), 8, "publsh")


def test_bad_value_ttl(check):
    text = GOOD.replace("  ttl: 60\n", "  ttl: abc\n")  # line 7
    assert_error_at(check(text), 7, "ttl")


def test_bad_value_listen(check):
    text = GOOD.replace("  listen: [127.0.0.1@5353]\n", "  listen: [nonsense]\n")  # line 2
    assert_error_at(check(text), 2, "listen")


def test_bad_value_listen_in_block_list(check):
    text = GOOD.replace("  listen: [127.0.0.1@5353]\n",
                        "  listen:\n    - 127.0.0.1@5353\n    - 127.0.0.1@99999\n")  # line 4
    assert_error_at(check(text), 4, "listen")


def test_bad_duration(check):
    text = GOOD + "  min-interval: soon\n"  # line 8
    assert_error_at(check(text), 8, "min-interval")


@pytest.mark.parametrize("section,line", [
    ("transfer:\n  allow:\n    - address: 127.0.0.1/32\n    - key: nod-xfer\n", 14),
    ("transfer:\n  notify:\n    - address: 127.0.0.1@5310\n      key: nod-xfer\n", 13),
    ("upstreams:\n  - zone: se.\n    primaries: [127.0.0.1@53]\n    key: nod-xfer\n", 14),
])
def test_key_name_not_under_keys(check, section, line):
    """A key named in transfer.allow, transfer.notify or upstreams that keys does not
    define (here a typo) is an error at its entry's line, not a peer that is silently never
    allowed."""
    keys = "keys:\n  - name: nod-xfr\n    secret: \"%s\"\n" % "Jt3xYlAHR0NZEOiPJ2+dknn0Vn7VQbKkJ0dZDS0Bo+0="
    assert_error_at(check(GOOD + keys + section), line, "no key named nod-xfer")
    rc, out, err, _ = check(GOOD + keys + section.replace("nod-xfer", "nod-xfr"))
    assert rc == 0, err


def test_bad_suffix_name(check):
    text = GOOD.replace("  suffix: nod.example.\n", "  suffix: nod..example.\n")  # line 6
    assert_error_at(check(text), 6, "suffix")


def test_missing_suffix(check):
    text = GOOD.replace("  suffix: nod.example.\n", "")
    rc, out, err, path = check(text)
    assert rc != 0
    assert re.search(re.escape(path) + r":\d+:", err), err
    assert "suffix" in err, err


def test_missing_database(check):
    text = GOOD.replace("  database: /tmp/nodd-check.db\n", "")
    rc, out, err, path = check(text)
    assert rc != 0
    assert re.search(re.escape(path) + r":\d+:", err), err
    assert "database" in err, err


def test_unreadable_file(check, tmp_path):
    rc, out, err, path = check(None, name="does-not-exist.yaml")
    assert rc != 0
    assert path in err, "the message does not name the file: %r" % err


def test_invalid_yaml_mismatched_bracket(check):
    text = GOOD.replace("  listen: [127.0.0.1@5353]\n", "  listen: [127.0.0.1@5353}\n")  # line 2
    assert_error_at(check(text), 2)


def test_invalid_yaml_unclosed_bracket(check):
    text = GOOD.replace("  listen: [127.0.0.1@5353]\n", "  listen: [127.0.0.1@5353\n")
    rc, out, err, path = check(text)
    assert rc != 0
    # the line of the bracket (2) or the line where the parser finds the sequence unclosed (3)
    m = re.search(re.escape(path) + r":(\d+):", err)
    assert m and int(m.group(1)) in (2, 3), err


def test_duplicate_key(check):
    text = GOOD + "  ttl: 30\n"  # line 8, first on line 7
    assert_error_at(check(text), 8, "ttl")


def test_check_config_does_not_touch_database(check, tmp_path):
    db = tmp_path / "never.db"
    rc, out, err, _ = check(GOOD.replace("/tmp/nodd-check.db", str(db)))
    assert rc == 0, err
    assert not db.exists(), "--check-config created the database"


# ---- SIGHUP -----------------------------------------------------------------------------------
def _ttl(n, name):
    r = n.query(bl(name), "A")
    assert r.rcode() == dns.rcode.NOERROR and r.answer, r.to_text()
    return r.answer[0].ttl


def test_sighup_applies_new_ttl_and_keeps_serving(nodd_factory):
    n = nodd_factory(name="nodd (hup)")
    n.observe("hup.se", int(time.time()) - 60)
    assert _ttl(n, "hup.se") == 60
    pid = n.proc.pid
    n.publish_extra["ttl"] = 30
    n.write_config()
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: _ttl(n, "hup.se") == 30, 5, 0.1, "TTL 30 after SIGHUP")
    assert n.alive() and n.proc.pid == pid
    h.assert_a(n.query(bl("hup.se"), "A"), bl("hup.se"), "127.0.0.2", ttl=30)
    assert n.api("GET", "/api/v1/status")[0] == 200
    # data and serials survive a reload
    assert n.lookup("hup.se")[0] == 200


def test_sighup_with_bad_file_keeps_running_config(nodd_factory):
    n = nodd_factory(name="nodd (bad hup)")
    n.observe("badhup.se", int(time.time()) - 60)
    good = n.config_text()
    n.write_config(good.replace("  ttl: 60\n", "  ttl: abc\n"))
    n.send_signal(signal.SIGHUP)
    # the reload is refused (logged with FILE:LINE) and the old config kept
    h.wait_for(lambda: n.config_path + ":" in n.log_text(), 5, 0.1,
               "the reload error naming %s in the log" % n.config_path)
    assert n.alive()
    assert _ttl(n, "badhup.se") == 60
    m = n.metrics()
    assert h.metric_sum(m, "nodd_reload_errors_total") == 1
    assert h.metric_sum(m, "nodd_reloads_total") == 0
    # fixing the file and reloading again applies it
    n.publish_extra["ttl"] = 45
    n.write_config()
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: _ttl(n, "badhup.se") == 45, 5, 0.1, "TTL 45 after a good SIGHUP")
    assert n.alive()
    h.wait_for(lambda: h.metric_sum(n.metrics(), "nodd_reloads_total") == 1, 5, 0.1,
               "the good reload counted")
    assert h.metric_sum(n.metrics(), "nodd_reload_errors_total") == 1


def test_sighup_sets_http_token(nodd_factory):
    n = nodd_factory(name="nodd (hup token)")
    n.observe("before-token.se")
    n.server_extra["http-token"] = "new-token"
    n.write_config()
    n.send_signal(signal.SIGHUP)
    body = {"domain": "after-token.se", "source": "t"}
    h.wait_for(lambda: n.api("POST", "/api/v1/observations", body)[0] == 401, 5, 0.1,
               "POST without the new token to be refused")
    assert n.api("POST", "/api/v1/observations", body, token="new-token")[0] == 200


def test_many_sighups_while_querying(nodd_factory):
    n = nodd_factory(name="nodd (hup storm)")
    n.observe("storm.se", int(time.time()) - 60)
    for _ in range(10):
        n.send_signal(signal.SIGHUP)
        h.assert_a(n.query(bl("storm.se"), "A"), bl("storm.se"), "127.0.0.2")
        time.sleep(0.05)
    assert n.alive()
    assert n.stop() == 0


def _axfr_rcode(n):
    q = dns.message.make_query("5m.rpz." + h.SUFFIX, "AXFR")
    return dns.query.tcp(q, "127.0.0.1", port=n.port, timeout=5).rcode()


def test_sighup_applies_transfer_allow(nodd_factory):
    """transfer.allow is applied by a reload, as BIND applies allow-transfer: an address
    added is allowed at once, and removed again is refused at once."""
    n = nodd_factory(name="nodd (hup allow)",
                     extra="transfer:\n  allow:\n    - address: 192.0.2.0/24\n")
    n.observe("allow-hup.se")
    assert _axfr_rcode(n) == dns.rcode.REFUSED
    base = n.extra
    n.extra = "transfer:\n  allow:\n    - address: 192.0.2.0/24\n    - address: 127.0.0.1/32\n"
    n.write_config()
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: _axfr_rcode(n) == dns.rcode.NOERROR, 5, 0.1, "AXFR allowed after SIGHUP")
    n.extra = base
    n.write_config()
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: _axfr_rcode(n) == dns.rcode.REFUSED, 5, 0.1, "AXFR refused again")
    assert "take effect at the next restart" not in n.log_text()
    assert "takes effect at the next restart" not in n.log_text()


def test_sighup_names_what_waits_for_a_restart(nodd_factory, tmp_path):
    """A reload that changes settings it cannot apply names each of them in the log; a new
    publish.suffix keeps the running zones (answers, serials) until the restart, while a
    new TTL in the same reload is also held back with the rest of publish."""
    n = nodd_factory(name="nodd (hup later)")
    n.observe("later-hup.se", int(time.time()) - 60)
    assert _ttl(n, "later-hup.se") == 60
    n.server_extra["tcp-clients"] = 7
    n.publish_extra["suffix"] = "other.example"
    n.publish_extra["ttl"] = 30
    n.extra = ("keys:\n  - name: hup-key\n    algorithm: hmac-sha256\n"
               "    secret: \"%s\"\n"
               "files:\n  dir: %s\n" % ("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=", tmp_path))
    n.write_config()
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: "at the next restart" in n.log_text(), 5, 0.1, "the reload warning")
    line = [l for l in n.log_text().splitlines() if "at the next restart" in l][0]
    for what in ("server.tcp-clients", "publish.suffix", "files"):
        assert what in line, line
    # keys are applied by the reload (test_sighup_rereads_key_files_and_rotates_a_secret)
    assert "keys" not in line and "TSIG keys replaced (1 keys)" in n.log_text(), line
    assert "server.listen" not in line and "transfer.notify" not in line, line
    assert "publish section is kept" in line, line
    # still answering the old suffix, with the old TTL
    assert n.alive()
    assert _ttl(n, "later-hup.se") == 60
    r = n.query("later-hup.se.v1.bl.other.example", "A")
    assert r.rcode() == dns.rcode.REFUSED, r.to_text()


def _yaml_blocks(doc):
    with open(os.path.join(h.ROOT, "docs", doc), encoding="utf-8") as f:
        return re.findall(r"^```yaml\n(.*?)^```", f.read(), re.M | re.S)


def test_example_and_documented_configs_are_valid(check, tmp_path):
    """The file `make run` uses and every YAML example of docs/configuration.md and
    docs/streams.md (each on top of the first, the minimal one) pass --check-config, with
    only the database and the BIND key file pointed into a temporary directory."""
    r = subprocess.run([h.nodd_binary(), "-c", "examples/nodd.yaml", "--check-config"],
                       cwd=h.ROOT, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    keyfile = tmp_path / "named.fsi.conf"
    keyfile.write_text('key "fsi-key" {\n\talgorithm hmac-sha256;\n'
                       '\tsecret "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=";\n};\n')
    blocks = _yaml_blocks("configuration.md")
    base = blocks[0]
    assert "database: /var/lib/nodd/nodd.db" in base, base
    base = base.replace("/var/lib/nodd/nodd.db", str(tmp_path / "nodd.db"))
    rc, out, err, _ = check(base)
    assert rc == 0, "docs/configuration.md, first example: " + out + err
    extra = blocks[1:] + _yaml_blocks("streams.md")
    assert len(extra) >= 4
    for i, block in enumerate(extra):
        text = base + block.replace("/etc/bind/named.fsi.conf", str(keyfile))
        rc, out, err, path = check(text, name="doc%d.yaml" % i)
        assert rc == 0, "documented example:\n%s\n%s%s" % (block, out, err)


@pytest.mark.parametrize("section,what,line", [
    ("transfer:\n  allow:\n    - key: nod-xfer\n", "transfer.allow.key", 12),
    ("transfer:\n  notify:\n    - address: 127.0.0.1@5310\n      key: nod-xfer\n",
     "transfer.notify.key", 12),
    ("upstreams:\n  - zone: example.\n    primaries: [127.0.0.1@5300]\n    key: nod-xfer\n",
     "upstreams.key", 13),
])
def test_key_from_a_key_file_not_found_stops_the_start(tmp_path, section, what, line):
    """With keys from a BIND key file the names are known only once it is read: a transfer
    key that is not in it stops nodd at start with the file, line and key, before it serves."""
    keyfile = tmp_path / "xfr.key"
    keyfile.write_text('key "nod-xfr" {\n\talgorithm hmac-sha256;\n'
                       '\tsecret "Jt3xYlAHR0NZEOiPJ2+dknn0Vn7VQbKkJ0dZDS0Bo+0=";\n};\n')
    cfg = tmp_path / "nodd.yaml"
    cfg.write_text("server:\n  listen: [127.0.0.1@%d]\n  http: 127.0.0.1@%d\n  database: %s\n"
                   "publish:\n  suffix: nod.example.\n  ttl: 60\n"
                   "keys:\n  - file: %s\n%s"
                   % (h.free_port(), h.free_port(), tmp_path / "n.db", keyfile, section))
    r = subprocess.run([h.nodd_binary(), "-c", str(cfg)], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != 0, r.stderr
    assert "%s:%d: %s: no key named nod-xfer" % (cfg, line, what) in r.stderr, r.stderr
    # --check-config reads the key files too, and says the same
    r = subprocess.run([h.nodd_binary(), "-c", str(cfg), "--check-config"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "%s:%d: %s: no key named nod-xfer" % (cfg, line, what) in r.stderr, r.stderr
    # and a key file that is missing or does not parse, with its file (and line)
    keyfile.write_text('key "nod-xfr" {\n\talgorithm hmac-sha256;\n\tsecret "abc";\n};\n')
    r = subprocess.run([h.nodd_binary(), "-c", str(cfg), "--check-config"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 1 and "%s:3" % keyfile in r.stderr, r.stderr
    keyfile.unlink()
    r = subprocess.run([h.nodd_binary(), "-c", str(cfg), "--check-config"], capture_output=True,
                       text=True, timeout=20)
    assert r.returncode == 1 and str(keyfile) in r.stderr, r.stderr


KEY_A = "Jt3xYlAHR0NZEOiPJ2+dknn0Vn7VQbKkJ0dZDS0Bo+0="
KEY_B = "c2Vjb25kLXNlY3JldC1mb3Itbm9kZC1rZXktcm90YXRpb24="


def _key_clause(name, secret):
    return 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' % (name, secret)


def _signed_axfr_rcode(n, name, secret):
    """The rcode of nodd's first answer to an AXFR of the 5m zone signed with (name, secret):
    NOERROR when the key is in use and allowed, NOTAUTH (BADSIG/BADKEY) when not."""
    q = dns.message.make_query("5m.rpz." + h.SUFFIX, "AXFR")
    q.use_tsig(dns.tsigkeyring.from_text({name: secret}), keyname=name,
               algorithm="hmac-sha256")
    data = n.tcp_raw(q.to_wire(), timeout=5)
    assert data, "no answer to the signed AXFR"
    return h.rcode_of(data)


def test_sighup_rereads_key_files_and_rotates_a_secret(nodd_factory, tmp_path):
    """Keys are re-read by every reload, key files too (as BIND's reconfig does), so a TSIG
    secret is rotated without a restart: after the SIGHUP the new secret transfers and the
    old gets NOTAUTH. A broken key file is refused with its file and line, the running keys
    kept; a key added inline and allowed in the same reload works at once."""
    keyfile = tmp_path / "xfr.key"
    keyfile.write_text(_key_clause("nod-xfr", KEY_A))
    n = nodd_factory(name="nodd (hup keys)",
                     extra="keys:\n  - file: %s\ntransfer:\n  allow:\n    - key: nod-xfr\n" % keyfile)
    n.observe("rotate.se")
    assert _signed_axfr_rcode(n, "nod-xfr", KEY_A) == dns.rcode.NOERROR
    assert _signed_axfr_rcode(n, "nod-xfr", KEY_B) == dns.rcode.NOTAUTH
    # the same file again: nothing to replace
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: n.log_text().count("configuration re-read") == 1, 5, 0.1, "the reload")
    assert "TSIG keys replaced" not in n.log_text()
    # the new secret in the file
    keyfile.write_text(_key_clause("nod-xfr", KEY_B))
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: "TSIG keys replaced (1 keys)" in n.log_text(), 5, 0.1, "the keys replaced")
    assert _signed_axfr_rcode(n, "nod-xfr", KEY_B) == dns.rcode.NOERROR
    assert _signed_axfr_rcode(n, "nod-xfr", KEY_A) == dns.rcode.NOTAUTH
    # a signed SOA query (what a secondary sends before a transfer) is answered with it too
    q = dns.message.make_query("5m.rpz." + h.SUFFIX, "SOA")
    q.use_tsig(dns.tsigkeyring.from_text({"nod-xfr": KEY_B}), keyname="nod-xfr",
               algorithm="hmac-sha256")
    r = dns.query.udp(q, "127.0.0.1", port=n.port, timeout=3)   # raises if the MAC is wrong
    assert r.rcode() == dns.rcode.NOERROR and r.had_tsig
    assert "at the next restart" not in n.log_text()
    # a broken key file: refused with its file and line, the running keys kept
    keyfile.write_text('key "nod-xfr" {\n\talgorithm hmac-sha256;\n\tsecret "abc";\n};\n')
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: "keeping the running keys" in n.log_text(), 5, 0.1, "the refused keys")
    line = [l for l in n.log_text().splitlines() if "keeping the running keys" in l][0]
    assert "%s:3" % keyfile in line, line
    assert h.metric_sum(n.metrics(), "nodd_reload_errors_total") == 1
    assert _signed_axfr_rcode(n, "nod-xfr", KEY_B) == dns.rcode.NOERROR
    # a new inline key, allowed in the same reload, transfers at once; the file is fixed
    keyfile.write_text(_key_clause("nod-xfr", KEY_B))
    n.extra = ("keys:\n  - file: %s\n  - name: second-key\n    algorithm: hmac-sha256\n"
               "    secret: \"%s\"\ntransfer:\n  allow:\n    - key: nod-xfr\n"
               "    - key: second-key\n" % (keyfile, KEY_A))
    n.write_config()
    assert _signed_axfr_rcode(n, "second-key", KEY_A) == dns.rcode.NOTAUTH   # BADKEY
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: "TSIG keys replaced (2 keys)" in n.log_text(), 5, 0.1, "two keys")
    assert _signed_axfr_rcode(n, "second-key", KEY_A) == dns.rcode.NOERROR
    assert _signed_axfr_rcode(n, "nod-xfr", KEY_B) == dns.rcode.NOERROR
    # a key file that lost the key still allowed: refused, the two keys kept
    keyfile.write_text(_key_clause("other-name", KEY_B))
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: n.log_text().count("keeping the running keys") == 2, 5, 0.1,
               "the keys refused for a missing name")
    line = [l for l in n.log_text().splitlines() if "keeping the running keys" in l][-1]
    assert "transfer.allow.key: no key named nod-xfr" in line, line
    assert _signed_axfr_rcode(n, "nod-xfr", KEY_B) == dns.rcode.NOERROR
    assert n.alive()
