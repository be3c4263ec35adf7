"""The HTTP API (observations, lookups, status, bearer token), /metrics, and noddctl, each
checked against what the DNS then answers."""
import json
import random
import time

import dns.rcode
import pytest

import nodd_harness as h
from nodd_harness import DNSBL, WINDOWS, assert_a, assert_nodata, assert_nxdomain, assert_txt_first_seen


def bl(name):
    return "%s.%s" % (name, DNSBL)


def window_gauges(n):
    """{window label: value} of nodd_names_in_window."""
    out = {}
    for name, labels, v in n.metrics():
        if name != "nodd_names_in_window":
            continue
        for lv in labels.values():
            if lv in WINDOWS:
                out[lv] = v
    return out


@pytest.fixture(scope="module")
def api(nodd_module):
    return nodd_module


# ---- observe and look up ----------------------------------------------------------------
def test_observe_then_lookup_and_dns(api):
    now = int(time.time())
    fs = now - 1000
    st, body = api.observe("lookup-me.se", fs)
    assert st == 200
    st, body = api.lookup("lookup-me.se")
    assert st == 200, body
    assert body["domain"] == "lookup-me.se"
    assert body["first_seen"] == fs
    assert 1000 <= body["age_seconds"] <= 1000 + 30, body
    assert body["code"] == "127.0.0.4", body
    assert body["windows"] == ["30m", "1h", "3h", "12h", "24h"], body
    assert_a(api.query(bl("lookup-me.se"), "A"), bl("lookup-me.se"), "127.0.0.4")
    assert_txt_first_seen(api.query(bl("lookup-me.se"), "TXT"), bl("lookup-me.se"), fs)


def test_observe_without_first_seen_means_now(api):
    t0 = int(time.time())
    st, _ = api.api("POST", "/api/v1/observations", {"domain": "now-seen.se", "source": "t"},
                    token=api.token)
    t1 = int(time.time())
    assert st == 200
    st, body = api.lookup("now-seen.se")
    assert st == 200 and t0 <= body["first_seen"] <= t1 + 1, body
    assert body["code"] == "127.0.0.2", body
    assert body["windows"] == WINDOWS, body
    assert_a(api.query(bl("now-seen.se"), "A"), bl("now-seen.se"), "127.0.0.2")


def test_lookup_unknown_404(api):
    st, _ = api.lookup("never-observed.se")
    assert st == 404


def test_lookup_aged_out_name(api):
    fs = int(time.time()) - 30 * 3600
    api.observe("thirty-hours.se", fs)
    st, body = api.lookup("thirty-hours.se")
    assert st == 200 and body["first_seen"] == fs, body
    assert body["code"] is None, body
    assert body["windows"] == [], body
    assert_nxdomain(api.query(bl("thirty-hours.se"), "A"), bl("thirty-hours.se"))


def test_names_are_case_insensitive(api):
    api.observe("MiXeD-Case.SE", int(time.time()) - 60)
    for q in ("mixed-case.se", "MIXED-CASE.SE"):
        st, body = api.lookup(q)
        assert st == 200 and body["domain"] == "mixed-case.se", (q, st, body)
    assert_a(api.query(bl("mixed-case.se"), "A"), bl("mixed-case.se"), "127.0.0.2")


def test_earliest_first_seen_is_kept(api):
    now = int(time.time())
    t1, t2, t0 = now - 1000, now - 500, now - 2000
    api.observe("earliest.se", t1)
    api.observe("earliest.se", t2)
    st, body = api.lookup("earliest.se")
    assert body["first_seen"] == t1, "a later observation replaced first_seen: %s" % body
    assert_txt_first_seen(api.query(bl("earliest.se"), "TXT"), bl("earliest.se"), t1)
    assert_a(api.query(bl("earliest.se"), "A"), bl("earliest.se"), "127.0.0.4")
    api.observe("earliest.se", t0)
    st, body = api.lookup("earliest.se")
    assert body["first_seen"] == t0, "an earlier observation was not kept: %s" % body
    assert_txt_first_seen(api.query(bl("earliest.se"), "TXT"), bl("earliest.se"), t0)
    assert_a(api.query(bl("earliest.se"), "A"), bl("earliest.se"), "127.0.0.5")


