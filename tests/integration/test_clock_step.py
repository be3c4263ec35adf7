"""The wall clock of a running nodd stepped back an hour (libfaketime reading its offset
from a file): new names still make new zone versions within a few min-intervals, their
serials keep going up, and the transfers carry the names (in the 24h zone: versions made
while the wall clock is behind the newest one are dated just after it, so a name first seen
after the step looks up to an hour old in them; the answers use the wall clock)."""
import os
import time

import dns.query
import pytest

import nodd_harness as h

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
Z24 = h.RPZ["24h"]


def axfr_owners(n, zone):
    xfr = dns.query.xfr("127.0.0.1", zone, port=n.port, lifetime=10, relativize=False)
    return {rs.name.to_text().lower() for msg in xfr for rs in msg.answer}


def test_versions_go_on_after_the_wall_clock_steps_back(tmp_path, nodd_factory, monkeypatch):
    if not os.path.exists(LIBFAKETIME):
        pytest.skip("libfaketime is not installed (Debian: faketime)")
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    monkeypatch.setenv("LD_PRELOAD", LIBFAKETIME)
    monkeypatch.setenv("FAKETIME_TIMESTAMP_FILE", str(offset))
    monkeypatch.setenv("FAKETIME_NO_CACHE", "1")
    monkeypatch.setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1")
    monkeypatch.setenv("ASAN_OPTIONS", "verify_asan_link_order=0")
    n = nodd_factory(extra="transfer:\n  allow:\n    - address: 127.0.0.1/32\n  min-interval: 1s\n")
    monkeypatch.delenv("LD_PRELOAD")
    before = {Z24: n.serial(Z24)}
    n.observe("before-step.nodtld")
    n.wait_new_versions(before)
    serials = [n.serial(Z24)]

    offset.write_text("-3600\n")
    # nodd's clock is now an hour behind: its first_seen of a new name shows it
    n.observe("after-step-0.nodtld")
    fs = n.lookup("after-step-0.nodtld")[1]["first_seen"]
    assert fs < time.time() - 3000, fs
    for i in range(1, 4):
        want = "after-step-%d.nodtld" % (i - 1)
        h.wait_for(lambda: n.serial(Z24) != serials[-1], 10,
                   what="a new 24h version after the step (%s)" % want)
        serials.append(n.serial(Z24))
        assert "%s.%s." % (want, Z24) in axfr_owners(n, Z24)
        n.observe("after-step-%d.nodtld" % i)
    assert all(b > a for a, b in zip(serials, serials[1:])), serials
    assert h.rdatas(n.query("after-step-3.nodtld." + Z24, "A"), h.dns.rdatatype.CNAME) == ["."]
