"""A scripted upstream whose transfer is signed wrongly (bad MAC, unknown key,
stale time, last message unsigned): the whole transfer is discarded, the last good version
keeps serving and status names the TSIG error."""
import pytest

import nodd_harness as h
from secondary_util import TsigUpstream


def status_of(n):
    return n.api("GET", "/api/v1/status")[1]["upstreams"][0]


@pytest.mark.parametrize("mode,error", [
    ("bad_mac", "TSIG: BADSIG (key nod-scripted)"),
    ("unknown_key", "TSIG: BADKEY (key nod-scripted)"),
    ("stale_time", "TSIG: BADTIME (key nod-scripted)"),
    ("unsigned_end", "TSIG: the last message is not signed"),
])
def test_badly_signed_transfer_is_discarded(tmp_path, nodd_factory, mode, error):
    """A transfer signed wrongly is discarded whole: serial 1 keeps serving, nothing is
    observed, status shows the exact TSIG error; the next correctly signed transfer is
    applied."""
    up = TsigUpstream(tmp_path / "upstream")
    try:
        n = nodd_factory(start=False)
        n.extra = up.yaml()
        n.write_config()
        n.start()
        # the baseline, correctly signed: serial 1, nothing observed
        h.wait_for(lambda: status_of(n)["serial"] == 1, 15, what="the signed baseline")
        assert status_of(n)["transfers"]["axfr"] == 1
        assert n.a_code("old.nodtest") == "NXDOMAIN"
        up.set_mode(mode)
        s = h.wait_for(lambda: (lambda x: x if x["last_error"] and "TSIG" in x["last_error"] else None)(
            status_of(n)), 20, what="the TSIG error of mode %s in status" % mode)
        assert s["last_error"] == error, s
        assert s["serial"] == 1 and s["transfers"]["ixfr"] == 0 and s["observations"] == 0, s
        assert s["transfers"]["failed"] >= 1, s
        assert n.a_code("evil.nodtest") == "NXDOMAIN"
        n.observe("stillserving.se")
        assert n.a_code("stillserving.se") == "127.0.0.2"
        # the upstream mends its ways: the next transfer is applied
        up.set_mode("good_again")  # serial 2, every message signed correctly
        h.wait_for(lambda: n.a_code("evil.nodtest") == "127.0.0.2", 20,
                   what="the correctly signed serial 2 applied")
        assert status_of(n)["serial"] == 2
    finally:
        up.stop()