def test_batch_observations(api):
    now = int(time.time())
    items = [{"domain": "batch-a.se", "first_seen": now - 60, "source": "t"},
             {"domain": "batch-b.ch", "first_seen": now - 2700, "source": "t"},
             {"domain": "batch-c.nu", "first_seen": now - 7200, "source": "t"}]
    api.observe_many(items)
    for it, code in zip(items, ("127.0.0.2", "127.0.0.5", "127.0.0.6")):
        st, body = api.lookup(it["domain"])
        assert st == 200 and body["first_seen"] == it["first_seen"], body
        assert_a(api.query(bl(it["domain"]), "A"), bl(it["domain"]), code)


def test_batch_with_one_invalid_item_changes_nothing(api):
    now = int(time.time())
    before = stable_gauges(api)
    items = [{"domain": "allornothing-a.se", "first_seen": now - 60, "source": "t"},
             {"domain": "bad name.se", "first_seen": now - 60, "source": "t"},
             {"domain": "allornothing-c.se", "first_seen": now - 60, "source": "t"}]
    st, body = api.observe_many(items, expect=None)
    assert (st, body) == (400, {"error": "invalid domain name: invalid character in name",
                                "field": "[1].domain"})
    for d in ("allornothing-a.se", "allornothing-c.se"):
        assert api.lookup(d)[0] == 404, d
        assert_nxdomain(api.query(bl(d), "A"), bl(d))
    assert window_gauges(api) == before


# ---- bad input ----------------------------------------------------------------------------
def _long_name(total):
    """A name of exactly total octets of text (no trailing dot), labels of at most 63."""
    name = "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * (total - 195) + ".se"
    assert len(name) == total
    return name


def stable_gauges(n):
    """nodd_names_in_window once two reads agree (earlier observations have settled)."""
    last = [None]

    def same():
        g = window_gauges(n)
        ok = g == last[0]
        last[0] = g
        return g if ok else None
    return h.wait_for(same, 5, 0.3, "stable nodd_names_in_window")


NOW = int(time.time())
BAD = [
    # (id, raw body or JSON, field, name that must stay unlisted and is queryable)
    ("bad-json", b'{"domain": "bad-json.se", ', "body", "bad-json.se"),
    ("not-json", b"domain=not-json.se", "body", "not-json.se"),
    ("missing-domain", {"first_seen": NOW, "source": "t"}, "domain", None),
    ("domain-number", {"domain": 42, "source": "t"}, "domain", None),
    ("domain-list", {"domain": ["list.se"], "source": "t"}, "domain", "list.se"),
    ("domain-null", {"domain": None, "source": "t"}, "domain", None),
    ("space", {"domain": "exa mple.se", "source": "t"}, "domain", None),
    ("leading-hyphen", {"domain": "-x.se", "source": "t"}, "domain", "-x.se"),
    ("empty-label", {"domain": "a..se", "source": "t"}, "domain", None),
    ("empty", {"domain": "", "source": "t"}, "domain", None),
    ("label-64", {"domain": "a" * 64 + ".se", "source": "t"}, "domain", None),
    ("name-254", {"domain": _long_name(254), "source": "t"}, "domain", None),
    ("future", {"domain": "future.se", "first_seen": NOW + 3600, "source": "t"}, "first_seen",
     "future.se"),
    ("first-seen-text", {"domain": "textfs.se", "first_seen": "yesterday", "source": "t"},
     "first_seen", "textfs.se"),
    ("tld", {"domain": "se", "source": "t"}, "domain", "se"),
    ("public-suffix", {"domain": "co.uk", "source": "t"}, "domain", "co.uk"),
    ("private-suffix", {"domain": "github.io", "source": "t"}, "domain", "github.io"),
]


@pytest.mark.parametrize("case", BAD, ids=[b[0] for b in BAD])
def test_bad_input_rejected_and_changes_nothing(api, case):
    _, body, field, name = case
    before = stable_gauges(api)
    if isinstance(body, bytes):
        st, resp = api.api("POST", "/api/v1/observations", raw=body, token=api.token)
    else:
        if body.get("first_seen") == NOW + 3600:
            body = dict(body, first_seen=int(time.time()) + 3600)
        st, resp = api.api("POST", "/api/v1/observations", body, token=api.token)
    assert st == 400, "expected 400, got %s %s" % (st, resp)
    assert isinstance(resp, dict), "error body is not JSON: %r" % resp
    assert isinstance(resp.get("error"), str) and resp["error"], resp
    assert resp["field"] == field, resp
    if name is not None:
        # unknown (404); a name with a leading hyphen is refused by the lookup too (400)
        st, _ = api.lookup(name)
        assert st == (400 if name.startswith("-") else 404), \
            "%s: lookup %d after a refused observation" % (name, st)
        r = api.query(bl(name), "A")
        if name == "se":  # other .se names are listed: se is an empty non-terminal
            assert_nodata(r, bl(name))
        else:
            assert_nxdomain(r, bl(name))
    assert window_gauges(api) == before, "names_in_window changed"


