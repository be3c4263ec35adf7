"""While the apply worker writes a zone's first copy in one long transaction (it holds the
store's write lock), the main thread never waits for it: an observation posted meanwhile
is answered 503 with Retry-After (nothing stored) or 200 once the worker is done, a
`noddctl import` started then retries its batches and stores every name once, and DNS over
TCP keeps answering, and a reload's policy.allow is applied once the worker is done without
another reload. A real BIND primary serves a zone large enough that the worker's
transaction lasts a while."""
import json
import os
import shutil
import signal
import sqlite3
import threading
import urllib.error
import urllib.request

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

import nodd_harness as h
from bind_util import Named, ZONE, upstream_yaml

DELEGATIONS = 250000
IMPORTED = 3000


@pytest.fixture
def need_named():
    if not shutil.which("named") and not os.path.exists("/usr/sbin/named"):
        pytest.skip("named is not installed (Debian: bind9)")


def status(n):
    st, body = n.api("GET", "/api/v1/status")
    assert st == 200, body
    return body


def post_observation(n, domain):
    """(status, Retry-After header, parsed body) of one observation POST."""
    req = urllib.request.Request(n.url("/api/v1/observations"), method="POST",
                                 data=json.dumps({"domain": domain, "source": "busy-test"}).encode())
    req.add_header("Content-Type", "application/json")
    tok = n.file_token()
    if tok:
        req.add_header("Authorization", "Bearer " + tok)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Retry-After"), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Retry-After"), json.loads(e.read())


def count_names(n, like):
    c = sqlite3.connect(n.db, timeout=30)
    try:
        return c.execute("SELECT count(*) FROM names WHERE name LIKE ?", (like,)).fetchone()[0]
    finally:
        c.close()


def start_while_the_worker_writes(n, named):
    """Start n following named's zone; return once the apply worker writes its first copy."""
    n.extra = upstream_yaml(named, key=False)
    n.write_config()
    n.start()
    h.wait_for(lambda: status(n)["store_worker_writing"], 60, interval=0.01,
               what="the apply worker to write the first copy")


def test_main_thread_writes_do_not_wait_for_the_first_copy(tmp_path, nodd_factory, need_named):
    """Observations, an import and TCP queries made while the worker holds the store."""
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=["d%06d" % i for i in range(DELEGATIONS)],
                  key=False)
    imp = tmp_path / "import.txt"
    imp.write_text("".join("imp%05d.example\n" % i for i in range(IMPORTED)))
    try:
        start_while_the_worker_writes(n, named)
        # at once, on three sides: an import, observations, TCP queries
        result = {}

        def run_import():
            result["import"] = n.noddctl("import", str(imp), "--batch", "500", timeout=120)
        t = threading.Thread(target=run_import)
        t.start()
        answers = []
        tcp_ok = 0
        i = 0
        while True:
            writing = status(n)["store_worker_writing"]
            answers.append((writing,) + post_observation(n, "during%03d.example" % i))
            i += 1
            if writing:
                r = n.query("d000001.%s" % ZONE, "NS", tcp=True, timeout=5)
                tcp_ok += r is not None
            if not writing and answers[-1][1] == 200:
                break
            assert i < 2000, answers[-5:]
        t.join(130)
        assert not t.is_alive()

        busy = [a for a in answers if a[1] == 503]
        assert busy, "no observation was refused while the worker wrote: %r" % answers[:5]
        for _, code, retry, body in busy:
            assert retry == "1" and "store busy" in body["error"], (code, retry, body)
        for _, code, retry, body in answers:
            assert code in (200, 503), (code, body)
        assert tcp_ok >= 1
        assert status(n)["store_busy_refused"] >= len(busy)

        imp_res = result["import"]
        assert imp_res.returncode == 0, imp_res.stderr
        # started while the worker wrote: its first batch was refused and sent again
        assert "the server is busy (503)" in imp_res.stderr, imp_res.stderr
        assert "imported %d names (%d new)" % (IMPORTED, IMPORTED) in imp_res.stdout, imp_res.stdout
        h.wait_for(lambda: status(n)["upstreams"][0]["serial"] == named.serial(), 60,
                   what="the first copy to be applied")
        assert count_names(n, "imp%") == IMPORTED
        assert count_names(n, "d______.%s" % ZONE) == DELEGATIONS
        accepted = [a for a in answers if a[1] == 200]
        assert count_names(n, "during%") == len(accepted)
        assert status(n)["store_worker_writing"] is False
    finally:
        named.stop()


