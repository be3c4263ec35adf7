"""Files nodd writes: the exported zone files never follow a symlink planted at a
temporary name in the files directory and get mode 0644; a new database gets mode 0600;
both whatever the umask nodd starts with."""
import os
import stat
import time

import nodd_harness as h

FILES = ["rpz/%s.zone" % h.RPZ[w] for w in h.WINDOWS] + ["nod.rbldnsd"]


def test_planted_symlinks_are_not_followed_and_modes_are_explicit(tmp_path, nodd_factory):
    files = tmp_path / "files"
    old = os.umask(0o002)
    try:
        n = nodd_factory(extra="files:\n  dir: %s\n  interval: 1s\n" % files)
    finally:
        os.umask(old)
    h.wait_for(lambda: all((files / f).is_file() for f in FILES), 10, what="the first files")
    # the database was created by this start: owner only
    assert stat.S_IMODE(os.stat(n.db).st_mode) == 0o600, oct(os.stat(n.db).st_mode)
    if os.path.exists(n.db + "-wal"):
        assert stat.S_IMODE(os.stat(n.db + "-wal").st_mode) == 0o600
    # a symlink at every name a temp file could predictably take (<file>.tmp.<pid>), and a
    # few more, all pointing at a file the attacker wants overwritten
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    pid = n.proc.pid
    planted = []
    for f in FILES:
        for suffix in ("tmp", "tmp.%d" % pid, "tmp.%d" % (pid + 1), "new", "part"):
            link = files / ("%s.%s" % (f, suffix))
            os.symlink(str(victim), str(link))
            planted.append(link)
    n.observe("after-plant.nodtld")
    h.wait_for(lambda: all("after-plant.nodtld" in (files / f).read_text() for f in FILES),
               15, what="files written after the symlinks were planted")
    assert victim.read_text() == "precious\n"
    for f in FILES:
        p = files / f
        st = os.lstat(str(p))
        assert stat.S_ISREG(st.st_mode), "%s is no longer a regular file" % f
        assert stat.S_IMODE(st.st_mode) == 0o644, (f, oct(st.st_mode))
    for link in planted:
        assert os.path.islink(str(link)) and os.readlink(str(link)) == str(victim), link
    # no temp file left behind once written
    leftovers = [p for p in files.rglob("*.tmp.*") if not os.path.islink(str(p))]
    assert leftovers == [], leftovers
    st, _ = n.api("GET", "/api/v1/status")
    assert st == 200 and h.metric_sum(n.metrics(), "nodd_files_errors_total") == 0