def test_label_of_63_and_name_of_253_accepted_at_the_api(api):
    ok63 = "b" * 63 + ".se"
    api.observe(ok63, int(time.time()) - 60)
    assert api.lookup(ok63)[0] == 200
    assert_a(api.query(bl(ok63), "A"), bl(ok63), "127.0.0.2")


def test_public_suffixes_never_listed(api):
    for ps in ("co.uk", "github.io"):
        st, body = api.observe(ps, expect=None)
        assert st == 400 and body.get("field") == "domain", body
        assert_nxdomain(api.query(bl(ps), "A"), bl(ps))
    # a registrable name below them is listed normally; the suffix is then only an
    # empty non-terminal, never listed itself
    for d, ps in (("x.co.uk", "co.uk"), ("someone.github.io", "github.io")):
        api.observe(d, int(time.time()) - 60)
        assert_a(api.query(bl(d), "A"), bl(d), "127.0.0.2")
        assert_nodata(api.query(bl(ps), "A"), bl(ps))
        assert api.lookup(ps)[0] == 404


def test_unknown_path_404(api):
    assert api.api("GET", "/api/v1/nosuch")[0] == 404
    assert api.api("GET", "/nosuch")[0] == 404


STATUS_KEYS = {"version", "now", "start_time", "uptime", "store_names", "store_worker_writing",
               "store_busy_refused", "memory_names",
               "memory_bytes", "windows", "serials", "observations", "tcp_connections",
               "ws_clients", "upstreams", "publish", "reload"}


def test_status(api):
    """/api/v1/status: the documented keys, one count per window, one serial per zone,
    no upstreams and no consumers in the default configuration."""
    st, body = api.api("GET", "/api/v1/status")
    assert st == 200, body
    assert set(body) == STATUS_KEYS, body
    assert list(body["windows"]) == WINDOWS, body
    assert sorted(body["serials"]) == sorted(h.PUBLISHED), body
    assert set(body["observations"]) == {"new", "known", "refused"}, body
    assert body["upstreams"] == [] and body["publish"] == {"consumers": [], "notify": []}, body
    assert body["reload"] == {"pending": [], "busy_retries": 0}, body


def test_status_name_counts_stay_exact(nodd_factory):
    """store_names in the status and nodd_store_names in /metrics count the names stored,
    exactly: new, repeated and lowered names in a batch, a known name alone, a refused
    batch (nothing counted), a baseline batch, and a restart on the same database."""
    n = nodd_factory(name="nodd (counts)")
    now = int(time.time())

    def counts():
        st, body = n.api("GET", "/api/v1/status")
        assert st == 200, body
        gauge = [v for name, _, v in n.metrics() if name == "nodd_store_names"]
        return body["store_names"], gauge

    assert counts() == (0, [0])
    n.observe_many([{"domain": "count-a.se", "first_seen": now - 100},
                    {"domain": "count-b.se"},
                    {"domain": "count-a.se", "first_seen": now - 200},
                    {"domain": "count-c.se"}])
    assert counts() == (3, [3])
    n.observe("count-b.se", now - 300)
    n.observe("count-d.se")
    assert counts() == (4, [4])
    st, _ = n.api("POST", "/api/v1/observations",
                  [{"domain": "count-e.se"}, {"domain": "not a name"}], token=n.token)
    assert st == 400
    assert counts() == (4, [4])
    st, body = n.api("POST", "/api/v1/observations",
                     {"baseline": True, "observations": [{"domain": "count-f.se"},
                                                          {"domain": "count-a.se"}]},
                     token=n.token)
    assert st == 200 and body["baseline"] == 1, body
    assert counts() == (5, [5])
    n.restart()
    assert counts() == (5, [5])
    n.observe("count-g.se")
    assert counts() == (6, [6])


