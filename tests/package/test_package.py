"""The Debian package as an operator gets it: debian/ builds nodd_*.deb offline with
dpkg-buildpackage (release build, tests left to the other steps), lintian has nothing to
say above info, `dpkg -i` installs it into this machine, the installed configuration is
valid, the installed unit passes systemd-analyze, the installed nodd runs as the user
nodd, answers dig and makes no system call outside the unit's SystemCallFilter=, the
installed manual pages render without a groff warning and
cover every configuration key and noddctl command, and `dpkg --purge` leaves the machine
as it was found (the user nodd is removed by this test when it made it).

Needs root (dpkg -i) and a machine without a nodd package, /etc/nodd or /var/lib/nodd of
its own: otherwise the install tests are skipped, so an operator's nodd is never touched.
Run once per CI run by tools/run-tests: /usr/bin/python3 -m pytest tests/package -q."""
import glob
import grp
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from nodd_harness import free_port, free_tcp_port  # noqa: E402

BUILD_TIMEOUT = 600
UNIT = "/lib/systemd/system/nodd.service"
CONF = "/etc/nodd/nodd.yaml"
MAN_PAGES = {"/usr/share/man/man8/nodd.8.gz": ("8", "nodd"),
             "/usr/share/man/man1/noddctl.1.gz": ("1", "noddctl"),
             "/usr/share/man/man5/nodd.yaml.5.gz": ("5", "nodd.yaml")}
INSTALLED = ["/usr/sbin/nodd", "/usr/bin/noddctl", CONF, UNIT] + list(MAN_PAGES)


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def package_installed():
    r = run(["dpkg-query", "-W", "-f", "${Status}", "nodd"])
    return r.returncode == 0 and "installed" in r.stdout.split()


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def copy_ignore(src, names):
    """The source tree without build directories, VCS data and debhelper's leftovers."""
    skip = {"__pycache__", ".git"}
    if os.path.abspath(src) == ROOT:
        skip |= {n for n in names if n.startswith(("build", "obj-")) or n == "var"}
    if os.path.abspath(src) == os.path.join(ROOT, "debian"):
        skip |= {n for n in names if n in (".debhelper", "nodd", "tmp", "files",
                                           "debhelper-build-stamp")
                 or n.endswith((".substvars", ".debhelper"))}
    return skip


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    """Build the package from a copy of the tree; returns the directory of the .deb."""
    for prog in ("dpkg-buildpackage", "dh"):
        if shutil.which(prog) is None:
            pytest.fail("%s is not installed (Debian: dpkg-dev, debhelper)" % prog,
                        pytrace=False)
    out = tmp_path_factory.mktemp("deb")
    src = out / "nodd"
    shutil.copytree(ROOT, src, ignore=copy_ignore, symlinks=True)
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck", LC_ALL="C.UTF-8")
    r = run(["dpkg-buildpackage", "-b", "-us", "-uc", "-j2"], cwd=src, env=env,
            timeout=BUILD_TIMEOUT)
    log = r.stdout + r.stderr
    assert r.returncode == 0, "dpkg-buildpackage failed:\n" + log[-6000:]
    assert len(glob.glob(str(out / "nodd_*.deb"))) == 1, os.listdir(out)
    return out


def deb_path(debs):
    return glob.glob(str(debs / "nodd_*.deb"))[0]


def test_package_holds_the_files_and_one_conffile(debs):
    deb = deb_path(debs)
    listing = run(["dpkg-deb", "-c", deb]).stdout
    paths = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    for p in INSTALLED:
        assert p in paths, "%s not in the package:\n%s" % (p, listing)
    ctrl = debs / "control"
    assert run(["dpkg-deb", "-e", deb, str(ctrl)]).returncode == 0
    assert (ctrl / "conffiles").read_text().split() == [CONF]
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    for dep in ("adduser", "publicsuffix", "libldns3", "libsqlite3-0"):
        assert re.search(r"(^|, )%s\b" % re.escape(dep), depends), depends


