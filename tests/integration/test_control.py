"""noddctl controls a running nodd as rndc and knotc do: zone-status, retransfer, refresh,
notify, reload and import --baseline, against a real BIND primary (the upstream zone) and
a real BIND secondary (a published zone), with the exit codes docs/noddctl.md gives."""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

import nodd_harness as h
from bind_util import Named, ZONE, start_named, upstream_yaml


@pytest.fixture(scope="module")
def need_named():
    if not os.path.exists("/usr/sbin/named"):
        pytest.skip("named is not installed (Debian: bind9)")
    if not shutil.which("nsupdate"):
        pytest.skip("nsupdate is not installed (Debian: bind9-dnsutils)")


@pytest.fixture(scope="module")
def pair(tmp_path_factory, need_named):
    """nodd following BIND's zone; BIND's NOTIFYs go to a port nobody listens on, so only
    the refresh timer (60 s, the zone's SOA) or noddctl makes nodd look again."""
    d = tmp_path_factory.mktemp("control")
    named = Named(d / "named", h.free_port(), names=["old1", "old2"])
    n = h.Nodd(d / "nodd", extra=upstream_yaml(named), name="nodd (control)")
    try:
        n.start()
        h.wait_for(lambda: upstream(n)["serial"] == named.serial(), 15, what="the first AXFR")
        yield n, named
    finally:
        n.stop()
        named.stop()


def upstream(n):
    st, body = n.api("GET", "/api/v1/zones/" + ZONE)
    assert st == 200, body
    return body


def ctl(n, *args):
    return n.noddctl(*args, timeout=30)


def test_zone_status_shows_the_primary_serial_and_next_refresh(pair):
    n, named = pair
    r = ctl(n, "zone-status", ZONE)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "serial:         %d" % named.serial() in lines, r.stdout
    assert "type:           upstream" in lines, r.stdout
    nxt = [l for l in lines if l.startswith("next refresh:")]
    assert len(nxt) == 1 and re.fullmatch(
        r"next refresh:   \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d+ s\)", nxt[0]), r.stdout
    # every zone: the upstream with its serial, the eight published zones
    r = ctl(n, "zone-status")
    assert r.returncode == 0, r.stderr
    row = [l.split() for l in r.stdout.splitlines() if l.startswith(ZONE + " ")]
    assert len(row) == 1 and row[0][1] == str(named.serial()), r.stdout
    for z in h.PUBLISHED:
        assert any(l.split()[:1] == [z] for l in r.stdout.splitlines()), (z, r.stdout)