# ---- bearer token --------------------------------------------------------------------------
def test_bearer_token(nodd_factory):
    """With http-token set, writes need 'Authorization: Bearer <token>' (none, a wrong one
    or no Bearer scheme is 401 and changes nothing); reads need no token."""
    n = nodd_factory(server={"http-token": "s3cret-token"}, name="nodd (token)")
    body = {"domain": "tok.se", "first_seen": int(time.time()) - 60, "source": "t"}
    st, _ = n.api("POST", "/api/v1/observations", body)
    assert st == 401, "POST without token: %s" % st
    st, _ = n.api("POST", "/api/v1/observations", body, token="wrong-token")
    assert st == 401, "POST with a wrong token: %s" % st
    st, _ = n.api("POST", "/api/v1/observations", body, headers={"Authorization": "s3cret-token"})
    assert st == 401, "POST with the token but no Bearer scheme: %s" % st
    assert n.lookup("tok.se")[0] == 404
    assert_nxdomain(n.query(bl("tok.se"), "A"), bl("tok.se"))
    st, _ = n.api("POST", "/api/v1/observations", [body], token="wrong-token")
    assert st == 401
    st, _ = n.api("POST", "/api/v1/observations", body, token="s3cret-token")
    assert st == 200
    # reads need no token
    st, got = n.lookup("tok.se")
    assert st == 200 and got["first_seen"] == body["first_seen"]
    assert n.api("GET", "/api/v1/status")[0] == 200
    assert n.metrics_text()
    assert_a(n.query(bl("tok.se"), "A"), bl("tok.se"), "127.0.0.2")


# ---- /metrics ------------------------------------------------------------------------------
def _query_metric(samples, qtype, rcode):
    have = [(n, l) for n, l, _ in samples if "qtype" in l and "rcode" in l]
    assert have, "no query counter with qtype and rcode labels in /metrics: %s" % sorted(
        {n for n, _, _ in samples})
    names = {n for n, _ in have}
    return sum(v for n, l, v in samples if n in names and l.get("qtype") == qtype
               and l.get("rcode") == rcode)


def test_metrics_query_counters(api):
    """nodd_dns_queries_total rises by exactly the queries sent, by query type and RCODE."""
    m0 = api.metrics()
    txt_nx0 = _query_metric(m0, "TXT", "NXDOMAIN")
    a_ok0 = _query_metric(m0, "A", "NOERROR")
    ref0 = _query_metric(m0, "A", "REFUSED")
    for i in range(7):
        assert api.query(bl("metric-nx%d.se" % i), "TXT").rcode() == dns.rcode.NXDOMAIN
    for i in range(5):
        assert api.query(bl("test"), "A").rcode() == dns.rcode.NOERROR
    assert api.query(bl("test"), "A", tcp=True).rcode() == dns.rcode.NOERROR
    for i in range(3):
        assert api.query("example.com", "A").rcode() == dns.rcode.REFUSED
    m1 = api.metrics()
    assert _query_metric(m1, "TXT", "NXDOMAIN") - txt_nx0 == 7
    assert _query_metric(m1, "A", "NOERROR") - a_ok0 == 6
    assert _query_metric(m1, "A", "REFUSED") - ref0 == 3
    # counters never go down
    assert _query_metric(m1, "TXT", "NXDOMAIN") <= _query_metric(api.metrics(), "TXT", "NXDOMAIN")


def test_metrics_names_in_window(nodd):
    """nodd_names_in_window counts the names younger than each window."""
    now = int(time.time())
    ages = [60, 60, 60, 450, 450, 1200, 7200, 108000]
    nodd.observe_many([{"domain": "w%d.se" % i, "first_seen": now - a, "source": "t"}
                       for i, a in enumerate(ages)])
    want = {w: float(sum(1 for a in ages if a < h.WINDOW_SECONDS[w])) for w in WINDOWS}
    got = h.wait_for(lambda: (lambda g: g if g == want else None)(window_gauges(nodd)), 10,
                     0.25, "nodd_names_in_window == %s (last %s)" % (want, window_gauges(nodd)))
    assert got == want
    text = nodd.metrics_text()
    assert "# TYPE nodd_names_in_window gauge" in text


# ---- noddctl ---------------------------------------------------------------------------------
def _ctl(n, *args, timeout=120):
    if h.noddctl_binary() is None:
        pytest.fail("noddctl is not built under %s" % h.BUILD)
    return n.noddctl(*args, timeout=timeout)


