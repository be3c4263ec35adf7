"""docs/operations.md as written: the systemd unit (examples/nodd.service) passes
systemd-analyze and its commands start, reload and stop nodd; the online backup with the
sqlite3 shell runs while nodd takes observations, and nodd restored from the copy holds
every name acknowledged before the backup began, with the same first_seen."""
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time

import pytest

import nodd_harness as h

UNIT = os.path.join(h.ROOT, "examples", "nodd.service")


def _unit_for(n, tmp_path):
    """examples/nodd.service with the installed paths pointed at this build and n's config."""
    with open(UNIT, encoding="utf-8") as f:
        text = f.read()
    assert "/usr/local/sbin/nodd -c /etc/nodd/nodd.yaml" in text
    text = text.replace("/usr/local/sbin/nodd", h.nodd_binary()).replace(
        "/etc/nodd/nodd.yaml", n.config_path)
    path = tmp_path / "nodd.service"
    path.write_text(text)
    return path, text


def _commands(text, key):
    return [l.split("=", 1)[1] for l in text.splitlines() if l.startswith(key + "=")]


def test_systemd_unit_verifies_and_its_commands_run(tmp_path, nodd_factory):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    n = nodd_factory(start=False)
    path, text = _unit_for(n, tmp_path)
    r = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                       text=True, timeout=60, cwd=str(tmp_path))
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
    # the check is live: a unit with a wrong key is reported
    bad = tmp_path / "bad.service"
    bad.write_text(text.replace("[Service]\n", "[Service]\nRestartt=always\n"))
    r = subprocess.run(["systemd-analyze", "verify", str(bad)], capture_output=True,
                       text=True, timeout=60, cwd=str(tmp_path))
    assert "Restartt" in r.stdout + r.stderr, r.stdout + r.stderr

    # its commands, as systemd would run them (as this user, not in its sandbox)
    for cmd in _commands(text, "ExecStartPre"):
        r = subprocess.run(shlex.split(cmd), capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, (cmd, r.stdout, r.stderr)
    (start,) = _commands(text, "ExecStart")
    log = open(tmp_path / "unit.log", "wb")
    p = subprocess.Popen(shlex.split(start), stdout=log, stderr=subprocess.STDOUT)
    try:
        def up():
            assert p.poll() is None, (tmp_path / "unit.log").read_text()
            try:
                return n.query(h.DNSBL, "SOA", timeout=0.5).answer
            except Exception:
                return None
        h.wait_for(up, 15, 0.2, "nodd started by the unit's ExecStart")
        for cmd in _commands(text, "ExecReload"):
            r = subprocess.run(shlex.split(cmd.replace("$MAINPID", str(p.pid))),
                               capture_output=True, text=True, timeout=20)
            assert r.returncode == 0, (cmd, r.stdout, r.stderr)
        h.wait_for(lambda: b"configuration re-read" in (tmp_path / "unit.log").read_bytes(),
                   5, 0.1, "the reload")
        # a bad file: the reload's check fails (systemctl reload reports it), nodd keeps running
        good = open(n.config_path).read()
        n.write_config(good.replace("  ttl: 60\n", "  ttl: sixty\n"))
        r = subprocess.run(shlex.split(_commands(text, "ExecReload")[0]), capture_output=True,
                           text=True, timeout=20)
        assert r.returncode == 1 and "%s:" % n.config_path in r.stderr, r.stderr
        assert p.poll() is None
        n.write_config(good)
        (timeout,) = _commands(text, "TimeoutStopSec")
        assert _commands(text, "KillSignal") == ["SIGTERM"]
        p.send_signal(signal.SIGTERM)
        assert p.wait(int(timeout)) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        log.close()


def test_online_backup_while_observing_then_restore(tmp_path, nodd_factory):
    if not shutil.which("sqlite3"):
        pytest.skip("sqlite3 is not installed (Debian: sqlite3)")
    n = nodd_factory()
    acked = []           # (monotonic time the POST returned, names)
    errors = []
    stop = threading.Event()

    def feed():
        i = 0
        while not stop.is_set():
            names = ["bk%d-%d.nodtld" % (i, k) for k in range(50)]
            st, resp = n.observe_many([{"domain": d} for d in names], expect=None)
            if st != 200:
                errors.append((st, resp))
            else:
                acked.append((time.monotonic(), names))
            i += 1

    t = threading.Thread(target=feed)
    t.start()
    try:
        h.wait_for(lambda: len(acked) >= 5, 20, 0.05, "observations flowing")
        began = time.monotonic()
        copy = tmp_path / "backup.db"
        # docs/operations.md: sqlite3 /var/lib/nodd/nodd.db ".backup '/srv/backup/nodd.db'"
        r = subprocess.run(["sqlite3", n.db, ".backup '%s'" % copy], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        h.wait_for(lambda: acked[-1][0] > time.monotonic() - 0.5 and len(acked) > 8, 20, 0.05,
                   "observations still taken after the backup")
    finally:
        stop.set()
        t.join(30)
    assert not errors, errors[:3]
    before = [d for at, names in acked if at < began for d in names]
    assert len(before) >= 250
    r = subprocess.run(["sqlite3", str(copy), "PRAGMA integrity_check"], capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.strip() == "ok", r.stdout + r.stderr
    sample = before[:: max(1, len(before) // 40)] + before[-5:]
    first_seen = {}
    for d in sample:
        st, body = n.lookup(d)
        assert st == 200, (d, body)
        first_seen[d] = body["first_seen"]
    n.stop()

    # restored: a nodd on the copy has every name acknowledged before the backup began
    m = nodd_factory(server={"database": str(copy)})
    got = subprocess.run(["sqlite3", str(copy), "SELECT name FROM names"], capture_output=True,
                         text=True, timeout=60).stdout.split()
    missing = set(before) - set(got)
    assert not missing, "acknowledged before the backup, not in it: %s" % sorted(missing)[:5]
    for d in sample:
        st, body = m.lookup(d)
        assert st == 200 and body["first_seen"] == first_seen[d], (d, body, first_seen[d])
    assert m.a_code(before[-1]) == "127.0.0.2"
    assert re.search(r"store .*backup\.db: \d+ names", m.log_text())
