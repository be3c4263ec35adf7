"""Rolling windows without input: a name observed just short of the 5-minute edge moves
from 127.0.0.2 to 127.0.0.3 and leaves the 5m RPZ zone when the edge passes, with no API
call or transfer in between, and the zones whose content changed get a new serial.

Takes about 10-25 s: first_seen = now - 290, then polling (bounded: edge + 15 s)."""
import subprocess
import time

import pytest

import nodd_harness as h
from nodd_harness import DNSBL, RPZ, WINDOWS

LEAD = 290          # seconds of age at observation; the edge is 300
AFTER_EDGE = 15     # bound on how late after the edge the change may show


def bl(name):
    return "%s.%s" % (name, DNSBL)


def gauges(n):
    out = {}
    for name, labels, v in n.metrics():
        if name == "nodd_names_in_window":
            for lv in labels.values():
                if lv in WINDOWS:
                    out[lv] = v
    return out


def min_interval_supported(tmp_path):
    n = h.Nodd(tmp_path / "probe", publish={"min-interval": 1}, name="probe")
    r = subprocess.run([h.nodd_binary(), "-c", n.config_path, "--check-config"],
                       capture_output=True, text=True, timeout=20)
    return r.returncode == 0


def test_name_rolls_from_5m_to_10m_without_input(nodd_factory, tmp_path):
    if h.nodd_binary() is None:
        pytest.fail("nodd is not built under %s" % h.BUILD)
    pub = {"min-interval": 1} if min_interval_supported(tmp_path) else {}
    n = nodd_factory(publish=pub, name="nodd (rolling)")
    t_obs = int(time.time())
    fs = t_obs - LEAD
    edge = fs + 300
    n.observe("roll.se", fs)
    n.observe("stay.se", t_obs - 10)   # control: stays in 5m throughout
    assert time.time() < edge - 2, "too slow to set up before the edge"
    h.assert_a(n.query(bl("roll.se"), "A"), bl("roll.se"), "127.0.0.2")
    h.assert_txt_first_seen(n.query(bl("roll.se"), "TXT"), bl("roll.se"), fs)
    assert n.in_rpz("roll.se", "5m") and n.in_rpz("roll.se", "10m")
    # serials of the version that holds both names
    h.wait_for(lambda: (lambda s: s if all(v >= t_obs for v in s.values()) else None)(
        n.serials()), min(6, edge - time.time() - 2), 0.2, "versions with the new names")
    last = [None]

    def settled():
        s = n.serials()
        same = s == last[0]
        last[0] = s
        return s if same else None
    s0 = h.wait_for(settled, max(1, edge - time.time() - 1), 1.1, "serials to settle")
    g0 = gauges(n)
    assert g0.get("5m") == 2 and g0.get("10m") == 2, g0

    # poll, with no input, until the name has moved (bounded by edge + 15 s)
    deadline_mono = time.monotonic() + (edge + AFTER_EDGE - time.time())
    while True:
        t = time.time()
        code = n.a_code("roll.se")
        if code == "127.0.0.3":
            break
        assert code == "127.0.0.2", "unexpected answer %s at edge%+.1f s" % (code, t - edge)
        assert time.monotonic() < deadline_mono, \
            "still %s %.1f s after the 5-minute edge" % (code, t - edge)
        time.sleep(0.2)
    assert t >= edge - 1, "moved to 127.0.0.3 %.1f s before the edge" % (edge - t)

    # the DNSBL data and the 5m zone follow; the larger windows keep the name
    h.assert_a(n.query(bl("roll.se"), "A"), bl("roll.se"), "127.0.0.3")
    h.assert_a(n.query(bl("www.roll.se"), "A"), bl("www.roll.se"), "127.0.0.3")
    h.assert_txt_first_seen(n.query(bl("roll.se"), "TXT"), bl("roll.se"), fs)
    h.assert_a(n.query(bl("stay.se"), "A"), bl("stay.se"), "127.0.0.2")
    remaining = max(1.0, edge + AFTER_EDGE - time.time())
    h.wait_for(lambda: not n.in_rpz("roll.se", "5m"), remaining, 0.2, "roll.se to leave 5m")
    for q in ("roll.se", "a.roll.se"):
        h.assert_nxdomain(n.query("%s.%s" % (q, RPZ["5m"]), "A"), "%s.%s" % (q, RPZ["5m"]))
    h.assert_cname_dot(n.query("stay.se." + RPZ["5m"], "A"), "stay.se." + RPZ["5m"])
    for w in WINDOWS[1:]:
        assert n.in_rpz("roll.se", w), "roll.se left %s" % w
        h.assert_cname_dot(n.query("a.roll.se." + RPZ[w], "A"), "a.roll.se." + RPZ[w])

    # serials: 5m and the DNSBL zone changed content, so they get a newer serial
    remaining = max(1.0, edge + AFTER_EDGE - time.time())
    s1 = h.wait_for(lambda: (lambda s: s if s[RPZ["5m"]] > s0[RPZ["5m"]] and s[DNSBL] > s0[DNSBL]
                             else None)(n.serials()), remaining, 0.2,
                    "5m and DNSBL serials to increase after the edge")
    assert s1[RPZ["5m"]] >= edge - 1, "5m serial %d is older than the edge %d" % (s1[RPZ["5m"]], edge)
    assert s1[RPZ["5m"]] <= time.time() + 1
    # windows whose content did not change keep their serial
    for w in WINDOWS[1:]:
        assert s1[RPZ[w]] == s0[RPZ[w]], "%s serial changed without a content change" % w
    g1 = h.wait_for(lambda: (lambda g: g if g.get("5m") == 1 else None)(gauges(n)), 5, 0.2,
                    "nodd_names_in_window{5m} to drop to 1")
    assert g1.get("10m") == 2