def test_noddctl_observe_lookup_status(api):
    """noddctl observe lists a name, lookup prints the API's JSON (exit 1 and a message for
    an unknown name), status prints the status keys, observe of a public suffix exits 1
    with the API's error."""
    r = _ctl(api, "observe", "ctl-x.se")
    assert r.returncode == 0, r.stderr
    assert_a(api.query(bl("ctl-x.se"), "A"), bl("ctl-x.se"), "127.0.0.2")
    r = _ctl(api, "lookup", "ctl-x.se")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["domain"] == "ctl-x.se"
    st, via_api = api.lookup("ctl-x.se")
    assert body["first_seen"] == via_api["first_seen"]
    r = _ctl(api, "lookup", "ctl-never.se")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "noddctl: ctl-never.se: not found (never observed)\n")
    r = _ctl(api, "status")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)) == STATUS_KEYS, r.stdout
    r = _ctl(api, "observe", "co.uk")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "noddctl: co.uk: co.uk is a public suffix and can never be listed (field domain)\n")


def test_noddctl_import(api, tmp_path):
    """noddctl import of 20,000 names (with and without first_seen) lists each with the
    code of its age."""
    now = int(time.time())
    ages = [60, 450, 1200, 2700, 7200, 21600, 64800, 108000, None]
    rnd = random.Random(20240601)
    lines, expect = [], {}
    for i in range(20000):
        name = "imp%05d.example-%d.se" % (i, i % 7) if i % 5 == 0 else "imp%05d.se" % i
        age = rnd.choice(ages)
        if age is None:
            lines.append(name)
            expect[name] = "127.0.0.2"
        else:
            lines.append("%s %d" % (name, now - age))
            expect[name] = h.expected_code(age)
    path = tmp_path / "names.txt"
    path.write_text("\n".join(lines) + "\n")
    r = _ctl(api, "import", str(path), timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    sample = rnd.sample(sorted(expect), 300)
    for name in sample:
        code = api.a_code(name)
        assert code == (expect[name] or "NXDOMAIN"), "%s: %s, expected %s" % (name, code, expect[name])
    for name in sample[:20]:
        st, body = api.lookup(name)
        assert st == 200, name
        if expect[name] is None:
            assert body["code"] is None, body
        else:
            assert body["code"] == expect[name], body


def test_noddctl_import_batch_size(api, tmp_path):
    """--batch N sends N names per request: an invalid name on line 5 stops an import in
    batches of 2 after the 4 names before it, each stored; out of range is a usage error."""
    path = tmp_path / "names.txt"
    path.write_text("bs1.se\nbs2.se\nbs3.se\nbs4.se\nnot..valid\nbs6.se\n")
    r = _ctl(api, "import", str(path), "--batch", "2")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.endswith("import stopped before sending the batch holding that line; "
                             "4 names before it were imported (4 new)\n"), r.stderr
    assert r.stderr.startswith("%s:5: invalid domain name" % path), r.stderr
    for d in ("bs1.se", "bs2.se", "bs3.se", "bs4.se"):
        assert api.lookup(d)[0] == 200, d
    assert api.lookup("bs6.se")[0] == 404
    for bad in ("0", "200001", "x"):
        r = _ctl(api, "import", str(path), "--batch", bad)
        assert (r.returncode, r.stderr) == (
            64, "noddctl: --batch: a number of names from 1 to 200000: %s\n" % bad), r.stderr


def _metric_names_in_sources():
    """Every metric family the C sources can emit: the quoted nodd_* names and the event
    counters (metrics_inc("x") -> nodd_x_total, ternaries included)."""
    import glob
    import os
    import re
    names = set()
    for path in glob.glob(os.path.join(h.ROOT, "*", "*.c")):
        with open(path, encoding="utf-8") as f:
            src = f.read()
        names.update(n for n in re.findall(r'"(?:# HELP )?(nodd_[a-z0-9_]+)', src) if n != "nodd_")
        for call in re.findall(r"\bmetrics_inc\(([^;]*?), [^,;]*\);", src):
            names.update("nodd_%s_total" % e for e in re.findall(r'"([a-z0-9_]+)"', call))
    return names


def test_every_metric_is_documented():
    """docs/api.md names every metric family nodd can put in /metrics (read from the
    sources, so a new counter without a line in the docs fails here)."""
    import os
    names = _metric_names_in_sources()
    assert {"nodd_dns_queries_total", "nodd_tcp_timeouts_total", "nodd_upstream_serial",
            "nodd_xfr_out_ixfr_axfr_style_total", "nodd_kafka_up"} <= names, sorted(names)
    with open(os.path.join(h.ROOT, "docs", "api.md"), encoding="utf-8") as f:
        doc = f.read()
    missing = sorted(n for n in names if "`%s`" % n not in doc)
    assert not missing, "metrics not in docs/api.md: %s" % missing
