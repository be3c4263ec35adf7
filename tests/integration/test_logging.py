"""Logs an operator can route: the journal's priority prefix when stderr is the journal
(JOURNAL_STREAM naming it), the plain format otherwise; a level per category; the query log
(off by default) with client, name and answer; peer bytes escaped as \\DDD on one line; and
every counter on /metrics with 0 from the start, with full zone names as labels."""
import os
import re
import signal

import dns.message
import dns.name
import dns.query
import dns.rcode

import nodd_harness as h
from secondary_util import TsigUpstream


def journal_env(monkeypatch, n, match=True):
    """Set JOURNAL_STREAM as systemd does for a service whose stderr is the journal: the
    device and inode of the file nodd's stderr will be (the harness reopens the same file)."""
    open(n.log_path, "wb").close()
    st = os.stat(n.log_path)
    monkeypatch.setenv("JOURNAL_STREAM", "%d:%d" % (st.st_dev, st.st_ino + (0 if match else 1)))


def reload_with_error(n):
    """A reload of a file that does not parse: an error line, the running config kept."""
    good = open(n.config_path).read()
    n.write_config(good + "server:\n  listen: [\n")
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: "keeping the running configuration" in n.log_text(), 5, 0.1,
               what="the reload error")
    n.write_config(good)


def test_journal_lines_carry_their_priority(nodd_factory, monkeypatch):
    """stderr is the journal: every line is "<N>...", an error <3>, a warning <4>, info <6>,
    debug <7>, without the time and pid the journal records itself."""
    n = nodd_factory(start=False, extra="log:\n  level: debug\n")
    journal_env(monkeypatch, n)
    n.start()
    n.observe("journal.se")
    h.wait_for(lambda: "new version" in n.log_text(), 5, 0.1, what="a debug line")
    reload_with_error(n)
    lines = [l for l in open(n.log_path, encoding="utf-8", errors="replace").read().splitlines()]
    assert lines and all(re.match(r"<[3467]>", l) for l in lines), lines
    err = [l for l in lines if "keeping the running configuration" in l]
    assert err and err[0].startswith("<3>reload: "), err
    assert any(l.startswith("<6>serving DNS on 127.0.0.1@%d" % n.port) for l in lines), lines
    assert any(l.startswith("<7>zone ") and "new version" in l for l in lines), lines
    assert not any(re.search(r"nodd\[\d+\]", l) for l in lines), lines


def test_journal_start_error_is_an_error(nodd_factory, monkeypatch):
    """A configuration that does not load stops the start with its FILE:LINE message at
    priority 3 in the journal."""
    n = nodd_factory(start=False)
    n.write_config("server:\n  colour: blue\n")
    journal_env(monkeypatch, n)
    n.start(wait=False)
    assert n.proc.wait(10) == 1
    text = open(n.log_path).read()
    assert text.startswith("<3>%s:2: server.colour: unknown key" % n.config_path), text
    assert text.count("\n") == 1, text


def test_plain_lines_when_stderr_is_not_the_journal(nodd_factory, monkeypatch):
    """JOURNAL_STREAM naming another file (a child of a service whose stderr was redirected):
    the plain format, time, pid and level word, as without systemd."""
    n = nodd_factory(start=False)
    journal_env(monkeypatch, n, match=False)
    n.start()
    reload_with_error(n)
    lines = open(n.log_path, encoding="utf-8", errors="replace").read().splitlines()
    assert lines and not any(l.startswith("<") for l in lines), lines
    err = [l for l in lines if "keeping the running configuration" in l][0]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z nodd\[\d+\] error: reload: ", err), err


def follow_upstream(tmp_path, nodd_factory, log_yaml):
    up = TsigUpstream(tmp_path / "upstream")
    n = nodd_factory(start=False, extra=up.yaml() + log_yaml)
    n.start()
    h.wait_for(lambda: n.api("GET", "/api/v1/status")[1]["upstreams"][0]["serial"] == 1, 15,
               what="the first transfer")
    return n, up