def test_json_output_parses(pair):
    n, named = pair
    r = ctl(n, "zone-status", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert [u["zone"] for u in j["upstreams"]] == [ZONE]
    assert j["upstreams"][0]["serial"] == named.serial()
    assert j["upstreams"][0]["next_refresh"] > time.time() + 20
    assert sorted(p["zone"] for p in j["published"]) == sorted(h.PUBLISHED)
    r = ctl(n, "zone-status", h.DNSBL, "--json")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["type"] == "published" and p["zone"] == h.DNSBL
    assert p["serial"] == n.serials()[h.DNSBL]


def test_retransfer_makes_a_full_axfr_of_a_current_serial(pair):
    n, named = pair
    before = upstream(n)
    serial = named.serial()
    assert before["serial"] == serial
    bind_axfrs = named.log_text().count("AXFR started")
    r = ctl(n, "retransfer", ZONE)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "retransfer %s: started now\n" % ZONE
    h.wait_for(lambda: upstream(n)["transfers"]["axfr"] == before["transfers"]["axfr"] + 1,
               10, what="a second AXFR")
    after = upstream(n)
    assert after["serial"] == serial
    assert after["last_transfer"]["kind"] == "AXFR"
    assert after["last_transfer"]["result"] == "applied"
    assert (after["last_transfer"]["serial_from"], after["last_transfer"]["serial_to"]) == (serial, serial)
    assert after["transfers"]["ixfr"] == before["transfers"]["ixfr"]
    assert after["retransfer_pending"] is False
    assert ("upstream %s: AXFR serial %d -> %d applied: 0 added, 0 removed, 0 new names"
            % (ZONE, serial, serial)) in n.log_text(), n.log_tail()
    assert named.log_text().count("AXFR started") == bind_axfrs + 1


def test_refresh_gets_a_new_serial_without_waiting_for_the_timer(pair):
    n, named = pair
    before = upstream(n)
    assert before["next_refresh"] > time.time() + 20, before  # the timer is far away
    named.update("add refreshed.%s. 300 NS ns1.%s." % (ZONE, ZONE))
    new = named.serial()
    assert new != before["serial"]
    time.sleep(1)
    assert upstream(n)["serial"] == before["serial"]  # no NOTIFY reaches nodd
    r = ctl(n, "refresh", ZONE)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "refresh %s: started now\n" % ZONE
    h.wait_for(lambda: upstream(n)["serial"] == new, 10, what="the new serial")
    after = upstream(n)
    assert after["transfers"]["ixfr"] == before["transfers"]["ixfr"] + 1
    assert after["last_transfer"]["kind"] == "IXFR"
    assert n.a_code("refreshed.%s" % ZONE) == "127.0.0.2"


def test_unknown_zone_exits_1(pair):
    n, _ = pair
    for args in (("zone-status", "no-such.zone"), ("retransfer", "no-such.zone"),
                 ("refresh", "no-such.zone"), ("notify", "no-such.zone")):
        r = ctl(n, *args)
        assert r.returncode == 1, (args, r.returncode, r.stderr)
        assert r.stderr == ("noddctl: no-such.zone: no such zone: nodd neither follows nor "
                            "publishes it\n"), r.stderr
    # a published zone is not transferred in, an upstream zone is not notified out
    r = ctl(n, "retransfer", h.DNSBL)
    assert r.returncode == 1 and "is a published zone" in r.stderr, r.stderr
    r = ctl(n, "notify", ZONE)
    assert r.returncode == 1 and "is an upstream zone" in r.stderr, r.stderr
    st, _ = n.api("GET", "/api/v1/zones/%s/refresh" % ZONE)
    assert st == 405
    st, _ = n.api("POST", "/api/v1/zones/%s/frobnicate" % ZONE)
    assert st == 404
    st, body = n.api("GET", "/api/v1/zones/no-such.zone")
    assert st == 404 and body == {"error": "no such zone: nodd neither follows nor publishes it",
                                  "zone": "no-such.zone"}


def test_writes_need_the_token(pair):
    n, _ = pair
    for path in ("/api/v1/zones/%s/refresh" % ZONE, "/api/v1/notify", "/api/v1/reload"):
        st, _ = n.api("POST", path, token="wrong")
        assert st == 401, path
    r = subprocess.run([h.noddctl_binary(), "-s", "http://127.0.0.1:%d" % n.http_port,
                        "refresh", ZONE], capture_output=True, text=True, timeout=30,
                       env={k: v for k, v in os.environ.items() if not k.startswith("NODD_")})
    assert r.returncode == 1 and "bearer token" in r.stderr, r.stderr


def test_daemon_down_exits_2(tmp_path):
    url = "http://127.0.0.1:%d" % h.free_tcp_port()
    for args in (("zone-status",), ("retransfer", ZONE), ("reload",), ("notify",)):
        r = subprocess.run([h.noddctl_binary(), "-s", url, "-t", "x"] + list(args),
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert "cannot connect to %s" % url in r.stderr, r.stderr


def test_import_baseline_is_known_but_never_listed_nor_streamed(pair, tmp_path):
    n, _ = pair
    f = tmp_path / "known.txt"
    f.write_text("# domains that exist today\nbase-one.se\nBASE-TWO.se.\n")
    last = h.metric_sum(n.metrics(), "nodd_outbox_last_seq", topic="newly_registered_domain")
    r = ctl(n, "import", "--baseline", str(f))
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"imported 2 names as baseline \(2 not known before\) in [0-9.]+ s\n",
                        r.stdout), r.stdout
    for d in ("base-one.se", "base-two.se"):
        st, body = n.lookup(d)
        assert st == 200 and body["baseline"] is True and body["code"] is None, body
        assert body["source"] == "import"
        assert n.a_code(d) == "NXDOMAIN"
    time.sleep(1.2)  # a tick: a listed name would be in the next version by now
    assert n.a_code("base-one.se") == "NXDOMAIN"
    m = n.metrics()
    assert h.metric_sum(m, "nodd_outbox_last_seq", topic="newly_registered_domain") == last
    # an ordinary observation afterwards is listed and streamed: the checks above can fail
    n.observe("not-base.se")
    h.wait_for(lambda: n.a_code("not-base.se") == "127.0.0.2", 5, what="not-base.se listed")
    assert h.metric_sum(n.metrics(), "nodd_outbox_last_seq",
                        topic="newly_registered_domain") == last + 1
    # the batch form's own errors; an older nodd refuses the shape (no domain) the same way
    for body, field in (({"baseline": True, "observations": {}}, "observations"),
                        ({"baseline": "yes", "observations": []}, "baseline")):
        st, resp = n.api("POST", "/api/v1/observations", body)
        assert st == 400 and resp["field"] == field, resp
    # a baseline import of a name already listed leaves it listed (the earliest wins)
    f.write_text("not-base.se\n")
    r = ctl(n, "import", "--baseline", str(f))
    assert r.returncode == 0 and "(0 not known before)" in r.stdout, r.stdout
    assert n.a_code("not-base.se") == "127.0.0.2"


def test_reload_reports_applied_and_restart_keys(nodd_factory):
    n = nodd_factory(name="nodd (reload)")
    r = n.noddctl("reload")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "configuration reloaded\napplied:        -\nrestart needed: -\n"
    n.server_extra.update({"log-level": "debug", "listen": "[127.0.0.1@%d]" % h.free_port()})
    n.publish_extra["ttl"] = 30
    text = n.config_text()
    n.server_extra.pop("listen")
    n.write_config(text)
    r = n.noddctl("reload")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("configuration reloaded\n"
                        "applied:        log.level, publish.ttl\n"
                        "restart needed: server.listen\n"), r.stdout
    # again: what was applied is running now; the listener still waits for a restart
    st, body = n.api("POST", "/api/v1/reload")
    assert st == 200 and body == {"reloaded": True, "applied": [],
                                  "restart_needed": ["server.listen"], "pending": []}, body
    n.observe("ttl-check.se")  # the new TTL answers
    h.wait_for(lambda: n.a_code("ttl-check.se") == "127.0.0.2", 5, what="ttl-check.se listed")
    assert n.query("ttl-check.se." + h.DNSBL, "A").answer[0].ttl == 30
    r = n.noddctl("notify")
    assert (r.returncode, r.stdout) == (0, "no transfer.notify targets are configured: "
                                           "nothing sent\n"), r.stderr
    # a file with an error changes nothing and exits 1
    with open(n.config_path, "a") as f:
        f.write("bogus-section: 1\n")
    r = n.noddctl("reload")
    assert r.returncode == 1, r.stdout
    assert r.stderr.startswith("noddctl: reload: %s:" % n.config_path), r.stderr
    assert n.alive()


# ---- NOTIFY to a real BIND secondary of the DNSBL zone --------------------------------------

class Secondary(Named):
    """named as a secondary of nodd's DNSBL zone (AXFR from nodd, NOTIFY from nodd); its
    log and stop are Named's."""

    def __init__(self, workdir, port, nodd_port):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "named.conf")
        with open(self.conf, "w") as f:
            f.write("""options {
    directory "%s"; pid-file "named.pid";
    listen-on port %d { 127.0.0.1; }; listen-on-v6 { none; };
    recursion no; dnssec-validation no; notify no;
};
zone "%s" { type secondary; primaries port %d { 127.0.0.1; }; file "bl.db"; };
""" % (self.dir, port, h.DNSBL, nodd_port))
        self.p, self.log = start_named(self.conf, self.dir)


