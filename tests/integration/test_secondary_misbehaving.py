"""nodd as a secondary of scripted misbehaving upstreams (ldns-testns): each bad transfer is
discarded whole, the last good version keeps serving, and the error is in status."""
import shutil

import pytest

import nodd_harness as h
from testns_util import ScriptedUpstream, upstream_yaml


@pytest.fixture
def need_testns():
    if not shutil.which("ldns-testns"):
        pytest.skip("ldns-testns is not installed (Debian: ldnsutils)")


def status_of(n):
    return n.api("GET", "/api/v1/status")[1]["upstreams"][0]


def follow(nodd_factory, scenario):
    ns = ScriptedUpstream(scenario)
    n = nodd_factory(start=False)
    n.extra = upstream_yaml(ns.port)
    n.write_config()
    n.start()
    # the baseline AXFR at serial 1
    h.wait_for(lambda: status_of(n)["serial"] == 1, 15, what="baseline from ldns-testns")
    return n, ns


@pytest.mark.parametrize("scenario,evil,error", [
    ("ixfr_wrong_start", "evil1", "starts at serial 7"),
    ("ixfr_delete_absent", "evil2", "deletes a record we do not hold"),
    ("ixfr_cut", "evil3", "closed in the middle"),
])
def test_bad_ixfr_is_discarded(nodd_factory, need_testns, scenario, evil, error):
    n, ns = follow(nodd_factory, scenario)
    try:
        s = h.wait_for(lambda: (lambda x: x if x["last_error"] and error in x["last_error"] else None)(
            status_of(n)), 40, what="the error %r in status" % error)
        assert s["serial"] == 1, s
        assert n.a_code("%s.nodtest" % evil) == "NXDOMAIN"
        assert n.a_code("old.nodtest") == "NXDOMAIN"  # baseline, never listed
        n.observe("stillserving.se")
        assert n.a_code("stillserving.se") == "127.0.0.2"
    finally:
        ns.stop()


def test_serial_going_backwards_is_refused(nodd_factory, need_testns):
    n, ns = follow(nodd_factory, "serial_backwards")
    try:
        s = h.wait_for(lambda: (lambda x: x if x["last_error"] and "older" in x["last_error"] else None)(
            status_of(n)), 15, what="serial backwards reported")
        assert s["serial"] == 1 and s["transfers"]["ixfr"] == 0, s
        assert n.a_code("evil4.nodtest") == "NXDOMAIN"
    finally:
        ns.stop()


def test_refused_ixfr_falls_back_to_axfr(nodd_factory, need_testns):
    n, ns = follow(nodd_factory, "ixfr_refused")
    try:
        h.wait_for(lambda: status_of(n)["transfers"]["axfr"] >= 2, 15, what="AXFR fallback")
        assert status_of(n)["transfers"]["ixfr"] == 0
        assert "falling back to AXFR" in n.log_text()
    finally:
        ns.stop()