def test_category_levels_filter(tmp_path, nodd_factory):
    """xfr-in at debug shows the SOA queries and transfers to the primary, which the global
    info level hides, while the general category's debug lines stay hidden; the other way
    round, a debug global level with xfr-in at info shows general debug, not xfr-in's."""
    n, up = follow_upstream(tmp_path, nodd_factory, "log:\n  categories: {xfr-in: debug}\n")
    try:
        probe = "debug: xfr-in: upstream nodtest: SOA query to 127.0.0.1@%d" % up.port
        h.wait_for(lambda: probe in n.log_text(), 5, 0.1, what="the xfr-in debug line")
        assert "debug: xfr-in: upstream nodtest: AXFR to" in n.log_text()
        n.observe("categories.se")
        h.wait_for(lambda: n.a_code("categories.se") == "127.0.0.2", 5)
        assert "new version" not in n.log_text()  # general debug
        assert "info: xfr-in: upstream nodtest: AXFR serial 0 -> 1 applied" in n.log_text()
        samples = n.metrics()
        assert h.metric_sum(samples, "nodd_upstream_serial", zone="nodtest") == 1
        assert h.metric_sum(samples, "nodd_upstream_transfers_total", zone="nodtest",
                            kind="axfr") == 1
    finally:
        up.stop()
    n2, up2 = follow_upstream(tmp_path / "2", nodd_factory,
                              "log:\n  level: debug\n  categories:\n    xfr-in: info\n")
    try:
        n2.observe("categories.se")
        h.wait_for(lambda: "debug: zone " in n2.log_text(), 5, 0.1, what="a general debug line")
        assert "info: xfr-in: upstream nodtest: AXFR serial 0 -> 1 applied" in n2.log_text()
        assert "debug: xfr-in:" not in n2.log_text()
    finally:
        up2.stop()


def query_lines(n):
    return [l for l in n.log_text().splitlines() if " queries: " in l]


def test_query_log_records_client_name_and_answer(nodd_factory, need_dig):
    """log.queries: a dig query's client address, the zone, the name, the type and the
    answer (the DNSBL code, listed for RPZ, or the RCODE), one line each; none for a name
    outside our zones."""
    n = nodd_factory(extra="log:\n  queries: true\n")
    n.observe("listed.se")
    h.wait_for(lambda: n.a_code("listed.se") == "127.0.0.2", 5)
    before = len(query_lines(n))
    n.dig("listed.se." + h.DNSBL, "A")
    n.dig("unlisted.se." + h.DNSBL, "TXT")
    n.dig("listed.se." + h.RPZ["1h"], "A", tcp=True)
    n.dig("elsewhere.example", "A")
    want = [
        r"info: queries: client 127\.0\.0\.1@\d+ %s: query listed\.se\.%s A: listed 127\.0\.0\.2$"
        % (re.escape(h.DNSBL), re.escape(h.DNSBL)),
        r"info: queries: client 127\.0\.0\.1@\d+ %s: query unlisted\.se\.%s TXT: NXDOMAIN$"
        % (re.escape(h.DNSBL), re.escape(h.DNSBL)),
        r"info: queries: client 127\.0\.0\.1@\d+ %s: query listed\.se\.%s A: listed$"
        % (re.escape(h.RPZ["1h"]), re.escape(h.RPZ["1h"])),
    ]
    lines = h.wait_for(lambda: (lambda l: l if len(l) >= before + 3 else None)(query_lines(n)),
                       5, 0.1, what="three query log lines")[before:]
    assert len(lines) == 3, lines
    for pattern, line in zip(want, lines):
        assert re.search(pattern, line), (pattern, line)
    assert "elsewhere" not in n.log_text()
    assert h.metric_sum(n.metrics(), "nodd_query_log_lines_total") == before + 3


