"""pytest fixtures for the nodd integration tests (see README.md). Only fixtures with
explicit names live here; nothing is autouse, so test files with their own harness
(test_tsig_interop.py) are unaffected."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nodd_harness as h  # noqa: E402


def _need_nodd():
    if h.nodd_binary() is None:
        pytest.fail("nodd is not built: expected %s/daemon/nodd (run ninja -C %s; env "
                    "NODD_BUILD selects the build dir)" % (h.BUILD, h.BUILD), pytrace=False)


def _start(tmpdir, **kw):
    _need_nodd()
    n = h.Nodd(tmpdir, **kw)
    try:
        n.start()
    except RuntimeError as e:
        n.stop(h.signal.SIGKILL)
        pytest.fail(str(e), pytrace=False)
    return n


@pytest.fixture(scope="module")
def nodd_module(tmp_path_factory):
    """One daemon shared by the tests of a module (default config)."""
    n = _start(tmp_path_factory.mktemp("nodd"), name="nodd (module)")
    yield n
    n.stop()


@pytest.fixture
def nodd(tmp_path):
    """A fresh daemon for one test (default config)."""
    n = _start(tmp_path / "nodd", name="nodd")
    yield n
    n.stop()


@pytest.fixture
def nodd_factory(tmp_path):
    """Make daemons with extra config: nodd_factory(server={...}, publish={...},
    start=True). All are stopped at teardown."""
    made = []

    def make(start=True, **kw):
        if start:
            n = _start(tmp_path / ("nodd%d" % len(made)), **kw)
        else:
            _need_nodd()
            n = h.Nodd(tmp_path / ("nodd%d" % len(made)), **kw)
        made.append(n)
        return n

    yield make
    for n in made:
        n.stop()


def need(prog):
    """Skip when an external program is missing."""
    if h.which(prog) is None:
        pytest.skip("%s is not installed (Debian: %s)" % (
            prog, {"dig": "bind9-dnsutils", "kdig": "knot-dnsutils"}.get(prog, prog)))


@pytest.fixture
def need_dig():
    need("dig")


@pytest.fixture
def need_kdig():
    need("kdig")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item._nodd_first = len(h.INSTANCES)


def _sanitizer_failure(rep):
    """Fail a test's teardown when a daemon wrote a sanitizer report (ASan, LSan, UBSan,
    TSan) while the test ran or while it was stopped at the test's end."""
    reports = []
    for n in h.INSTANCES:
        if n.proc is not None or n.unscanned:
            reports += ["%s: %s" % (n.name, r) for r in n.sanitizer_reports()]
    if not reports:
        return
    text = "sanitizer report in a daemon's log:\n\n" + "\n\n".join(reports)
    if rep.failed:
        rep.sections.append(("sanitizer reports", text))
    else:
        rep.outcome = "failed"
        rep.longrepr = text


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the logs of the daemons this test used: its fixtures' and those
    made while it ran. At teardown, a sanitizer report in any daemon's log fails the test."""
    outcome = yield
    rep = outcome.get_result()
    if call.when == "teardown":
        _sanitizer_failure(rep)
    if not rep.failed:
        return
    used = [v for v in getattr(item, "funcargs", {}).values() if isinstance(v, h.Nodd)]
    for n in h.INSTANCES[getattr(item, "_nodd_first", len(h.INSTANCES)):]:
        if n not in used:
            used.append(n)
    for n in used:
        rep.sections.append(("%s log (%s)" % (n.name, n.dir), n.log_tail(8000)))