def test_lintian_reports_no_error_or_warning(debs):
    if shutil.which("lintian") is None:
        pytest.fail("lintian is not installed (Debian: lintian)", pytrace=False)
    changes = glob.glob(str(debs / "nodd_*.changes"))[0]
    r = run(["lintian", "--fail-on", "error,warning", changes], timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not re.search(r"^[EW]: ", r.stdout, re.M), r.stdout


@pytest.fixture(scope="module")
def installed(debs):
    """dpkg -i into this machine; purged again at the end of the module."""
    if os.geteuid() != 0:
        pytest.skip("installing the package needs root")
    if package_installed() or os.path.exists("/etc/nodd") or os.path.exists("/var/lib/nodd"):
        pytest.skip("this machine has a nodd package, /etc/nodd or /var/lib/nodd of its own")
    state = {"user": user_exists("nodd"), "group": group_exists("nodd")}
    r = run(["dpkg", "-i", deb_path(debs)], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    assert r.returncode == 0, "dpkg -i failed:\n" + r.stdout + r.stderr
    yield state
    if package_installed():
        run(["dpkg", "--purge", "nodd"])
    forget_user(state)


def forget_user(state):
    """Remove the user and group nodd when the package made them (Debian keeps them)."""
    if not state["user"] and user_exists("nodd"):
        run(["deluser", "--system", "--quiet", "nodd"])
    if not state["group"] and group_exists("nodd"):
        run(["delgroup", "--system", "--quiet", "nodd"])


def test_installed_files_owners_and_user(installed):
    for p in INSTALLED:
        assert os.path.isfile(p), p
    u = pwd.getpwnam("nodd")
    assert u.pw_uid < 1000 and u.pw_shell == "/usr/sbin/nologin" and u.pw_dir == "/var/lib/nodd"
    st = os.stat(CONF)
    assert (st.st_uid, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)) == \
        (0, "nodd", 0o640)
    st = os.stat("/var/lib/nodd")
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (u.pw_uid, 0o750)
    assert os.access("/usr/sbin/nodd", os.X_OK) and os.access("/usr/bin/noddctl", os.X_OK)


def test_installed_configuration_is_valid_and_production_shaped(installed):
    r = run(["/usr/sbin/nodd", "-c", CONF, "--check-config"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "%s: configuration is valid" % CONF in r.stdout + r.stderr
    text = open(CONF).read()
    active = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert re.search(r"^  listen: \[0\.0\.0\.0@53\]$", active, re.M), active
    assert re.search(r"^  http: 127\.0\.0\.1@8053$", active, re.M), active
    assert re.search(r"^  database: /var/lib/nodd/nodd\.db$", active, re.M), active
    assert "upstreams:" not in active and "# upstreams:" in text


def test_installed_unit_verifies_and_is_not_enabled(installed):
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is not installed (Debian: systemd)", pytrace=False)
    r = run(["systemd-analyze", "verify", UNIT])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "nodd.service" not in r.stdout + r.stderr, r.stdout + r.stderr
    unit = open(UNIT).read()
    for line in ("ExecStart=/usr/sbin/nodd -c /etc/nodd/nodd.yaml",
                 "ExecReload=/bin/kill -HUP $MAINPID", "User=nodd", "StateDirectory=nodd",
                 "AmbientCapabilities=CAP_NET_BIND_SERVICE", "ProtectSystem=strict",
                 "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                 "SystemCallFilter=@system-service",
                 "Documentation=man:nodd(8) man:nodd.yaml(5) man:noddctl(1)"):
        assert re.search(r"^%s$" % re.escape(line), unit, re.M), line
    assert "/usr/local" not in unit
    r = run(["systemctl", "is-enabled", "nodd.service"])
    assert r.stdout.strip() == "disabled", r.stdout + r.stderr


def start_as_nodd(workdir, conf, trace):
    """Start the installed nodd as the user nodd under strace (which counts its system
    calls into trace); returns (strace's process, nodd's pid or None, log path)."""
    log = os.path.join(workdir, "nodd.log")
    with open(log, "wb") as logf:
        proc = subprocess.Popen(["strace", "-f", "-qq", "-c", "-o", trace, "-u", "nodd",
                                 "/usr/sbin/nodd", "-c", conf], stdout=logf,
                                stderr=subprocess.STDOUT, cwd=workdir,
                                env={"PATH": "/usr/bin:/bin"})
    pids = wait_until(lambda: proc.poll() is None and
                      run(["pgrep", "-P", str(proc.pid), "-x", "nodd"]).stdout.split())
    return proc, int(pids[0]) if pids else None, log


def stop_traced(proc, pid):
    """SIGKILL nodd (strace leaves a tracee running when it is killed) and strace."""
    for p in (pid, proc.pid):
        if p is not None and proc.poll() is None:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
    proc.wait(timeout=10)


def wait_until(cond, timeout=10):
    """cond() once it is true, or its last value after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.1)


def dig(port, name, rtype, *opts):
    r = run(["dig", "@127.0.0.1", "-p", str(port), name, rtype, "+short", "+time=1",
             "+tries=1"] + list(opts), timeout=10)
    return r.stdout.split()


def axfr(port):
    return run(["dig", "@127.0.0.1", "-p", str(port), "v1.bl.nod.example", "AXFR", "+time=2",
                "+tries=1", "+noall", "+answer"], timeout=10).stdout


def wait_answering(proc, port):
    return wait_until(lambda: proc.poll() is None and dig(port, "v1.bl.nod.example", "SOA"))


def syscall_set(group, seen=None):
    """The system calls of a systemd filter group, its nested groups expanded."""
    seen = set() if seen is None else seen
    out = run(["systemd-analyze", "syscall-filter", group]).stdout
    calls = set()
    for line in (l.strip() for l in out.splitlines()):
        if not line or line.startswith("#") or line == group:
            continue
        if line.startswith("@"):
            if line not in seen:
                seen.add(line)
                calls |= syscall_set(line, seen)
        else:
            calls.add(line)
    return calls


def traced_syscalls(trace):
    """The system call names of strace -c's table."""
    names = set()
    for line in open(trace).read().splitlines():
        fields = line.split()
        if (fields and re.fullmatch(r"[a-z_0-9]+", fields[-1])
                and fields[-1] not in ("total", "syscall")):
            names.add(fields[-1])
    return names


def nodd_config(workdir, port, http):
    return ("server:\n  listen: [127.0.0.1@%d]\n  http: 127.0.0.1@%d\n"
            "  database: %s/nodd.db\npublish:\n  suffix: nod.example.\n"
            "transfer:\n  allow:\n    - address: 127.0.0.1/32\n"
            "files:\n  dir: %s/files\n  interval: 1s\n" % (port, http, workdir, workdir))


def test_installed_nodd_runs_as_nodd_within_the_units_syscall_filter(installed):
    """Start, UDP and TCP answers, an observation through the installed noddctl, a
    transfer out, files, SIGHUP and SIGTERM: every system call nodd made is one the
    unit's SystemCallFilter= allows."""
    for prog in ("strace", "dig", "pgrep"):
        if shutil.which(prog) is None:
            pytest.fail("%s is not installed (Debian: strace, bind9-dnsutils, procps)" % prog,
                        pytrace=False)
    workdir = tempfile.mkdtemp(prefix="nodd-package-")
    u = pwd.getpwnam("nodd")
    os.chown(workdir, u.pw_uid, u.pw_gid)
    os.chmod(workdir, 0o700)
    conf, trace = os.path.join(workdir, "nodd.yaml"), os.path.join(workdir, "strace.txt")
    proc = pid = None
    try:
        for attempt in range(3):   # a kernel-picked port may be taken before nodd binds it
            port = free_port()
            http = free_tcp_port(exclude=(port,))
            with open(conf, "w") as f:
                f.write(nodd_config(workdir, port, http))
            proc, pid, log = start_as_nodd(workdir, conf, trace)
            if pid is not None and wait_answering(proc, port):
                break
            stop_traced(proc, pid)
            text = open(log).read()
            assert attempt < 2 and "Address already in use" in text, text
        with open("/proc/%d/status" % pid) as f:
            uid = re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1)
        assert int(uid) == u.pw_uid
        # the token for writes nodd makes at start (no server.http-token), read by noddctl -c
        assert wait_until(lambda: os.path.exists(os.path.join(workdir, "nodd.db.token")))
        r = run(["/usr/bin/noddctl", "-c", conf, "observe", "package-test-name.example"])
        assert r.returncode == 0, r.stdout + r.stderr
        name = "package-test-name.example.v1.bl.nod.example"
        assert dig(port, name, "A") == ["127.0.0.2"]
        assert dig(port, name, "A", "+tcp") == ["127.0.0.2"]
        assert dig(port, "never-seen-name.example.v1.bl.nod.example", "A") == []
        listed = re.compile(r"^%s\.\s.*\sA\s+127\.0\.0\.2$" % re.escape(name), re.M)
        assert wait_until(lambda: listed.search(axfr(port))), axfr(port)   # next version
        rbldnsd = os.path.join(workdir, "files", "nod.rbldnsd")
        assert wait_until(lambda: os.path.exists(rbldnsd) and
                          "package-test-name.example" in open(rbldnsd).read())
        os.kill(pid, signal.SIGHUP)
        assert wait_until(lambda: "reload: configuration re-read" in open(log).read())
        assert dig(port, name, "A") == ["127.0.0.2"]
        os.kill(pid, signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, open(log).read()
        assert os.stat(os.path.join(workdir, "nodd.db")).st_uid == u.pw_uid
        unit = open(UNIT).read()
        groups = re.findall(r"^SystemCallFilter=(.+)$", unit, re.M)
        assert groups == ["@system-service"], groups
        allowed = syscall_set("@system-service")
        used = traced_syscalls(trace)
        assert {"bind", "recvmmsg", "accept4", "fdatasync"} <= used, sorted(used)
        assert sorted(used - allowed) == [], "system calls the unit's filter refuses"
    finally:
        if proc is not None:
            stop_traced(proc, pid)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize("page", sorted(MAN_PAGES))
def test_installed_man_page_renders_without_warnings(installed, page):
    section, name = MAN_PAGES[page]
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_STDERR="1")
    r = run(["man", "--warnings=w", "-E", "UTF-8", "-l", page], env=env)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert re.search(r"^NAME\n\s+%s - " % re.escape(name), r.stdout, re.M), r.stdout[:400]
    r = run(["man", "-w", section, name], env=env)
    assert r.stdout.strip() == page, r.stdout + r.stderr


def man_entries(text):
    """The .TP/.TQ entry names of roff text (the first word after the tag), unescaped."""
    lines = text.splitlines()
    names = []
    for prev, line in zip(lines, lines[1:]):
        if prev in (".TP", ".TQ") and line.startswith((".B ", ".BI ", ".BR ")):
            word = line.split()[1].replace("\\-", "-").strip('"')
            names.append(word)
    return names


def test_nodd_yaml_manual_has_every_configuration_key():
    rows = re.findall(r'ROW\("([a-z_.-]*)", "([a-z_-]+)"', open(os.path.join(ROOT, "conf",
                                                                              "schema.c")).read())
    assert len(rows) > 40, rows
    keys = {"%s.%s" % (s, k) for s, k in rows if s}
    page = open(os.path.join(ROOT, "docs", "nodd.yaml.5")).read()
    entries = {e.replace("[]", "") for e in man_entries(page)}
    assert sorted(keys - entries) == [], "keys of conf/schema.c missing from nodd.yaml(5)"
    assert sorted(entries - keys) == [], "entries of nodd.yaml(5) that are no key"
    sections = set(re.findall(r"^\.SS (\S+)$", page, re.M))
    assert {k for s, k in rows if not s} == sections


def test_noddctl_manual_has_every_command(installed):
    usage = run(["/usr/bin/noddctl", "--help"]).stdout
    block = usage.split("commands:\n", 1)[1].split("options:\n", 1)[0]
    commands = set(re.findall(r"^  ([a-z][a-z-]+)\b", block, re.M))
    assert {"observe", "lookup", "status", "import"} <= commands, usage
    text = open(os.path.join(ROOT, "docs", "noddctl.1")).read()
    described = text.split("\n.SH COMMANDS\n", 1)[1].split("\n.SH ", 1)[0]
    entries = set(man_entries(described))
    assert sorted(commands - entries) == [], "noddctl commands missing from noddctl(1)"
    assert sorted(entries - commands) == [], "noddctl(1) describes commands noddctl lacks"


def test_purge_leaves_the_machine_as_found(installed):
    r = run(["dpkg", "--purge", "nodd"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert not package_installed()
    forget_user(installed)
    for p in INSTALLED + ["/etc/nodd", "/var/lib/nodd"]:
        assert not os.path.exists(p), p
    assert user_exists("nodd") == installed["user"]
    assert group_exists("nodd") == installed["group"]