def test_notify_reaches_a_bind_secondary(tmp_path, nodd_factory, need_named):
    port = h.free_port()
    n = nodd_factory(extra="transfer:\n  allow:\n    - address: 127.0.0.1/32\n"
                     "  notify:\n    - address: 127.0.0.1@%d\n" % port, name="nodd (notify)")
    sec = Secondary(tmp_path / "secondary", port, n.port)
    try:
        serial = n.serials()[h.DNSBL]
        h.wait_for(lambda: "transfer of '%s/IN' from 127.0.0.1#%d: Transfer completed"
                   % (h.DNSBL, n.port) in sec.log_text(), 20, what="BIND's first AXFR")
        got = "zone %s/IN: notify from 127.0.0.1#" % h.DNSBL
        before = sec.log_text().count(got)
        sent = h.metric_sum(n.metrics(), "nodd_notify_sent_total")
        r = n.noddctl("notify", h.DNSBL)
        assert r.returncode == 0, r.stderr
        assert r.stdout == ("NOTIFY %s serial %d\nsent 1 NOTIFY messages to 1 targets\n"
                            % (h.DNSBL, serial)), r.stdout
        h.wait_for(lambda: sec.log_text().count(got) == before + 1, 10, what="BIND got the NOTIFY")
        assert h.metric_sum(n.metrics(), "nodd_notify_sent_total") == sent + 1
        h.wait_for(lambda: json.loads(n.noddctl("zone-status", h.DNSBL, "--json").stdout)
                   ["notify"][0]["state"] == "acknowledged", 10, what="the NOTIFY acknowledged")
        st = json.loads(n.noddctl("zone-status", h.DNSBL, "--json").stdout)
        assert st["notify"][0]["address"] == "127.0.0.1@%d" % port
        assert st["notify"][0]["serial"] == serial
        assert [c["peer"] for c in st["consumers"]] == ["127.0.0.1"]
        assert st["consumers"][0]["serial"] == serial and st["consumers"][0]["current"] is True
        r = n.noddctl("zone-status", h.DNSBL)
        assert r.returncode == 0, r.stderr
        t = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \((now|\d+ s ago)\)"
        assert re.fullmatch(
            r"zone:           %s\ntype:           published\nserial:         %d\n"
            r"consumers:      127\.0\.0\.1 serial %d \(current\), AXFR at %s\n"
            r"notify:         127\.0\.0\.1@%d acknowledged, serial %d, 1 tries, at %s\n"
            % (re.escape(h.DNSBL), serial, serial, t, port, serial, t), r.stdout), r.stdout
        # every zone: BIND answers NOTAUTH for the eight it does not hold, and says so
        r = n.noddctl("notify")
        assert r.returncode == 0, r.stderr
        assert r.stdout.endswith("sent 9 NOTIFY messages to 1 targets\n"), r.stdout
        h.wait_for(lambda: sec.log_text().count(got) == before + 2, 10, what="the second NOTIFY")
        assert h.metric_sum(n.metrics(), "nodd_notify_sent_total") == sent + 10
    finally:
        sec.stop()