def test_query_log_is_off_by_default(nodd, need_dig):
    nodd.observe("quiet.se")
    nodd.dig("quiet.se." + h.DNSBL, "A")
    assert nodd.a_code("quiet.se") == "127.0.0.2"
    assert "queries:" not in nodd.log_text() and "quiet.se" not in nodd.log_text()
    assert h.metric_sum(nodd.metrics(), "nodd_query_log_lines_total") == 0


def test_control_characters_in_a_name_are_escaped(nodd_factory):
    """A raw label with a newline, an escape and a bell: the query log writes it as \\DDD on
    the one line of its query, and no line of the log holds a control character."""
    n = nodd_factory(extra="log:\n  queries: true\n")
    name = dns.name.Name([b"evil\nforged line\x1b[31m\x07"] + list(dns.name.from_text(h.DNSBL).labels))
    r = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=n.port, timeout=2)
    assert r.rcode() == dns.rcode.NXDOMAIN
    esc = "evil\\010forged\\032line\\027\\09131m\\007.%s" % h.DNSBL
    h.wait_for(lambda: any(esc in l for l in query_lines(n)), 5, 0.1, what="the escaped name")
    line = [l for l in query_lines(n) if esc in l][0]
    assert line.endswith(" A: NXDOMAIN"), line
    raw = open(n.log_path, "rb").read()
    assert not re.search(rb"[\x00-\x09\x0b-\x1f\x7f-\xff]", raw), raw[-500:]
    assert b"forged line" not in raw


FAMILIES_AT_ZERO = [
    "nodd_notify_in_refused_total", "nodd_xfr_out_refused_total", "nodd_xfr_out_tsig_errors_total",
    "nodd_xfr_out_axfr_total", "nodd_xfr_out_ixfr_total", "nodd_tsig_errors_total",
    "nodd_tcp_timeouts_total", "nodd_tcp_refused_global_cap_total", "nodd_http_unauthorized_total",
    "nodd_http_server_errors_total", "nodd_reload_errors_total", "nodd_reloads_total",
    "nodd_notify_sent_total", "nodd_notify_failed_total", "nodd_files_errors_total",
    "nodd_ws_dropped_slow_total", "nodd_query_log_suppressed_total",
]


def test_metrics_list_every_counter_at_zero_from_start(nodd):
    """Right after the start every counter is there with 0 (an alert on increase() sees the
    first event), the query series of each answered RCODE too, and published zones are
    labelled with their full names."""
    text = nodd.metrics_text()
    samples = h.parse_prometheus(text)
    for fam in FAMILIES_AT_ZERO:
        assert "# TYPE %s counter" % fam in text, fam
        assert [v for n, _, v in samples if n == fam] == [0.0], fam
    for rcode in ("NXDOMAIN", "REFUSED", "FORMERR", "NOTAUTH", "NOTIMP", "dropped"):
        for proto in ("udp", "tcp"):
            got = [v for n, lab, v in samples if n == "nodd_dns_queries_total" and
                   lab == {"proto": proto, "qtype": "A", "rcode": rcode}]
            assert got == [0.0], (proto, rcode)
    zones = {lab["zone"] for n, lab, _ in samples if n == "nodd_zone_serial"}
    assert zones == set(h.PUBLISHED), zones


def test_reload_turns_the_query_log_on(nodd):
    """log.queries and log.categories are applied by a reload (SIGHUP), without a restart."""
    nodd.observe("reloaded.se")
    assert nodd.a_code("reloaded.se") == "127.0.0.2"
    assert not query_lines(nodd)
    nodd.write_config(nodd.config_text() + "log:\n  queries: true\n  categories: {queries: info}\n")
    nodd.send_signal(signal.SIGHUP)
    h.wait_for(lambda: "configuration re-read" in nodd.log_text(), 5, 0.1, what="the reload")
    assert "at the next restart" not in nodd.log_text()
    assert nodd.a_code("reloaded.se") == "127.0.0.2"
    h.wait_for(lambda: any("query reloaded.se.%s A: listed 127.0.0.2" % h.DNSBL in l
                           for l in query_lines(nodd)), 5, 0.1, what="the query logged")