def test_another_zones_apply_waits_for_the_first_copy(tmp_path, nodd_factory, need_named):
    """A held zone re-transferred while the worker writes another zone's first copy: its
    apply is put off (the log says so), then applied, the copy kept meanwhile."""
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=["d%06d" % i for i in range(DELEGATIONS)],
                  key=False)
    try:
        # a second, small zone on the same primary
        with open(os.path.join(named.dir, "db.small"), "w") as f:
            f.write("$TTL 300\n@ IN SOA ns1.small. h.small. 7 60 60 3600 60\n"
                    "@ IN NS ns1.small.\nns1 IN A 127.0.0.1\na IN NS ns1.small.\n")
        with open(named.conf, "a") as f:
            f.write('zone "small" { type primary; file "%s/db.small"; allow-transfer { any; }; };\n'
                    % named.dir)
        named.p.send_signal(signal.SIGHUP)

        def small_up():
            try:
                q = dns.message.make_query("small", "SOA")
                return dns.query.udp(q, "127.0.0.1", port=named.port, timeout=0.5).answer
            except Exception:
                return None
        h.wait_for(small_up, 20, what="named to load the small zone")
        n.extra = upstream_yaml(named, key=False) + (
            "  - zone: small.\n    primaries: [127.0.0.1@%d]\n    refresh-min: 1h\n" % named.port)
        n.write_config()
        n.start()

        def small():
            return [u for u in status(n)["upstreams"] if u["zone"] == "small"][0]
        h.wait_for(lambda: small()["serial"] == 7, 30, interval=0.01, what="the small zone")
        h.wait_for(lambda: status(n)["store_worker_writing"], 60, interval=0.01,
                   what="the apply worker to write the large zone's first copy")
        st, body = n.api("POST", "/api/v1/zones/small/retransfer")
        assert st in (200, 202), body
        h.wait_for(lambda: small()["transfers"]["axfr"] == 2, 60, what="the retransfer")
        assert "serial 7 is applied when it is done" in n.log_text()
        assert small()["serial"] == 7 and small()["last_error"] is None, small()
        assert n.lookup("a.small")[0] == 200
        h.wait_for(lambda: status(n)["upstreams"][0]["serial"] == named.serial(), 60,
                   what="the first copy of the large zone")
    finally:
        named.stop()


def test_reload_allow_applied_when_the_first_copy_is_written(tmp_path, nodd_factory, need_named):
    """A reload made while the worker writes: its policy.allow waits (the reload answer and
    the status say so, the log once), then applies by itself once the store takes writes."""
    n = nodd_factory(start=False)
    named = Named(tmp_path / "named", n.port, names=["d%06d" % i for i in range(DELEGATIONS)],
                  key=False)

    def passthru(name):
        r = n.query("%s.%s" % (name, h.ALLOW), "A")
        return dns.rcode.to_text(r.rcode()), h.rdatas(r, dns.rdatatype.CNAME)

    def entries():
        st, body = n.api("GET", "/api/v1/allow")
        assert st == 200, body
        return {(e["name"], e["origin"]) for e in body["entries"]}
    try:
        start_while_the_worker_writes(n, named)
        n.policy_extra["allow"] = ["later.nodtld"]
        n.write_config()
        st, body = n.api("POST", "/api/v1/reload")
        assert st == 200, body
        assert body["pending"] == ["policy.allow"] and "policy.allow" not in body["applied"], body
        assert status(n)["reload"]["pending"] == ["policy.allow"]
        assert entries() == set()
        assert passthru("later.nodtld")[0] == "NXDOMAIN"

        h.wait_for(lambda: status(n)["upstreams"][0]["serial"] == named.serial(), 60,
                   what="the first copy to be applied")
        h.wait_for(lambda: status(n)["reload"]["pending"] == [], 10,
                   what="the waiting policy.allow to be applied")
        assert entries() == {("later.nodtld", "config")}
        assert passthru("later.nodtld") == ("NOERROR", ["rpz-passthru."])
        log = n.log_text()
        assert log.count("policy.allow: a zone's first transfer is being written") == 1, log
        assert log.count("(the store takes writes again)") == 1, log
        # the running configuration holds it now: the same file again changes nothing
        st, body = n.api("POST", "/api/v1/reload")
        assert st == 200 and body["applied"] == [] and body["pending"] == [], body
    finally:
        named.stop()
